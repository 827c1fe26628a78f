package org.cowstack.storage.nbd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.Closeable;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import org.cowstack.storage.api.volume.FileHandle;
import org.junit.jupiter.api.Test;

/**
 * Thousands of malformed handshakes and requests from raw sockets, seeded so that a
 * failure can be replayed ({@code -Dnbd.fuzz.seed=S}, {@code -Dnbd.fuzz.cases=N}), while a
 * well-behaved client writes, reads back and flushes its own first MiB of {@code /disk}
 * and a few clients ask for big reads (or export lists) they never read. Sessions use
 * simple or structured replies at random. The server must answer every framed request
 * with a well-formed reply (structured chunks inside the request) carrying an error the
 * spec allows, or success and then only in bounds; close a connection that sent garbage
 * without hanging; close the ones that stopped reading; keep serving the good client;
 * and at the end still answer on its port with the file equal to a model of every write
 * it accepted: the good client's, and the fuzzer's own legal ones, tracked from the replies.
 */
class FuzzTest extends ServerFixture {
    private static final long SIZE = 4L * MIB;
    /** The good client's range is [0, GOOD); everything the fuzzer may change legally lies after it. */
    private static final int GOOD = MIB;
    /** Errors the spec lets a server answer a bad request with; anything else is a server failure. */
    private static final Set<Integer> ERRORS = Set.of(Nbd.EPERM, Nbd.EINVAL, Nbd.ENOSPC, Nbd.EOVERFLOW);
    /** Clients that ask for 64 MiB of reads, or 38 MB of export lists, and never read any of it. */
    private static final int STALLED = 3;

    /** The file as it must be: the fixture's (0xab at 1..2 MiB), then every accepted write. */
    private final byte[] model = new byte[(int) SIZE];
    private final List<String> failures = new ArrayList<>();
    /** Fuzzed requests the server served (legal after all), and of them the ones that changed the file. */
    private int served;
    private int changed;

    @Test
    void malformedClientsLoseTheirConnectionAndNothingElse() throws Exception {
        long seed = Long.getLong("nbd.fuzz.seed", System.nanoTime());
        int cases = Integer.getInteger("nbd.fuzz.cases", 4000);
        System.out.println("nbd fuzz: seed " + seed + " (-Dnbd.fuzz.seed=" + seed + " replays it), " + cases
                + " cases");
        Arrays.fill(model, MIB, 2 * MIB, (byte) 0xab);
        server.writeMillis = 5_000; // the stalled clients go within seconds; a busy machine still gets 5 s a piece
        List<Conn> stalled = new ArrayList<>();
        for (int i = 0; i < STALLED; i++) {
            stalled.add(stall(i == 0));
        }
        AtomicBoolean stop = new AtomicBoolean();
        AtomicReference<Throwable> goodFailure = new AtomicReference<>();
        AtomicLong goodOps = new AtomicLong();
        Thread good = new Thread(() -> {
            try {
                wellBehaved(new Random(seed ^ 0x600dL), stop, goodOps);
            } catch (Throwable t) {
                goodFailure.set(t);
            }
        }, "fuzz-good-client");
        good.start();
        long started = System.nanoTime();
        Random random = new Random(seed);
        Conn session = null;
        int[] kinds = new int[Kind.values().length];
        try {
            for (int i = 0; i < cases; i++) {
                Kind kind = Kind.values()[random.nextInt(Kind.values().length)];
                kinds[kind.ordinal()]++;
                try {
                    if (kind.framed && session == null) {
                        session = new Conn(0);
                        session.go(random.nextInt(4) == 0 ? "ro" : "disk", random.nextBoolean());
                    }
                    if (kind.framed) {
                        session = request(kind, session, random);
                    } else {
                        handshake(kind, random);
                    }
                } catch (IOException | AssertionError e) {
                    failures.add("case " + i + " (" + kind + "): " + e);
                    session = close(session);
                }
            }
        } finally {
            close(session);
            stop.set(true);
            good.join(30_000);
        }
        long millis = (System.nanoTime() - started) / 1_000_000;
        if (goodFailure.get() != null) {
            failures.add("the well-behaved client: " + goodFailure.get());
        }
        // the clients that stopped reading lost their connections; the good one left: none is held
        long deadline = System.currentTimeMillis() + 10_000;
        while (server.clients() > 0 && System.currentTimeMillis() < deadline) {
            Thread.sleep(20);
        }
        if (server.clients() != 0) {
            failures.add(server.clients() + " connections still held (a client that stopped reading wedges "
                    + "a server thread)");
        }
        stalled.forEach(FuzzTest::close);
        List<String> odd;
        synchronized (log) {
            odd = log.stream().filter(l -> !l.startsWith("nbd: closed the connection from ") || l.contains("java.lang.")
                    || l.contains("\n")).toList();
            long unread = log.stream().filter(l -> l.contains("it read no reply")).count();
            if (unread != STALLED) {
                failures.add(unread + " connections closed for an unread reply, not " + STALLED + ": "
                        + log.stream().filter(l -> l.contains(" ms")).toList());
            }
        }
        odd.forEach(l -> failures.add("server log: " + l));

        // the port still answers, and the file is the model, all of it
        try (Conn c = new Conn(0)) {
            c.go("disk", false);
            byte[] back = new byte[64 << 10];
            assertEquals(0, c.reply(c.request(0, Nbd.CMD_READ, MIB, back.length, null), back, MIB), "a read after");
            assertArrayEquals(Arrays.copyOfRange(model, MIB, MIB + back.length), back, "the read after");
        }
        byte[] file = new byte[(int) SIZE];
        try (FileHandle f = volume.open("/disk", EnumSet.of(StandardOpenOption.READ))) {
            ByteBuffer b = ByteBuffer.wrap(file);
            while (b.hasRemaining() && f.read(b, b.position()) > 0) {
                // all of it
            }
        }
        int first = Arrays.mismatch(model, file);
        if (first >= 0) {
            failures.add("the file differs from the model first at byte " + first);
        }
        System.out.println("nbd fuzz: seed " + seed + ", " + cases + " cases " + kindCounts(kinds) + " in " + millis
                + " ms, " + served + " served after all (" + changed + " changes tracked), beside " + goodOps.get()
                + " well-behaved requests and " + STALLED + " clients that stopped reading; " + failures.size()
                + " server failures");
        assertEquals(List.of(), failures, "seed " + seed);
    }

    /** What one case sends; {@link #framed} cases use the open session and read their reply. */
    private enum Kind {
        HANDSHAKE_BYTES(false), OPTIONS(false), MUTATED_REQUEST(true), BAD_MAGIC(true), TRUNCATED_WRITE(true),
        SHORT_LENGTH_WRITE(true), GARBAGE(true), DISCONNECT(true);

        final boolean framed;

        Kind(boolean framed) {
            this.framed = framed;
        }
    }

    private static String kindCounts(int[] kinds) {
        StringBuilder s = new StringBuilder("(");
        for (Kind k : Kind.values()) {
            s.append(s.length() > 1 ? ", " : "").append(k.name().toLowerCase().replace('_', ' ')).append(' ')
                    .append(kinds[k.ordinal()]);
        }
        return s.append(')').toString();
    }

    /** A case on a connection of its own, in the handshake: it must end with the server closing it. */
    private void handshake(Kind kind, Random r) throws IOException {
        byte[] sent = handshakeBytes(kind, r); // all drawn first, so a replay does not depend on when the server closes
        try (Conn c = new Conn(0)) {
            c.greeting();
            try {
                c.out.write(sent);
                c.out.flush();
                c.socket.shutdownOutput();
            } catch (SocketException closed) {
                // the server may close before all is sent (an option over its limit)
            }
            c.drain();
        }
    }

    /** Random bytes after the greeting, or the client flags and one to five options, each broken somehow. */
    private static byte[] handshakeBytes(Kind kind, Random r) throws IOException {
        if (kind == Kind.HANDSHAKE_BYTES) {
            return bytes(r, r.nextInt(200));
        }
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        DataOutputStream out = new DataOutputStream(bytes);
        out.writeInt(r.nextInt(8) == 0 ? r.nextInt() : Nbd.CLIENT_FIXED_NEWSTYLE | Nbd.CLIENT_NO_ZEROES);
        for (int n = 1 + r.nextInt(5); n > 0; n--) {
            out.writeLong(r.nextInt(16) == 0 ? r.nextLong() : Nbd.IHAVEOPT);
            int option = r.nextBoolean() ? 1 + r.nextInt(10) : r.nextInt();
            if (option == Nbd.OPT_EXPORT_NAME && r.nextBoolean()) {
                option = Nbd.OPT_LIST; // export-name ends the handshake: keep more of them for options
            }
            out.writeInt(option);
            byte[] data = optionData(r, option);
            out.writeInt(r.nextInt(8) == 0 ? r.nextInt() : data.length); // sometimes a lie
            out.write(data);
        }
        return bytes.toByteArray();
    }

    /** An option's payload: random, or a real one (a name and info requests, a meta context query) broken a little. */
    private static byte[] optionData(Random r, int option) {
        if (r.nextBoolean()) {
            return bytes(r, r.nextInt(r.nextInt(10) == 0 ? 70_000 : 64));
        }
        String export = r.nextBoolean() ? "disk" : r.nextBoolean() ? "ro" : "nope\u00e9";
        byte[] name = export.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(64);
        b.putInt(r.nextInt(8) == 0 ? r.nextInt() : name.length).put(name);
        if (option == Nbd.OPT_LIST_META_CONTEXT || option == Nbd.OPT_SET_META_CONTEXT) {
            String query = r.nextBoolean() ? Nbd.BASE_ALLOCATION : Nbd.DIRTY_BITMAP + "b0";
            byte[] q = query.getBytes(StandardCharsets.UTF_8);
            b.putInt(r.nextInt(8) == 0 ? r.nextInt() : 1).putInt(r.nextInt(8) == 0 ? r.nextInt() : q.length).put(q);
        } else {
            int n = r.nextInt(3);
            b.putShort((short) (r.nextInt(8) == 0 ? r.nextInt() : n));
            for (int i = 0; i < n; i++) {
                b.putShort((short) r.nextInt(5));
            }
        }
        return Arrays.copyOf(b.array(), b.position() - (r.nextInt(8) == 0 ? r.nextInt(b.position() + 1) : 0));
    }

    /** A case on the open session; the session to go on with (null when this one was ended). */
    private Conn request(Kind kind, Conn s, Random r) throws IOException {
        long offset = GOOD + (long) r.nextInt((int) SIZE - GOOD);
        int length = 1 + r.nextInt(64 << 10);
        switch (kind) {
            case MUTATED_REQUEST:
                return mutated(s, r);
            case BAD_MAGIC: {
                int magic = r.nextInt();
                s.header(magic == Nbd.REQUEST_MAGIC ? ~magic : magic, 0, Nbd.CMD_READ, offset, 512);
                return ended(s);
            }
            case TRUNCATED_WRITE: // a part of the payload, then the client leaves: nothing is written
                s.header(Nbd.REQUEST_MAGIC, 0, Nbd.CMD_WRITE, offset, length);
                s.out.write(bytes(r, r.nextInt(length)));
                return ended(s);
            case SHORT_LENGTH_WRITE: { // the header says less than follows: what follows is a bad next request
                byte[] data = bytes(r, length);
                int said = 1 + r.nextInt(length);
                long cookie = s.header(Nbd.REQUEST_MAGIC, 0, Nbd.CMD_WRITE, offset, said);
                s.out.write(data, 0, said);
                s.out.write(garbage(r));
                s.out.flush();
                int errno = s.reply(cookie, null, offset);
                if (errno == 0) {
                    assertTrue(!s.readOnly && offset + said <= SIZE, "a write accepted out of bounds or read-only");
                    System.arraycopy(data, 0, model, (int) offset, said);
                    served++;
                    changed++;
                } else {
                    expected(errno);
                }
                return ended(s);
            }
            case GARBAGE:
                s.out.write(garbage(r));
                return ended(s);
            case DISCONNECT:
                s.header(Nbd.REQUEST_MAGIC, 0, Nbd.CMD_DISC, 0, 0);
                return ended(s);
            default:
                throw new IllegalArgumentException(kind.toString());
        }
    }

    /**
     * A valid request with one to three of its fields changed at random: flags, type, offset
     * (huge, negative, or in the fuzzer's range) and length (up to 4 GiB - 1). A write's
     * payload follows as its length says, unless that is more than twice the payload limit,
     * which the server refuses unread and ends the connection over.
     */
    private Conn mutated(Conn s, Random r) throws IOException {
        int[] types = {Nbd.CMD_READ, Nbd.CMD_WRITE, Nbd.CMD_FLUSH, Nbd.CMD_TRIM, Nbd.CMD_CACHE, Nbd.CMD_WRITE_ZEROES,
            Nbd.CMD_BLOCK_STATUS};
        int type = types[r.nextInt(types.length)];
        int flags = 0;
        long offset = GOOD + (long) r.nextInt((int) SIZE - GOOD);
        long length = 1 + r.nextInt(64 << 10);
        for (int n = 1 + r.nextInt(3); n > 0; n--) {
            switch (r.nextInt(4)) {
                case 0 -> flags = r.nextInt(8) == 0 ? r.nextInt(1 << 16) : 1 << r.nextInt(16);
                case 1 -> type = r.nextInt(4) == 0 ? r.nextInt(1 << 16) : r.nextInt(12);
                case 2 -> offset = switch (r.nextInt(5)) {
                    case 0 -> r.nextLong();
                    case 1 -> Long.MAX_VALUE - r.nextInt(4096);
                    case 2 -> SIZE - r.nextInt(4096);
                    case 3 -> SIZE + r.nextInt(1 << 20);
                    default -> offset;
                };
                default -> length = switch (r.nextInt(4)) {
                    case 0 -> r.nextLong() & 0xFFFF_FFFFL;
                    case 1 -> 0;
                    case 2 -> SIZE - offset + r.nextInt(8192) - 4096;
                    default -> 1 + r.nextInt(4 << 20);
                };
            }
        }
        if (offset >= 0 && offset < GOOD) {
            offset = ~offset; // never into the good client's range: negative instead, refused
        }
        length &= 0xFFFF_FFFFL;
        if (type == Nbd.CMD_DISC) {
            type = Nbd.CMD_FLUSH; // DISCONNECT is a case of its own
        }
        boolean writes = type == Nbd.CMD_WRITE;
        if (writes && length > (64 << 10) && length <= 2L * Nbd.MAX_PAYLOAD) {
            length = 1 + r.nextInt(64 << 10); // payloads the server reads stay small: the framing is what is fuzzed
        }
        byte[] data = writes && length <= (64 << 10) ? bytes(r, (int) length) : null;
        long cookie = s.header(Nbd.REQUEST_MAGIC, flags, type, offset, (int) length);
        if (data != null) {
            s.out.write(data);
        }
        s.out.flush();
        boolean reads = type == Nbd.CMD_READ;
        byte[] back = reads && length <= Nbd.MAX_PAYLOAD ? new byte[(int) length] : null;
        int errno = s.reply(cookie, back, offset);
        if (writes && data == null) { // more than twice the limit: refused, and the connection ends
            assertEquals(Nbd.EINVAL, errno, "a write of " + length + " bytes");
            return ended(s);
        }
        if (errno != 0) {
            expected(errno);
            return s;
        }
        boolean ranged = reads || writes || type == Nbd.CMD_TRIM || type == Nbd.CMD_WRITE_ZEROES
                || type == Nbd.CMD_CACHE || type == Nbd.CMD_BLOCK_STATUS;
        assertTrue(!ranged || offset >= GOOD && length <= SIZE - offset, "type " + type + " accepted at " + offset
                + "+" + length);
        boolean changes = writes || type == Nbd.CMD_TRIM || type == Nbd.CMD_WRITE_ZEROES;
        assertTrue(!changes || !s.readOnly, "type " + type + " accepted on the read-only export");
        assertTrue(type <= (s.structured ? Nbd.CMD_BLOCK_STATUS : Nbd.CMD_WRITE_ZEROES), "type " + type
                + " accepted" + (s.structured ? "" : " without structured replies"));
        served++;
        changed += changes ? 1 : 0;
        if (writes) {
            System.arraycopy(data, 0, model, (int) offset, data.length);
        } else if (changes) {
            Arrays.fill(model, (int) offset, (int) (offset + length), (byte) 0);
        } else if (reads) {
            assertArrayEquals(Arrays.copyOfRange(model, (int) offset, (int) (offset + length)), back,
                    "a read of " + offset + "+" + length);
        }
        return s;
    }

    private void expected(int errno) {
        assertTrue(ERRORS.contains(errno), "errno " + errno + " is not one a bad request gets");
    }

    /** The server must close the connection now, with nothing more sent. */
    private static Conn ended(Conn s) throws IOException {
        s.out.flush();
        s.socket.shutdownOutput();
        int extra = s.drain();
        s.close();
        assertEquals(0, extra, "bytes after a request that ends the connection");
        return null;
    }

    /** Bytes that do not start with the request magic, four at least, so the server reads a whole bad magic. */
    private static byte[] garbage(Random r) {
        byte[] g = bytes(r, 4 + r.nextInt(60));
        if (ByteBuffer.wrap(g).getInt() == Nbd.REQUEST_MAGIC) {
            g[0] ^= 1;
        }
        return g;
    }

    private static byte[] bytes(Random r, int n) {
        byte[] b = new byte[n];
        r.nextBytes(b);
        return b;
    }

    /**
     * Writes, reads back (structured replies: data and hole chunks) and flushes in [0, GOOD) until stopped,
     * checking every reply and every byte.
     */
    private void wellBehaved(Random r, AtomicBoolean stop, AtomicLong ops) throws IOException {
        try (Conn c = new Conn(0)) {
            c.go("disk", true);
            while (!stop.get()) {
                int offset = r.nextInt(GOOD);
                int length = 1 + r.nextInt(Math.min(64 << 10, GOOD - offset));
                byte[] data = bytes(r, length);
                assertEquals(0, c.reply(c.request(r.nextInt(4) == 0 ? Nbd.CMD_FLAG_FUA : 0, Nbd.CMD_WRITE, offset,
                        length, data), null, offset), "a good write");
                System.arraycopy(data, 0, model, offset, length);
                int from = r.nextInt(GOOD);
                int n = 1 + r.nextInt(Math.min(128 << 10, GOOD - from));
                byte[] back = new byte[n];
                assertEquals(0, c.reply(c.request(0, Nbd.CMD_READ, from, n, null), back, from), "a good read");
                assertArrayEquals(Arrays.copyOfRange(model, from, from + n), back, "a good read at " + from);
                if (r.nextInt(16) == 0) {
                    assertEquals(0, c.reply(c.request(0, Nbd.CMD_FLUSH, 0, 0, null), null, 0), "a good flush");
                }
                ops.addAndGet(3);
            }
            c.header(Nbd.REQUEST_MAGIC, 0, Nbd.CMD_DISC, 0, 0);
            c.out.flush();
        }
    }

    /**
     * A client with a small receive window that asks for 64 MiB of reads, or in the handshake
     * for the list of exports 400,000 times (38 MB of replies, far more than socket buffers
     * take), and reads none of it. The lists are asked from a thread of their own, as sending
     * them blocks once the server stops reading, until it closes the connection.
     */
    private Conn stall(boolean inHandshake) throws IOException {
        Conn c = new Conn(4096);
        if (inHandshake) {
            c.greeting();
            Thread asking = new Thread(() -> {
                try {
                    c.out.writeInt(Nbd.CLIENT_FIXED_NEWSTYLE | Nbd.CLIENT_NO_ZEROES);
                    for (int i = 0; i < 400_000; i++) {
                        c.out.writeLong(Nbd.IHAVEOPT);
                        c.out.writeInt(Nbd.OPT_LIST);
                        c.out.writeInt(0);
                    }
                    c.out.flush();
                } catch (IOException closed) {
                    // the server closed the connection: what is tested
                }
            }, "fuzz-stalled-handshake");
            asking.setDaemon(true);
            asking.start();
            return c;
        }
        c.go("disk", false);
        for (int i = 0; i < 64; i++) {
            c.header(Nbd.REQUEST_MAGIC, 0, Nbd.CMD_READ, 0, MIB);
        }
        c.out.flush();
        return c;
    }

    private static Conn close(Conn c) {
        if (c != null) {
            c.close();
        }
        return null;
    }

    /**
     * A raw connection: the greeting, GO (with structured replies and base:allocation, or simple
     * replies), request headers, and replies checked for their framing.
     */
    private final class Conn implements Closeable {
        final Socket socket = new Socket();
        final DataInputStream in;
        final DataOutputStream out;
        boolean readOnly;
        boolean structured;
        long cookie = 1;
        /** The length the last request header said, for checking its block status reply. */
        long asked;

        Conn(int receiveBuffer) throws IOException {
            if (receiveBuffer > 0) {
                socket.setReceiveBufferSize(receiveBuffer);
            }
            socket.connect(new InetSocketAddress("127.0.0.1", server.port()), 10_000);
            socket.setSoTimeout(10_000);
            in = new DataInputStream(new BufferedInputStream(socket.getInputStream()));
            out = new DataOutputStream(new BufferedOutputStream(socket.getOutputStream()));
        }

        void greeting() throws IOException {
            assertEquals(Nbd.NBDMAGIC, in.readLong(), "greeting");
            assertEquals(Nbd.IHAVEOPT, in.readLong(), "greeting");
            in.readUnsignedShort();
        }

        void go(String export, boolean structured) throws IOException {
            greeting();
            out.writeInt(Nbd.CLIENT_FIXED_NEWSTYLE | Nbd.CLIENT_NO_ZEROES);
            byte[] name = export.getBytes(StandardCharsets.UTF_8);
            if (structured) {
                option(Nbd.OPT_STRUCTURED_REPLY, new byte[0]);
                assertEquals(Nbd.REP_ACK, optionReply(Nbd.OPT_STRUCTURED_REPLY), "structured replies");
                byte[] q = Nbd.BASE_ALLOCATION.getBytes(StandardCharsets.UTF_8);
                option(Nbd.OPT_SET_META_CONTEXT, ByteBuffer.allocate(4 + name.length + 4 + 4 + q.length)
                        .putInt(name.length).put(name).putInt(1).putInt(q.length).put(q).array());
                assertEquals(Nbd.REP_META_CONTEXT, optionReply(Nbd.OPT_SET_META_CONTEXT), "base:allocation");
                assertEquals(Nbd.REP_ACK, optionReply(Nbd.OPT_SET_META_CONTEXT), "base:allocation");
                this.structured = true;
            }
            out.writeLong(Nbd.IHAVEOPT);
            out.writeInt(Nbd.OPT_GO);
            out.writeInt(4 + name.length + 2);
            out.writeInt(name.length);
            out.write(name);
            out.writeShort(0);
            out.flush();
            while (true) {
                int type = optionReply(Nbd.OPT_GO);
                assertTrue(type == Nbd.REP_ACK || type == Nbd.REP_INFO, "GO " + export + ": " + type);
                if (type == Nbd.REP_ACK) {
                    readOnly = export.equals("ro");
                    return;
                }
            }
        }

        private void option(int option, byte[] data) throws IOException {
            out.writeLong(Nbd.IHAVEOPT);
            out.writeInt(option);
            out.writeInt(data.length);
            out.write(data);
            out.flush();
        }

        /** One option reply's type, its payload skipped. */
        private int optionReply(int option) throws IOException {
            assertEquals(Nbd.OPTION_REPLY_MAGIC, in.readLong(), "option reply");
            assertEquals(option, in.readInt(), "the option replied to");
            int type = in.readInt();
            in.readFully(new byte[in.readInt()]);
            return type;
        }

        long header(int magic, int flags, int type, long offset, int length) throws IOException {
            long c = cookie++;
            out.writeInt(magic);
            out.writeShort(flags);
            out.writeShort(type);
            out.writeLong(c);
            out.writeLong(offset);
            out.writeInt(length);
            asked = Integer.toUnsignedLong(length);
            return c;
        }

        long request(int flags, int type, long offset, long length, byte[] payload) throws IOException {
            long c = header(Nbd.REQUEST_MAGIC, flags, type, offset, (int) length);
            if (payload != null) {
                out.write(payload);
            }
            out.flush();
            return c;
        }

        /**
         * A reply's error (0: success); a read's data, if {@code data} is given, into it. Structured
         * chunks must lie inside the request ({@code offset} and the data's length) and cover all of
         * a read that succeeds; block status descriptors must not be empty nor go past the request.
         */
        int reply(long c, byte[] data, long offset) throws IOException {
            int magic = in.readInt();
            if (magic == Nbd.SIMPLE_REPLY_MAGIC) {
                int errno = in.readInt();
                assertEquals(c, in.readLong(), "reply cookie");
                if (errno == 0 && data != null) {
                    assertTrue(!structured, "a read answered with a simple reply after structured replies");
                    in.readFully(data);
                }
                return errno;
            }
            assertTrue(structured && magic == Nbd.STRUCTURED_REPLY_MAGIC, "reply magic 0x"
                    + Integer.toHexString(magic));
            int errno = 0;
            long covered = 0;
            while (true) {
                if (magic != Nbd.STRUCTURED_REPLY_MAGIC) {
                    assertEquals(Nbd.STRUCTURED_REPLY_MAGIC, in.readInt(), "chunk magic");
                }
                magic = 0;
                int flags = in.readUnsignedShort();
                int type = in.readUnsignedShort();
                assertEquals(c, in.readLong(), "chunk cookie");
                int length = in.readInt();
                assertTrue(length >= 0 && length <= Nbd.MAX_PAYLOAD + 64, "a chunk of " + length + " bytes");
                ByteBuffer p = ByteBuffer.wrap(in.readNBytes(length));
                assertEquals(length, p.capacity(), "a whole chunk");
                switch (type) {
                    case Nbd.REPLY_NONE -> assertEquals(0, length, "a NONE chunk's length");
                    case Nbd.REPLY_OFFSET_DATA, Nbd.REPLY_OFFSET_HOLE -> {
                        long at = p.getLong();
                        int n = type == Nbd.REPLY_OFFSET_DATA ? p.remaining() : p.getInt();
                        assertTrue(data != null && at >= offset && n > 0 && at - offset + n <= data.length,
                                "a read chunk " + at + "+" + n + " outside the request");
                        if (type == Nbd.REPLY_OFFSET_DATA) {
                            p.get(data, (int) (at - offset), n);
                        } else {
                            Arrays.fill(data, (int) (at - offset), (int) (at - offset) + n, (byte) 0);
                        }
                        covered += n;
                    }
                    case Nbd.REPLY_BLOCK_STATUS -> {
                        assertEquals(Nbd.CONTEXT_BASE_ALLOCATION, p.getInt(), "the context id");
                        while (p.hasRemaining()) {
                            long n = Integer.toUnsignedLong(p.getInt());
                            int state = p.getInt();
                            assertTrue(n > 0 && (state & ~(Nbd.STATE_HOLE | Nbd.STATE_ZERO)) == 0, "descriptor " + n
                                    + "/" + state);
                            covered += n;
                        }
                    }
                    case Nbd.REPLY_ERROR -> {
                        errno = p.getInt();
                        assertTrue(errno != 0 && p.getShort() == p.remaining(), "an error chunk's message length");
                    }
                    default -> throw new AssertionError("chunk type " + type);
                }
                if ((flags & Nbd.REPLY_FLAG_DONE) != 0) {
                    break;
                }
            }
            if (errno == 0 && data != null) {
                assertEquals(data.length, covered, "the read's chunks cover it all");
            } else if (errno == 0) {
                assertTrue(covered <= asked, "block status of " + covered + " bytes for " + asked);
            }
            return errno;
        }

        /** Reads until the server closes; the bytes it still sent. A server that neither closes nor sends fails. */
        int drain() throws IOException {
            byte[] sink = new byte[8192];
            int total = 0;
            try {
                for (int n; (n = in.read(sink)) >= 0; ) {
                    total += n;
                }
            } catch (SocketTimeoutException e) {
                throw new IOException("the server neither closed the connection nor sent anything for 10 s", e);
            } catch (SocketException | EOFException reset) {
                // closed with unread data on its side: a reset is a close too
            }
            return total;
        }

        @Override
        public void close() {
            try {
                socket.close();
            } catch (IOException ignored) {
                // closing
            }
        }
    }
}
