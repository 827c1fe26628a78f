package org.cowstack.storage.s3.crash;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * A power cut between an {@code s3:} device and its store: an HTTP/1.1 forwarder on a
 * loopback port that reads each request whole (headers and body) before it sends it on,
 * counts the PUTs, and at the {@code cutAt}-th PUT sends that one on (or not), then cuts: from
 * that moment no answer reaches the client (not even that PUT's, so the client never
 * learns whether it landed), every client connection is dropped, the port refuses new
 * ones, and the requests already sent to the store are let finish there (their answers
 * drained and thrown away). The store then holds exactly the PUTs 1..{@code cutAt}
 * (and whatever else was sent before), as a store would after the client host lost
 * power the moment it had sent the {@code cutAt}-th upload.
 */
final class CuttingProxy implements AutoCloseable {
    /** Which PUT, from the chosen one on, the cut comes at. */
    enum At {
        /** The chosen one. */
        ANY,
        /** The first manifest put. */
        MANIFEST,
        /**
         * The first manifest put right after a single object put: the engine's commit point
         * (its second flush stores the superblock's object, then the manifest).
         */
        COMMIT_POINT
    }

    private final ServerSocket server;
    private final InetSocketAddress target;
    private volatile long cutAt;
    private final At at;
    /** Guarded by lock: PUTs of objects since the last PUT of a manifest. */
    private int sinceManifest;
    private final boolean sendLast;
    /** Guarded by lock: at the chosen PUT (the first from cutAt on) only its answer is lost, no cut. */
    private boolean loseAnswerOnly;
    private final Object lock = new Object();
    /** Guarded by lock. */
    private final List<Conn> conns = new ArrayList<>();
    /** Guarded by lock: the request line of every PUT sent on, in order. */
    private final List<String> puts = new ArrayList<>();
    /** Guarded by lock: requests being written to the store now. */
    private int sending;
    /** Guarded by lock. */
    private String lostAnswer;
    private volatile boolean cut;
    /** Requests still to answer here with 503 SlowDown, as a throttling store does (see {@link #throttle}). */
    private final java.util.concurrent.atomic.AtomicLong throttle = new java.util.concurrent.atomic.AtomicLong();
    private final java.util.concurrent.atomic.AtomicLong throttled = new java.util.concurrent.atomic.AtomicLong();
    private final CountDownLatch settled = new CountDownLatch(1);
    private final Thread acceptor;

    /**
     * Forwards to {@code target}; cuts at the {@code cutAt}-th PUT ({@code Long.MAX_VALUE}:
     * never) or, as {@code at} says, at the first PUT of a manifest from that one on (the
     * commit point of an {@code s3:} flush); {@code sendLast}: that PUT is sent on (it
     * lands, and the client never hears so), else the cut comes just before it.
     */
    CuttingProxy(URI target, long cutAt, At at, boolean sendLast) throws IOException {
        this.target = new InetSocketAddress(target.getHost(), target.getPort());
        this.cutAt = cutAt;
        this.at = at;
        this.sendLast = sendLast;
        this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        this.acceptor = new Thread(this::accept, "cutting-proxy-accept");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    /**
     * At the chosen PUT, no cut: it is sent on, and once the store has finished it, its
     * connection drops without its answer; everything before and after goes through (a
     * connection lost at the wrong moment: the client retries a request that landed). The
     * chosen PUT: the {@code at}-th, or the first manifest put from it on.
     */
    CuttingProxy loseAnswerOnly(long at) {
        synchronized (lock) {
            loseAnswerOnly = true;
            cutAt = at;
        }
        return this;
    }

    /**
     * The next {@code requests} requests are answered here with {@code 503 SlowDown} (the
     * store never sees them), as S3 answers a client that is too fast; 0 ends it.
     */
    CuttingProxy throttle(long requests) {
        throttle.set(requests);
        return this;
    }

    /** Requests answered with 503 SlowDown so far. */
    long throttled() {
        return throttled.get();
    }

    URI endpoint() {
        return URI.create("http://127.0.0.1:" + server.getLocalPort());
    }

    boolean isCut() {
        return cut;
    }

    /** The request line of the PUT whose answer was lost ({@link #loseAnswerOnly}), or null. */
    String lostAnswer() {
        synchronized (lock) {
            return lostAnswer;
        }
    }

    /** PUTs sent on to the store (at most {@code cutAt}). */
    int puts() {
        synchronized (lock) {
            return puts.size();
        }
    }

    /** The request lines of the last {@code n} PUTs sent on. */
    List<String> lastPuts(int n) {
        synchronized (lock) {
            return List.copyOf(puts.subList(Math.max(0, puts.size() - n), puts.size()));
        }
    }

    /** Waits until the cut has settled: every request sent on has finished at the store. */
    boolean awaitSettled(long seconds) throws InterruptedException {
        return settled.await(seconds, TimeUnit.SECONDS);
    }

    private void accept() {
        while (true) {
            Socket client;
            try {
                client = server.accept();
            } catch (IOException closed) {
                return;
            }
            try {
                Socket up = new Socket();
                up.connect(target, 10_000);
                Conn c = new Conn(client, up);
                synchronized (lock) {
                    if (cut) {
                        client.close();
                        up.close();
                        continue;
                    }
                    conns.add(c);
                }
                c.start();
            } catch (IOException e) {
                close(client);
            }
        }
    }

    /** One client connection and its connection to the store. */
    private final class Conn {
        final Socket client;
        final Socket up;
        final Thread requests;
        final Thread answers;
        /** The answers from the store are dropped (see {@link #loseAnswerOnly}). */
        volatile boolean discard;

        Conn(Socket client, Socket up) {
            this.client = client;
            this.up = up;
            this.requests = new Thread(this::requests, "cutting-proxy-requests");
            this.answers = new Thread(this::answers, "cutting-proxy-answers");
            requests.setDaemon(true);
            answers.setDaemon(true);
        }

        void start() {
            requests.start();
            answers.start();
        }

        /** Client to store, one whole request at a time. */
        private void requests() {
            try {
                InputStream in = new java.io.BufferedInputStream(client.getInputStream());
                OutputStream out = up.getOutputStream();
                while (true) {
                    byte[] request = readRequest(in);
                    if (request == null) {
                        return;
                    }
                    String line = new String(request, 0, Math.min(request.length, 300), StandardCharsets.ISO_8859_1);
                    line = line.substring(0, line.indexOf('\r'));
                    if (throttle.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
                        // One request at a time per connection (no pipelining): nothing of the store's is due now.
                        byte[] body = ("<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>SlowDown</Code>"
                                + "<Message>Please reduce your request rate.</Message></Error>")
                                .getBytes(StandardCharsets.UTF_8);
                        OutputStream back = client.getOutputStream();
                        back.write(("HTTP/1.1 503 Slow Down\r\nContent-Type: application/xml\r\nContent-Length: "
                                + body.length + "\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
                        back.write(body);
                        back.flush();
                        throttled.incrementAndGet();
                        continue;
                    }
                    boolean cutHere = false;
                    synchronized (lock) {
                        if (cut) {
                            return;
                        }
                        if (line.startsWith("PUT ")) {
                            puts.add(line);
                            boolean manifest = line.matches("PUT \\S*/manifest HTTP/.*");
                            boolean chosen = puts.size() >= cutAt && (!loseAnswerOnly || lostAnswer == null)
                                    && (at == At.ANY || manifest && (at == At.MANIFEST || sinceManifest == 1));
                            sinceManifest = manifest ? 0 : sinceManifest + 1;
                            if (chosen && loseAnswerOnly) {
                                discard = true;
                                lostAnswer = line;
                            } else if (chosen) {
                                cut = true; // from now on no answer reaches a client: not even this PUT's
                                cutHere = true;
                                if (!sendLast) {
                                    puts.remove(puts.size() - 1);
                                }
                            }
                        }
                        if (cutHere && !sendLast) {
                            break;
                        }
                        sending++;
                    }
                    if (discard) { // the store finishes it, the client never hears: its connection drops
                        try {
                            out.write(request);
                            out.flush();
                            up.shutdownOutput();
                            answers.join(30_000);
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                        } finally {
                            synchronized (lock) {
                                sending--;
                                lock.notifyAll();
                            }
                        }
                        return;
                    }
                    try {
                        out.write(request);
                        out.flush();
                    } finally {
                        synchronized (lock) {
                            sending--;
                            lock.notifyAll();
                        }
                    }
                    if (cutHere) {
                        break;
                    }
                }
                settle();
            } catch (IOException e) {
                // the client went away, or the cut closed it
            } finally {
                if (!cut) {
                    close(client);
                    close(up);
                }
            }
        }

        /** Store to client, byte for byte, until the cut; then drained and dropped until the store closes. */
        private void answers() {
            byte[] buffer = new byte[64 << 10];
            try {
                InputStream in = up.getInputStream();
                OutputStream out = client.getOutputStream();
                int n;
                while ((n = in.read(buffer)) >= 0) {
                    if (!cut && !discard) {
                        try {
                            out.write(buffer, 0, n);
                            out.flush();
                        } catch (IOException clientGone) {
                            // go on draining: the store finishes what it was sent
                        }
                    }
                }
            } catch (IOException e) {
                // the store closed
            } finally {
                close(client);
            }
        }
    }

    /**
     * The cut: the port refuses new connections, every client connection drops, and each
     * store connection is half-closed once the requests being written are whole, so that
     * the store finishes them and closes; done when every store connection has closed.
     */
    private void settle() {
        close(server);
        List<Conn> all;
        synchronized (lock) {
            all = List.copyOf(conns);
        }
        for (Conn c : all) {
            close(c.client);
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        synchronized (lock) {
            while (sending > 0 && System.nanoTime() < deadline) {
                try {
                    lock.wait(100);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
        for (Conn c : all) {
            try {
                c.up.shutdownOutput();
            } catch (IOException e) {
                // already closed
            }
        }
        for (Conn c : all) {
            try {
                c.answers.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            close(c.up);
        }
        settled.countDown();
    }

    /** One HTTP/1.1 request, headers and body (Content-Length; no chunked bodies here), or null at the end. */
    private static byte[] readRequest(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int matched = 0;
        while (matched < 4) {
            int b = in.read();
            if (b < 0) {
                if (head.size() == 0) {
                    return null;
                }
                throw new EOFException("connection closed in a request's headers");
            }
            head.write(b);
            matched = (b == (matched % 2 == 0 ? '\r' : '\n')) ? matched + 1 : (b == '\r' ? 1 : 0);
        }
        String headers = head.toString(StandardCharsets.ISO_8859_1);
        long length = 0;
        for (String h : headers.split("\r\n")) {
            String lower = h.toLowerCase(Locale.ROOT);
            if (lower.startsWith("content-length:")) {
                length = Long.parseLong(h.substring(h.indexOf(':') + 1).trim());
            } else if (lower.startsWith("transfer-encoding:") && lower.contains("chunked")) {
                throw new IOException("chunked request bodies are not forwarded by this proxy");
            }
        }
        byte[] body = in.readNBytes(Math.toIntExact(length));
        if (body.length != length) {
            throw new EOFException("connection closed in a request's body");
        }
        head.write(body);
        return head.toByteArray();
    }

    private static void close(java.io.Closeable c) {
        try {
            c.close();
        } catch (IOException e) {
            // closing anyway
        }
    }

    @Override
    public void close() {
        close(server);
        List<Conn> all;
        synchronized (lock) {
            cut = true;
            all = List.copyOf(conns);
        }
        for (Conn c : all) {
            close(c.client);
            close(c.up);
        }
    }
}
