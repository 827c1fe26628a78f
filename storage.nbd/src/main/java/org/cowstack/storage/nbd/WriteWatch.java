package org.cowstack.storage.nbd;

import java.io.Closeable;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import java.util.function.IntSupplier;

/**
 * Closes a connection whose client stopped reading. A blocking socket write has no
 * timeout of its own: a client that asks for data and never reads it (a small receive
 * window and big reads are enough) would hold its server thread, and one of the
 * {@link NbdServer#MAX_CLIENTS} places, for as long as it keeps the connection open.
 * Each connection's output goes through {@link #watch}, which writes in pieces of at
 * most {@link #PIECE} bytes; one daemon thread looks every so often for a piece that has
 * been under way longer than the limit and closes that socket, which ends the write with
 * an exception and the connection with it. A slow client is not a stalled one: the limit
 * is on one piece, not on a whole reply.
 */
final class WriteWatch implements Closeable {
    /** Largest piece one timed socket write sends. */
    static final int PIECE = 64 << 10;
    private static final long IDLE = Long.MIN_VALUE;

    private final IntSupplier limitMillis;
    private final Consumer<String> log;
    private final Map<Socket, Watched> watched = new ConcurrentHashMap<>();
    private Thread thread;
    private volatile boolean closed;

    /**
     * @param limitMillis how long one piece may take (read each time it is checked)
     * @param log         where the line for each connection closed goes
     */
    WriteWatch(IntSupplier limitMillis, Consumer<String> log) {
        this.limitMillis = limitMillis;
        this.log = log;
    }

    /** The socket's output, timed; the watching thread starts with the first. */
    synchronized OutputStream watch(Socket socket) throws IOException {
        Watched w = new Watched(socket, socket.getOutputStream());
        watched.put(socket, w);
        if (thread == null && !closed) {
            thread = new Thread(this::scan, "nbd-write-watch");
            thread.setDaemon(true);
            thread.start();
        }
        return w;
    }

    private void scan() {
        while (!closed) {
            int limit = limitMillis.getAsInt();
            try {
                Thread.sleep(Math.max(10, Math.min(1000, limit / 4)));
            } catch (InterruptedException e) {
                return;
            }
            long now = System.nanoTime();
            for (Watched w : watched.values()) {
                long since = w.since;
                if (w.socket.isClosed()) {
                    watched.remove(w.socket);
                } else if (since != IDLE && now - since > limit * 1_000_000L) {
                    watched.remove(w.socket);
                    log.accept("nbd: closed the connection from " + w.socket.getRemoteSocketAddress()
                            + ": it read no reply for " + limit + " ms");
                    try {
                        w.socket.close();
                    } catch (IOException ignored) {
                        // closing
                    }
                }
            }
        }
    }

    /** Stops watching (the server closes the sockets itself). */
    @Override
    public synchronized void close() {
        closed = true;
        if (thread != null) {
            thread.interrupt();
        }
        watched.clear();
    }

    /** A socket's output whose writes, piece by piece, say since when they are under way. */
    private static final class Watched extends FilterOutputStream {
        final Socket socket;
        volatile long since = IDLE;

        Watched(Socket socket, OutputStream out) {
            super(out);
            this.socket = socket;
        }

        @Override
        public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            for (int at = 0; at < len; ) {
                int n = Math.min(len - at, PIECE);
                since = System.nanoTime();
                try {
                    out.write(b, off + at, n);
                } finally {
                    since = IDLE;
                }
                at += n;
            }
        }
    }
}
