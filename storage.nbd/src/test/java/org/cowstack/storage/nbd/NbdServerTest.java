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
    @Test
    void simpleRepliesReadWriteFlushTrimAndZero() throws Exception {
        try (NbdClient c = new NbdClient(server.port())) {
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
        try (NbdClient c = new NbdClient(server.port())) {
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
        try (NbdClient c = new NbdClient(server.port())) {
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
        try (NbdClient c = new NbdClient(server.port())) {
            c.go("ro");
            assertEquals(Nbd.EPERM, c.simpleReply(c.request(0, Nbd.CMD_WRITE, 0, 512, new byte[512]), null));
            assertEquals(Nbd.EPERM, c.simpleReply(c.request(0, Nbd.CMD_TRIM, 0, 512, null), null));
            assertEquals(Nbd.EPERM, c.simpleReply(c.request(0, Nbd.CMD_WRITE_ZEROES, 0, 512, null), null));
            assertEquals(0, c.simpleReply(c.request(0, Nbd.CMD_FLUSH, 0, 0, null), null));
        }
    }

    @Test
    void structuredReadsSendHolesAndBlockStatusFollowsTheExtents() throws Exception {
        try (NbdClient c = new NbdClient(server.port())) {
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
        try (NbdClient c = new NbdClient(server.port())) {
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
        try (NbdClient c = new NbdClient(server.port())) { // an option of 2 GiB
            c.out.writeLong(Nbd.IHAVEOPT);
            c.out.writeInt(Nbd.OPT_GO);
            c.out.writeInt(Integer.MAX_VALUE);
            c.out.flush();
            assertEquals(Nbd.REP_ERR_TOO_BIG, c.reply(Nbd.OPT_GO)[0]);
            assertThrows(EOFException.class, () -> c.in.readInt(), "closed");
        }
        try (NbdClient c = new NbdClient(server.port())) { // a bad option magic
            c.out.writeLong(0x1234);
            c.out.flush();
            assertThrows(EOFException.class, () -> c.in.readInt());
        }
        try (NbdClient c = new NbdClient(server.port())) { // garbage after the handshake
            c.go("disk");
            c.out.write(filled(64, 0x77));
            c.out.flush();
            assertThrows(EOFException.class, () -> c.in.readInt());
        }
        try (NbdClient c = new NbdClient(server.port())) { // a write announcing 4 GiB - 1
            c.go("disk");
            long cookie = c.request(0, Nbd.CMD_WRITE, 0, 0xFFFF_FFFFL, null);
            assertEquals(Nbd.EINVAL, c.simpleReply(cookie, null));
            assertThrows(EOFException.class, () -> c.in.readInt());
        }
        try (NbdClient c = new NbdClient(server.port())) { // a request at offset 2^63 and more
            c.go("disk");
            assertEquals(Nbd.ENOSPC, c.simpleReply(c.request(0, Nbd.CMD_WRITE, Long.MIN_VALUE, 512, new byte[512]),
                    null));
        }
        try (NbdClient c = new NbdClient(server.port())) { // and a well-behaved client is served all along
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
        try (NbdClient c = new NbdClient(server.port())) {
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
        try (NbdClient c = new NbdClient(server.port())) {
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

    /**
     * Block status of a range with dirty pages writes those pages back (as
     * FIEMAP_FLAG_SYNC does) so delayed allocation shows as data, but commits nothing:
     * a backup client asking block status of a disk being written does not force a
     * commit per request.
     */
    @Test
    void blockStatusOfDirtyDataShowsDataAndCommitsNothing() throws Exception {
        try (NbdClient c = new NbdClient(server.port())) {
            c.negotiateStructured();
            c.setBaseAllocation("disk");
            c.go("disk");
            try (FileHandle f = volume.open("/disk", EnumSet.of(StandardOpenOption.READ, StandardOpenOption.WRITE))) {
                f.write(ByteBuffer.wrap(filled(8192, 0x44)), 3L * MIB); // in the page cache, over a hole
            }
            long generation = volume.committedGeneration();
            List<Object[]> status = c.chunks(c.request(0, Nbd.CMD_BLOCK_STATUS, 3L * MIB, MIB, null), new byte[0], 0);
            assertEquals(List.of(8192L + ":0", (MIB - 8192L) + ":" + (Nbd.STATE_HOLE | Nbd.STATE_ZERO)),
                    status.stream().map(k -> k[1] + ":" + k[2]).toList());
            assertEquals(generation, volume.committedGeneration(), "block status committed nothing");
        }
    }

    /**
     * An engine update unmounts the volume and mounts it again under a connected client:
     * a write that meets the unmounted volume waits for it, is run again on the file
     * reopened there, and is acknowledged; the data is there, the connection goes on.
     */
    @Test
    void aRequestWaitsOutAnEngineSwapAndCompletes() throws Exception {
        try (NbdClient c = new NbdClient(server.port())) {
            c.go("disk");
            assertEquals(0, c.simpleReply(c.request(0, Nbd.CMD_WRITE, 0, 4096, filled(4096, 0x11)), null));
            volume.unmount();
            long cookie = c.request(Nbd.CMD_FLAG_FUA, Nbd.CMD_WRITE, 8192, 4096, filled(4096, 0x22));
            Thread.sleep(300); // the write waits for the volume meanwhile
            assertEquals(0, c.in.available(), "no reply while the volume is away");
            mountAgain();
            assertEquals(0, c.simpleReply(cookie, null));
            byte[] back = new byte[12288];
            assertEquals(0, c.simpleReply(c.request(0, Nbd.CMD_READ, 0, back.length, null), back));
            assertArrayEquals(filled(4096, 0x11), java.util.Arrays.copyOfRange(back, 0, 4096));
            assertArrayEquals(filled(4096, 0x22), java.util.Arrays.copyOfRange(back, 8192, 12288));
        }
    }

    /** MULTI_CONN is advertised, unless the export's configuration turns it off. */
    @Test
    void multiConnIsAdvertisedUnlessTheExportSaysNot() throws Exception {
        try (NbdClient c = new NbdClient(server.port())) {
            assertTrue((c.go("disk")[1] & Nbd.TF_CAN_MULTI_CONN) != 0, "disk advertises MULTI_CONN");
        }
        try (NbdClient c = new NbdClient(server.port())) {
            assertEquals(0, c.go("one")[1] & Nbd.TF_CAN_MULTI_CONN, "one does not");
        }
    }
}
