package org.cowstack.storage.device.log;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import org.cowstack.storage.api.device.BlockDevice;
import org.cowstack.storage.api.device.OpenOptions;
import org.cowstack.storage.device.mem.MemDeviceProvider;
import org.junit.jupiter.api.Test;

class LogDeviceTest {
    private static final int B = 4096;

    private static ByteBuffer filled(int value) {
        byte[] b = new byte[B];
        Arrays.fill(b, (byte) value);
        return ByteBuffer.wrap(b);
    }

    @Test
    void theLogReplaysToEveryPointAndACrashKeepsOnlyWhatAFlushMadeDurable() throws IOException {
        MemDeviceProvider mem = new MemDeviceProvider();
        LogDeviceProvider logs = new LogDeviceProvider(s -> s.equals("mem") ? mem : null);
        URI uri = URI.create("log:mem:d");
        try (BlockDevice d = logs.open(uri, OpenOptions.create(64 * B))) {
            d.write(filled(1), 0);
            d.flush();
            d.write(filled(2), B);
            d.write(filled(3), 0);
        }
        WriteLog log = logs.log(uri);
        int mark = log.mark("end");
        try (BlockDevice d = logs.open(uri, OpenOptions.readWrite())) {
            d.write(filled(4), 2 * B); // a second open appends to the same history
        }
        assertEquals(List.of(1), log.indexes(WriteLog.Kind.FLUSH));
        assertEquals(List.of(4), log.indexes(WriteLog.Kind.MARK));
        assertEquals(6, log.size());
        Replayer r = new Replayer(log);
        byte[] atMark = r.after(mark);
        assertEquals(3, atMark[0]);
        assertEquals(2, atMark[B]);
        assertEquals(0, atMark[2 * B]);
        assertEquals(1, r.after(2)[0], "the first flush");
        assertEquals(4, r.after(log.size())[2 * B]);
        try (BlockDevice image = Replayer.device(URI.create("image:x"), r.after(log.size()), B)) {
            ByteBuffer b = ByteBuffer.allocate(B);
            image.read(b, 2 * B);
            assertArrayEquals(filled(4).array(), b.array());
        }
        Random random = new Random(7);
        boolean sawOld = false;
        boolean sawNew = false;
        boolean sawTorn = false;
        for (int i = 0; i < 200; i++) {
            byte[] crashed = r.crash(mark, random, null);
            assertTrue(crashed[0] == 1 || crashed[0] == 3, "block 0 holds the flushed or the later write");
            sawOld |= crashed[0] == 1;
            sawNew |= crashed[0] == 3;
            sawTorn |= crashed[0] == 3 && crashed[B - 1] == 1;
            assertTrue(crashed[B] == 0 || crashed[B] == 2);
        }
        assertTrue(sawOld && sawNew && sawTorn, "drops, landings and tears all happen");
        mem.deactivate();
    }
}
