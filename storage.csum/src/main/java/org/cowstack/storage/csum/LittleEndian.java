package org.cowstack.storage.csum;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/** Integer digests are stored little-endian, as btrfs stores crc32c and xxhash64. */
final class LittleEndian {
    private static final VarHandle INT = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle LONG = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

    private LittleEndian() {
    }

    static void putInt(byte[] out, int offset, int value) {
        INT.set(out, offset, value);
    }

    static void putLong(byte[] out, int offset, long value) {
        LONG.set(out, offset, value);
    }
}
