package org.cowstack.storage.device.base;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.reflect.Field;
import java.nio.ByteBuffer;

/**
 * Releases a direct or mapped buffer at once instead of when the collector finds it:
 * a RAM disk gives its memory back and a mapping is unmapped when the device closes or
 * its bundle stops, not minutes later. Uses {@code sun.misc.Unsafe.invokeCleaner},
 * the supported way on Java 9 to 21 and still present on 25; where it is not reachable
 * (the framework does not export {@code sun.misc}) the buffer is left to the collector.
 *
 * <p>The caller guarantees that nothing touches the buffer afterwards: an access to a
 * released buffer crashes the JVM. {@link AbstractBlockDevice#close()} provides that.
 */
public final class Unmapper {
    /** {@code Unsafe.invokeCleaner(ByteBuffer)} bound to the instance, or null. */
    private static final MethodHandle INVOKE_CLEANER = lookup();

    private Unmapper() {
    }

    private static MethodHandle lookup() {
        try {
            Class<?> unsafe = Class.forName("sun.misc.Unsafe");
            Field f = unsafe.getDeclaredField("theUnsafe");
            f.setAccessible(true);
            return MethodHandles.lookup()
                    .findVirtual(unsafe, "invokeCleaner", MethodType.methodType(void.class, ByteBuffer.class))
                    .bindTo(f.get(null));
        } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
            return null;
        }
    }

    /** True when buffers are released at once. */
    public static boolean available() {
        return INVOKE_CLEANER != null;
    }

    /**
     * Releases {@code buffer}, a direct buffer that is not a slice or duplicate.
     *
     * @return true when released now, false when left to the collector
     */
    public static boolean release(ByteBuffer buffer) {
        if (INVOKE_CLEANER == null || !buffer.isDirect()) {
            return false;
        }
        try {
            INVOKE_CLEANER.invokeExact(buffer);
            return true;
        } catch (RuntimeException e) {
            return false; // IllegalArgumentException for a slice or duplicate: its parent owns the memory
        } catch (Error e) {
            throw e;
        } catch (Throwable e) {
            throw new IllegalStateException("invokeCleaner threw a checked exception", e);
        }
    }
}
