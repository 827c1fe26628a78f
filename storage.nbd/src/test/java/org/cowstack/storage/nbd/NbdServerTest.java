package org.cowstack.storage.nbd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;

import org.cowstack.storage.alloc.FirstFit;
import org.cowstack.storage.api.device.BlockDevice;
import org.cowstack.storage.api.device.OpenOptions;
import org.cowstack.storage.api.volume.FallocateMode;
import org.cowstack.storage.api.volume.FileHandle;
import org.cowstack.storage.api.volume.FormatOptions;
import org.cowstack.storage.api.volume.MountOptions;
import org.cowstack.storage.cow.bind.VolumeServices;
import org.cowstack.storage.cow.fs.CowVolume;
import org.cowstack.storage.csum.Crc32c;
import org.cowstack.storage.device.mem.MemDeviceProvider;
import org.cowstack.storage.dio.Bounce;
import org.cowstack.storage.dio.Buffered;
import org.cowstack.storage.dio.Direct;
import org.cowstack.storage.dio.NoDataSum;
import org.cowstack.storage.dio.Verify;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The NBD server against a real engine volume, driven by a client written here from the
 * protocol (every byte on the wire checked): negotiation, every command, every error the
 * spec fixes, and hostile input that must end one connection and nothing else.
 */
class NbdServerTest extends ServerFixture {
    /** A client that speaks the protocol byte by byte. */
    final class Client implements AutoCloseable {
        final Socket socket;
        final DataInputStream in;
        final DataOutputStream out;
        boolean structured;
        long cookie = 1;

        Client() throws IOException {
            socket = new Socket("127.0.0.1", server.port());
            socket.setSoTimeout(10_000);
            in = new DataInputStream(socket.getInputStream());
            out = new DataOutputStream(socket.getOutputStream());
            assertEquals(Nbd.NBDMAGIC, in.readLong());
            assertEquals(Nbd.IHAVEOPT, in.readLong());
            assertEquals(Nbd.FLAG_FIXED_NEWSTYLE | Nbd.FLAG_NO_ZEROES, in.readUnsignedShort());
            out.writeInt(Nbd.CLIENT_FIXED_NEWSTYLE | Nbd.CLIENT_NO_ZEROES);
        }

        void option(int option, byte[] data) throws IOException {
            out.writeLong(Nbd.IHAVEOPT);
            out.writeInt(option);
            out.writeInt(data.length);
            out.write(data);
            out.flush();
        }

        /** One option reply: {type, payload}. */
        Object[] reply(int option) throws IOException {
            assertEquals(Nbd.OPTION_REPLY_MAGIC, in.readLong());
            assertEquals(option, in.readInt());
            int type = in.readInt();
            byte[] payload = new byte[in.readInt()];
            in.readFully(payload);
            return new Object[] {type, payload};
        }

        /** GO to an export; the export's size and flags. */
        long[] go(String name) throws IOException {
            byte[] n = name.getBytes(StandardCharsets.UTF_8);
            ByteBuffer b = ByteBuffer.allocate(4 + n.length + 2 + 2).putInt(n.length).put(n).putShort((short) 1)
                    .putShort((short) Nbd.INFO_BLOCK_SIZE);
            option(Nbd.OPT_GO, b.array());
            long[] export = null;
            while (true) {
                Object[] r = reply(Nbd.OPT_GO);
                int type = (int) r[0];
                if (type == Nbd.REP_ACK) {
                    return export;
                }
                if (type < 0) {
                    throw new IOException("GO refused: " + Integer.toHexString(type) + " "
                            + new String((byte[]) r[1], StandardCharsets.UTF_8));
                }
                ByteBuffer p = ByteBuffer.wrap((byte[]) r[1]);
                int info = p.getShort();
                if (info == Nbd.INFO_EXPORT) {
                    export = new long[] {p.getLong(), p.getShort() & 0xffff};
                } else if (info == Nbd.INFO_BLOCK_SIZE) {
                    assertEquals(1, p.getInt());
                    assertEquals(4096, p.getInt());
                    assertEquals(Nbd.MAX_PAYLOAD, p.getInt());
                }
            }
        }

        void negotiateStructured() throws IOException {
            option(Nbd.OPT_STRUCTURED_REPLY, new byte[0]);
            assertEquals(Nbd.REP_ACK, reply(Nbd.OPT_STRUCTURED_REPLY)[0]);
            structured = true;
        }

        void setBaseAllocation(String export) throws IOException {
            byte[] n = export.getBytes(StandardCharsets.UTF_8);
            byte[] q = Nbd.BASE_ALLOCATION.getBytes(StandardCharsets.UTF_8);
            option(Nbd.OPT_SET_META_CONTEXT, ByteBuffer.allocate(4 + n.length + 4 + 4 + q.length).putInt(n.length)
                    .put(n).putInt(1).putInt(q.length).put(q).array());
            Object[] r = reply(Nbd.OPT_SET_META_CONTEXT);
            assertEquals(Nbd.REP_META_CONTEXT, r[0]);
            assertEquals(Nbd.CONTEXT_BASE_ALLOCATION, ByteBuffer.wrap((byte[]) r[1]).getInt());
            assertEquals(Nbd.REP_ACK, reply(Nbd.OPT_SET_META_CONTEXT)[0]);
        }

        long request(int flags, int type, long offset, long length, byte[] payload) throws IOException {
            long c = cookie++;
            out.writeInt(Nbd.REQUEST_MAGIC);
            out.writeShort(flags);
            out.writeShort(type);
            out.writeLong(c);
            out.writeLong(offset);
            out.writeInt((int) length);
            if (payload != null) {
                out.write(payload);
            }
            out.flush();
            return c;
        }

        /** A simple reply's error (0: success), data read into {@code data} if given and successful. */
        int simpleReply(long c, byte[] data) throws IOException {
            assertEquals(Nbd.SIMPLE_REPLY_MAGIC, in.readInt());
            int errno = in.readInt();
            assertEquals(c, in.readLong());
            if (errno == 0 && data != null) {
                in.readFully(data);
            }
            return errno;
        }

        /** Structured reply chunks until DONE: {type, offset-or-errno, bytes}. */
        List<Object[]> chunks(long c, byte[] into, long base) throws IOException {
            List<Object[]> out = new ArrayList<>();
            while (true) {
                assertEquals(Nbd.STRUCTURED_REPLY_MAGIC, in.readInt());
                int flags = in.readUnsignedShort();
                int type = in.readUnsignedShort();
                assertEquals(c, in.readLong());
                int length = in.readInt();
                byte[] payload = new byte[length];
                in.readFully(payload);
                ByteBuffer p = ByteBuffer.wrap(payload);
                if (type == Nbd.REPLY_OFFSET_DATA) {
                    long off = p.getLong();
                    p.get(into, (int) (off - base), length - 8);
                    out.add(new Object[] {type, off, (long) length - 8});
                } else if (type == Nbd.REPLY_OFFSET_HOLE) {
                    long off = p.getLong();
                    int n = p.getInt();
                    java.util.Arrays.fill(into, (int) (off - base), (int) (off - base) + n, (byte) 0);
                    out.add(new Object[] {type, off, (long) n});
                } else if (type == Nbd.REPLY_ERROR) {
                    out.add(new Object[] {type, (long) p.getInt(), 0L});
                } else if (type == Nbd.REPLY_BLOCK_STATUS) {
                    assertEquals(Nbd.CONTEXT_BASE_ALLOCATION, p.getInt());
                    while (p.hasRemaining()) {
                        out.add(new Object[] {type, Integer.toUnsignedLong(p.getInt()), (long) p.getInt()});
                    }
                } else {
                    out.add(new Object[] {type, 0L, 0L});
                }
                if ((flags & Nbd.REPLY_FLAG_DONE) != 0) {
                    return out;
                }
            }
        }

        /** The errno of a structured reply that must be one error chunk. */
        int structuredError(long c) throws IOException {
            List<Object[]> chunks = chunks(c, new byte[0], 0);
            assertEquals(1, chunks.size());
            return (int) chunks.get(0)[0] == Nbd.REPLY_ERROR ? (int) (long) chunks.get(0)[1] : 0;
        }

        void disconnect() throws IOException {
            request(0, Nbd.CMD_DISC, 0, 0, null);
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }

    @Test
    void simpleRepliesReadWriteFlushTrimAndZero() throws Exception {
        try (Client c = new Client()) {
            long[] export = c.go("disk");
            assertEquals(4L * MIB, export[0]);
            assertTrue((export[1] & Nbd.TF_CAN_MULTI_CONN) != 0 && (export[1] & Nbd.TF_READ_ONLY) == 0);
            byte[] data = new byte[4096];
            assertEquals(0, c.simpleReply(c.request(0, Nbd.CMD_READ, MIB, 4096, null), data));
            assertArrayEquals(filled(4096, 0xab), data);
            assertEquals(0, c.simpleReply(c.request(Nbd.CMD_FLAG_FUA, Nbd.CMD_WRITE, 0, 8192, filled(8192, 0x11)),
                    null));
            assertEquals(0, c.simpleReply(c.request(0, Nbd.CMD_FLUSH, 0, 0, null), null));
            assertEquals(0, c.simpleReply(c.request(0, Nbd.CMD_TRIM, MIB, 4096, null), null));
            assertEquals(0, c.simpleReply(c.request(Nbd.CMD_FLAG_NO_HOLE, Nbd.CMD_WRITE_ZEROES, 4096, 4096, null),
                    null));
            byte[] back = new byte[3 * 4096];
            assertEquals(0, c.simpleReply(c.request(0, Nbd.CMD_READ, 0, back.length, null), back));
            byte[] expect = new byte[3 * 4096];
            java.util.Arrays.fill(expect, 0, 4096, (byte) 0x11);
            assertArrayEquals(expect, back);
            assertEquals(0, c.simpleReply(c.request(0, Nbd.CMD_READ, MIB, 4096, null), data));
            assertArrayEquals(new byte[4096], data, "trimmed");
            c.disconnect();
        }
        try (FileHandle f = volume.open("/disk", EnumSet.of(StandardOpenOption.READ))) {
            ByteBuffer b = ByteBuffer.allocate(4096);
            f.read(b, 0);
            assertArrayEquals(filled(4096, 0x11), b.array(), "the write reached the file");
        }
    }

    /**
     * Requests sent in one go, a disconnect last: the server holds replies while the next
     * request is already there, so every reply must still come, in order, before it closes.
     */
    @Test
    void pipelinedRequestsAreAllAnsweredInOrderBeforeTheDisconnect() throws Exception {
        try (Client c = new Client()) {
            c.go("disk");
            java.io.ByteArrayOutputStream batch = new java.io.ByteArrayOutputStream();
            DataOutputStream b = new DataOutputStream(batch);
            int[][] requests = {{0, Nbd.CMD_WRITE, 0, 4096}, {0, Nbd.CMD_READ, MIB, 4096},
                {0, Nbd.CMD_READ, 0, 4096}, {0, Nbd.CMD_FLUSH, 0, 0}, {0, Nbd.CMD_READ, 2 * MIB, 4096},
                {0, Nbd.CMD_DISC, 0, 0}};
            for (int i = 0; i < requests.length; i++) {
                int[] r = requests[i];
                b.writeInt(Nbd.REQUEST_MAGIC);
                b.writeShort(r[0]);
                b.writeShort(r[1]);
                b.writeLong(100 + i);
                b.writeLong(r[2]);
                b.writeInt(r[3]);
                if (r[1] == Nbd.CMD_WRITE) {
                    b.write(filled(4096, 0x5a));
                }
            }
            c.out.write(batch.toByteArray());
            c.out.flush();
            byte[] data = new byte[4096];
            assertEquals(0, c.simpleReply(100, null));
            assertEquals(0, c.simpleReply(101, data));
            assertArrayEquals(filled(4096, 0xab), data);
            assertEquals(0, c.simpleReply(102, data));
            assertArrayEquals(filled(4096, 0x5a), data, "the read after the write sees it");
            assertEquals(0, c.simpleReply(103, null));
            assertEquals(0, c.simpleReply(104, data));
            assertArrayEquals(new byte[4096], data);
            assertEquals(-1, c.in.read(), "closed after the last reply");
        }
    }

    @Test
    void errorsAreTheSpecsAndTheConnectionGoesOn() throws Exception {
        try (Client c = new Client()) {
            c.go("disk");
            byte[] data = new byte[4096];
            assertEquals(Nbd.ENOSPC, c.simpleReply(c.request(0, Nbd.CMD_WRITE, 4L * MIB - 512, 1024,
                    new byte[1024]), null), "a write past the end");
            assertEquals(Nbd.EINVAL, c.simpleReply(c.request(0, Nbd.CMD_READ, 4L * MIB, 1, null), null),
                    "a read past the end");
            assertEquals(Nbd.EINVAL, c.simpleReply(c.request(0, Nbd.CMD_TRIM, 4L * MIB, 4096, null), null));
            assertEquals(Nbd.EINVAL, c.simpleReply(c.request(0, 42, 0, 0, null), null), "an unknown command");
            assertEquals(Nbd.EINVAL, c.simpleReply(c.request(1 << 9, Nbd.CMD_READ, 0, 512, null), null),
                    "an unknown flag");
            assertEquals(Nbd.EINVAL, c.simpleReply(c.request(0, Nbd.CMD_READ, 0, Nbd.MAX_PAYLOAD + 1L, null),
                    null), "a read over the maximum (EOVERFLOW is only for DF)");
            assertEquals(Nbd.EINVAL, c.simpleReply(c.request(Nbd.CMD_FLAG_DF, Nbd.CMD_READ, 0, 512, null), null),
                    "DF without structured replies");
            assertEquals(Nbd.EINVAL, c.simpleReply(c.request(0, Nbd.CMD_READ, -4096, 4096, null), null),
                    "an offset of 2^64 - 4096");
            assertEquals(Nbd.EINVAL, c.simpleReply(c.request(0, Nbd.CMD_BLOCK_STATUS, 0, 4096, null), null),
                    "block status without the context");
            assertEquals(0, c.simpleReply(c.request(0, Nbd.CMD_READ, MIB, 4096, null), data), "and on it goes");
            assertArrayEquals(filled(4096, 0xab), data);
        }
        try (Client c = new Client()) {
            c.go("ro");
            assertEquals(Nbd.EPERM, c.simpleReply(c.request(0, Nbd.CMD_WRITE, 0, 512, new byte[512]), null));
            assertEquals(Nbd.EPERM, c.simpleReply(c.request(0, Nbd.CMD_TRIM, 0, 512, null), null));
            assertEquals(Nbd.EPERM, c.simpleReply(c.request(0, Nbd.CMD_WRITE_ZEROES, 0, 512, null), null));
            assertEquals(0, c.simpleReply(c.request(0, Nbd.CMD_FLUSH, 0, 0, null), null));
        }
    }

    @Test
    void structuredReadsSendHolesAndBlockStatusFollowsTheExtents() throws Exception {
        try (Client c = new Client()) {
            c.negotiateStructured();
            c.setBaseAllocation("disk");
            c.go("disk");
            byte[] into = new byte[3 * MIB];
            List<Object[]> chunks = c.chunks(c.request(0, Nbd.CMD_READ, 0, into.length, null), into, 0);
            assertEquals(List.of("2:0:1048576", "1:1048576:1048576", "2:2097152:1048576"),
                    chunks.stream().map(k -> k[0] + ":" + k[1] + ":" + k[2]).toList());
            byte[] expect = new byte[3 * MIB];
            java.util.Arrays.fill(expect, MIB, 2 * MIB, (byte) 0xab);
            assertArrayEquals(expect, into);
            List<Object[]> status = c.chunks(c.request(0, Nbd.CMD_BLOCK_STATUS, 0, 4L * MIB, null), null, 0);
            assertEquals(List.of("1048576:3", "1048576:0", "2097152:3"),
                    status.stream().map(k -> k[1] + ":" + k[2]).toList());
            byte[] whole = new byte[3 * MIB];
            List<Object[]> df = c.chunks(c.request(Nbd.CMD_FLAG_DF, Nbd.CMD_READ, 0, whole.length, null), whole, 0);
            assertEquals(List.of("1:0:3145728"), df.stream().map(k -> k[0] + ":" + k[1] + ":" + k[2]).toList(),
                    "DF: one data chunk, the holes as zeros in it");
            assertArrayEquals(expect, whole);
            assertEquals(Nbd.EOVERFLOW, c.structuredError(c.request(Nbd.CMD_FLAG_DF, Nbd.CMD_READ, 0,
                    Nbd.MAX_PAYLOAD + 1L, null)), "DF over what one chunk takes");
            List<Object[]> one = c.chunks(c.request(Nbd.CMD_FLAG_REQ_ONE, Nbd.CMD_BLOCK_STATUS, MIB, 4L * MIB - MIB,
                    null), null, 0);
            assertEquals(1, one.size());
            assertEquals(Nbd.EINVAL, c.structuredError(c.request(0, Nbd.CMD_READ, 4L * MIB, 1, null)));
            volume.open("/disk", EnumSet.of(StandardOpenOption.WRITE)).fallocate(FallocateMode.ALLOCATE_KEEP_SIZE,
                    3L * MIB, MIB);
            List<Object[]> prealloc = c.chunks(c.request(0, Nbd.CMD_BLOCK_STATUS, 3L * MIB, MIB, null), null, 0);
            assertEquals("1048576:3", prealloc.get(0)[1] + ":" + prealloc.get(0)[2], "preallocated reads as zeros");
        }
    }

    @Test
    void negotiationAnswersEveryOptionAndGoesOn() throws Exception {
        try (Client c = new Client()) {
            c.option(Nbd.OPT_LIST, new byte[0]);
            List<String> names = new ArrayList<>();
            while (true) {
                Object[] r = c.reply(Nbd.OPT_LIST);
                if ((int) r[0] == Nbd.REP_ACK) {
                    break;
                }
                ByteBuffer p = ByteBuffer.wrap((byte[]) r[1]);
                byte[] n = new byte[p.getInt()];
                p.get(n);
                names.add(new String(n, StandardCharsets.UTF_8));
            }
            assertEquals(List.of("disk", "ro"), names);
            c.option(99, new byte[] {1, 2, 3});
            assertEquals(Nbd.REP_ERR_UNSUP, c.reply(99)[0]);
            c.option(Nbd.OPT_STARTTLS, new byte[0]);
            assertEquals(Nbd.REP_ERR_UNSUP, c.reply(Nbd.OPT_STARTTLS)[0]);
            assertEquals("GO refused: 80000006 no export named 'nosuch'",
                    assertThrows(IOException.class, () -> c.go("nosuch")).getMessage());
            c.option(Nbd.OPT_GO, new byte[] {0, 0, 0, 9, 'x'}); // a name longer than the option
            assertEquals(Nbd.REP_ERR_INVALID, c.reply(Nbd.OPT_GO)[0]);
            c.option(Nbd.OPT_SET_META_CONTEXT, new byte[] {0, 0, 0, 4, 'd', 'i', 's', 'k', 0, 0, 0, 0});
            assertEquals(Nbd.REP_ERR_INVALID, c.reply(Nbd.OPT_SET_META_CONTEXT)[0], "before structured replies");
            assertEquals(4L * MIB, c.go("disk")[0]);
            byte[] data = new byte[512];
            assertEquals(0, c.simpleReply(c.request(0, Nbd.CMD_READ, MIB, 512, null), data));
        }
    }

    @Test
    void hostileClientsLoseTheirConnectionAndNothingElse() throws Exception {
        try (Client c = new Client()) { // an option of 2 GiB
            c.out.writeLong(Nbd.IHAVEOPT);
            c.out.writeInt(Nbd.OPT_GO);
            c.out.writeInt(Integer.MAX_VALUE);
            c.out.flush();
            assertEquals(Nbd.REP_ERR_TOO_BIG, c.reply(Nbd.OPT_GO)[0]);
            assertThrows(EOFException.class, () -> c.in.readInt(), "closed");
        }
        try (Client c = new Client()) { // a bad option magic
            c.out.writeLong(0x1234);
            c.out.flush();
            assertThrows(EOFException.class, () -> c.in.readInt());
        }
        try (Client c = new Client()) { // garbage after the handshake
            c.go("disk");
            c.out.write(filled(64, 0x77));
            c.out.flush();
            assertThrows(EOFException.class, () -> c.in.readInt());
        }
        try (Client c = new Client()) { // a write announcing 4 GiB - 1
            c.go("disk");
            long cookie = c.request(0, Nbd.CMD_WRITE, 0, 0xFFFF_FFFFL, null);
            assertEquals(Nbd.EINVAL, c.simpleReply(cookie, null));
            assertThrows(EOFException.class, () -> c.in.readInt());
        }
        try (Client c = new Client()) { // a request at offset 2^63 and more
            c.go("disk");
            assertEquals(Nbd.ENOSPC, c.simpleReply(c.request(0, Nbd.CMD_WRITE, Long.MIN_VALUE, 512, new byte[512]),
                    null));
        }
        try (Client c = new Client()) { // and a well-behaved client is served all along
            c.go("disk");
            byte[] data = new byte[4096];
            assertEquals(0, c.simpleReply(c.request(0, Nbd.CMD_READ, MIB, 4096, null), data));
            assertArrayEquals(filled(4096, 0xab), data);
        }
        long deadline = System.currentTimeMillis() + 5000;
        while (server.clients() > 0 && System.currentTimeMillis() < deadline) {
            Thread.sleep(10);
        }
        assertEquals(0, server.clients(), "every connection ended");
        synchronized (log) {
            assertTrue(log.stream().allMatch(l -> l.startsWith("nbd: closed the connection from ")
                    && !l.contains("\n")), String.valueOf(log));
        }
    }

    @Test
    void dirtyBitmapsAreMetaContextsBesideBaseAllocation() throws Exception {
        try (FileHandle f = volume.open("/disk", EnumSet.of(StandardOpenOption.READ, StandardOpenOption.WRITE))) {
            f.bitmaps().add("b0", org.cowstack.storage.api.bitmap.BitmapOptions.defaults());
            f.write(ByteBuffer.wrap(filled(4096, 1)), 3L * MIB + 4096); // one 64 KiB granule dirty
        }
        try (Client c = new Client()) {
            c.negotiateStructured();
            byte[] n = "disk".getBytes(StandardCharsets.UTF_8);
            byte[] q = "qemu:".getBytes(StandardCharsets.UTF_8);
            c.option(Nbd.OPT_LIST_META_CONTEXT, ByteBuffer.allocate(4 + n.length + 4 + 4 + q.length).putInt(n.length)
                    .put(n).putInt(1).putInt(q.length).put(q).array());
            Object[] listed = c.reply(Nbd.OPT_LIST_META_CONTEXT);
            assertEquals(Nbd.REP_META_CONTEXT, listed[0]);
            assertEquals("qemu:dirty-bitmap:b0", new String((byte[]) listed[1], 4, ((byte[]) listed[1]).length - 4,
                    StandardCharsets.UTF_8));
            assertEquals(Nbd.REP_ACK, c.reply(Nbd.OPT_LIST_META_CONTEXT)[0]);
            byte[] a = Nbd.BASE_ALLOCATION.getBytes(StandardCharsets.UTF_8);
            byte[] d = "qemu:dirty-bitmap:b0".getBytes(StandardCharsets.UTF_8);
            byte[] x = "qemu:dirty-bitmap:nosuch".getBytes(StandardCharsets.UTF_8);
            c.option(Nbd.OPT_SET_META_CONTEXT, ByteBuffer.allocate(4 + n.length + 4 + 12 + a.length + d.length
                    + x.length).putInt(n.length).put(n).putInt(3).putInt(a.length).put(a).putInt(d.length).put(d)
                    .putInt(x.length).put(x).array());
            assertEquals(Nbd.REP_META_CONTEXT, c.reply(Nbd.OPT_SET_META_CONTEXT)[0]);
            assertEquals(Nbd.REP_META_CONTEXT, c.reply(Nbd.OPT_SET_META_CONTEXT)[0]);
            assertEquals(Nbd.REP_ACK, c.reply(Nbd.OPT_SET_META_CONTEXT)[0], "the unknown bitmap is not selected");
            c.go("disk");
            long cookie = c.request(0, Nbd.CMD_BLOCK_STATUS, 3L * MIB, MIB, null);
            // two chunks, one per context, the second DONE
            List<String> chunks = new ArrayList<>();
            for (int k = 0; k < 2; k++) {
                assertEquals(Nbd.STRUCTURED_REPLY_MAGIC, c.in.readInt());
                int flags = c.in.readUnsignedShort();
                assertEquals(Nbd.REPLY_BLOCK_STATUS, c.in.readUnsignedShort());
                assertEquals(cookie, c.in.readLong());
                ByteBuffer p = ByteBuffer.wrap(c.in.readNBytes(c.in.readInt()));
                StringBuilder line = new StringBuilder("context " + p.getInt() + " done " + (flags & 1) + ":");
                while (p.hasRemaining()) {
                    line.append(' ').append(p.getInt()).append('/').append(p.getInt());
                }
                chunks.add(line.toString());
            }
            assertEquals(List.of("context 1 done 0: 4096/3 4096/0 1040384/3",
                    "context 2 done 1: 65536/1 983040/0"), chunks);
        }
    }

    @Test
    void aStructuredReadOfDirtyDataNeitherCommitsNorShowsItAsAHole() throws Exception {
        try (Client c = new Client()) {
            c.negotiateStructured();
            c.go("disk");
            try (FileHandle f = volume.open("/disk", EnumSet.of(StandardOpenOption.READ, StandardOpenOption.WRITE))) {
                f.write(ByteBuffer.wrap(filled(8192, 0x33)), 3L * MIB); // in the page cache, over a hole
            }
            long generation = volume.committedGeneration();
            byte[] into = new byte[MIB];
            List<Object[]> chunks = c.chunks(c.request(0, Nbd.CMD_READ, 3L * MIB, into.length, null), into, 3L * MIB);
            assertEquals(List.of("1:3145728:8192", "2:3153920:1040384"),
                    chunks.stream().map(k -> k[0] + ":" + k[1] + ":" + k[2]).toList());
            byte[] expect = new byte[MIB];
            java.util.Arrays.fill(expect, 0, 8192, (byte) 0x33);
            assertArrayEquals(expect, into);
            assertEquals(generation, volume.committedGeneration(), "the read committed nothing");
        }
    }
}
