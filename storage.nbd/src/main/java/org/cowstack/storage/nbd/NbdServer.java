package org.cowstack.storage.nbd;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.Closeable;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Supplier;

import javax.net.ssl.SSLException;
import javax.net.ssl.SSLSocket;


/**
 * An NBD server on one address: a thread accepts, a thread per connection negotiates and
 * then serves its requests in order. A connection that misbehaves (a bad magic, an
 * oversized option or write, garbage, a handshake that stalls) is closed; the others go
 * on. Closing the server closes every connection and waits for their threads.
 *
 * <p>Given {@link TlsCredentials}, the server is TLS-only: clients negotiate in clear
 * only as far as {@code NBD_OPT_STARTTLS}, and a failed TLS handshake ends that one
 * connection.
 */
public final class NbdServer implements Closeable {
    /** How long a client may take over the handshake. */
    static final int HANDSHAKE_MILLIS = 30_000;
    /** Connections served at once; more wait in the accept queue. */
    static final int MAX_CLIENTS = 16;
    /** How long a client may leave a reply unread before its connection is closed ({@link WriteWatch}). */
    static final int WRITE_MILLIS = 30_000;

    private final InetSocketAddress address;
    private final Function<String, Export> exports;
    private final Supplier<List<Export>> all;
    private final Consumer<String> log;
    /** Null: no TLS. */
    private final TlsCredentials tls;
    private final Set<Socket> clients = ConcurrentHashMap.newKeySet();
    private final Set<Thread> threads = ConcurrentHashMap.newKeySet();
    private final AtomicLong bytesIn = new AtomicLong();
    private final AtomicLong bytesOut = new AtomicLong();
    private final AtomicLong served = new AtomicLong();
    private volatile ServerSocket socket;
    private volatile boolean closed;
    /** {@link #WRITE_MILLIS}, shorter in tests that wait for it. */
    volatile int writeMillis = WRITE_MILLIS;
    private final WriteWatch writes;

    /**
     * @param address where to listen (port 0: any free one)
     * @param exports the export of a name, or null
     * @param all     every export, for {@code NBD_OPT_LIST}
     * @param log     where one line per refused or failed connection goes
     */
    public NbdServer(InetSocketAddress address, Function<String, Export> exports, Supplier<List<Export>> all,
            Consumer<String> log) {
        this(address, exports, all, log, null);
    }

    /** @param tls the credentials clients must start TLS with; null for none */
    public NbdServer(InetSocketAddress address, Function<String, Export> exports, Supplier<List<Export>> all,
            Consumer<String> log, TlsCredentials tls) {
        this.address = address;
        this.exports = exports;
        this.all = all;
        this.log = log;
        this.tls = tls;
        this.writes = new WriteWatch(() -> writeMillis, log);
    }

    /** Binds and starts accepting. */
    public synchronized NbdServer start() throws IOException {
        ServerSocket s = new ServerSocket();
        s.setReuseAddress(true);
        s.bind(address, 64);
        socket = s;
        Thread accept = new Thread(this::accept, "nbd-accept-" + s.getLocalPort());
        accept.setDaemon(true);
        threads.add(accept);
        accept.start();
        return this;
    }

    /** The port listened on. */
    public int port() {
        return socket.getLocalPort();
    }

    /** Connections now. */
    public int clients() {
        return clients.size();
    }

    /** Bytes written by clients, and read by them. */
    public long bytesIn() {
        return bytesIn.get();
    }

    public long bytesOut() {
        return bytesOut.get();
    }

    /** Connections served since start. */
    public long connections() {
        return served.get();
    }

    private void accept() {
        ServerSocket s = socket;
        while (!closed) {
            Socket client;
            try {
                client = s.accept();
            } catch (IOException e) {
                if (!closed) {
                    log.accept("nbd: accept on " + address + " failed: " + e.getMessage());
                }
                return;
            }
            if (clients.size() >= MAX_CLIENTS) {
                log.accept("nbd: refused a connection from " + client.getRemoteSocketAddress() + ": "
                        + MAX_CLIENTS + " clients already");
                quietly(client);
                continue;
            }
            clients.add(client);
            served.incrementAndGet();
            Thread t = new Thread(() -> serve(client), "nbd-client-" + client.getPort());
            t.setDaemon(true);
            threads.add(t);
            t.start();
        }
    }

    private void serve(Socket client) {
        String who = String.valueOf(client.getRemoteSocketAddress());
        AtomicReference<SSLSocket> secure = new AtomicReference<>();
        try {
            client.setTcpNoDelay(true);
            client.setSoTimeout(HANDSHAKE_MILLIS);
            Handshake handshake = new Handshake(wire(client), exports, all, tls == null ? null : () -> {
                try {
                    secure.set(tls.upgrade(client, HANDSHAKE_MILLIS));
                } catch (SSLException e) {
                    throw new Handshake.Ended("TLS handshake failed: " + e.getMessage());
                }
                return wire(secure.get());
            });
            Handshake.Result session = handshake.run();
            Wire wire = handshake.wire();
            client.setSoTimeout(0); // an idle client is not an error once it has an export
            try (ExportFile file = new ExportFile(session.export(), exports, () -> closed,
                    ExportFile.SWAP_WAIT_MILLIS)) {
                new Transmission(wire, session, file, bytesIn, bytesOut).run();
            }
        } catch (Handshake.Ended ended) {
            log.accept("nbd: closed the connection from " + who + ": " + ended.getMessage());
        } catch (EOFException | SocketException gone) {
            // the client left (or the server is closing)
        } catch (SocketTimeoutException slow) {
            log.accept("nbd: closed the connection from " + who + ": no handshake within " + HANDSHAKE_MILLIS
                    + " ms");
        } catch (IOException | RuntimeException e) {
            if (!closed) {
                log.accept("nbd: closed the connection from " + who + ": " + e);
            }
        } finally {
            clients.remove(client);
            threads.remove(Thread.currentThread());
            if (secure.get() != null) {
                quietly(secure.get()); // with TLS's close_notify, which GnuTLS clients expect
            }
            quietly(client);
        }
    }

    /** The streams of a socket (plain, or TLS over it), its writes watched for a client that stopped reading. */
    private Wire wire(Socket s) throws IOException {
        return new Wire(new DataInputStream(new BufferedInputStream(s.getInputStream(), 64 << 10)),
                new DataOutputStream(new BufferedOutputStream(writes.watch(s), 64 << 10)));
    }

    private static void quietly(Socket s) {
        try {
            s.close();
        } catch (IOException ignored) {
            // closing
        }
    }

    /** Stops accepting, closes every connection and waits (a few seconds at most) for their threads. */
    @Override
    public void close() {
        closed = true;
        writes.close();
        ServerSocket s = socket;
        if (s != null) {
            try {
                s.close();
            } catch (IOException ignored) {
                // closing
            }
        }
        for (Socket c : clients) {
            quietly(c);
        }
        long deadline = System.nanoTime() + 5_000_000_000L;
        for (Thread t : List.copyOf(threads)) {
            try {
                t.join(Math.max(1, (deadline - System.nanoTime()) / 1_000_000));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }
}
