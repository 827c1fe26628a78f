package org.cowstack.storage.cow.io;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ReadableByteChannel;

import org.cowstack.storage.api.InvalidArgumentException;
import org.cowstack.storage.api.SourceFaultException;
import org.cowstack.storage.cow.core.FileLocks;
import org.cowstack.storage.cow.core.VolumeCore;

/**
 * Appends (DESIGN P3): the position is fixed once, under the file's lock, and never
 * read again after a failure, so an append that fails part-way leaves the file as if a
 * prefix had been appended: never a hole, never a size without data.
 */
public final class Appends {
    /** Bytes an append from a channel reads before it writes them. */
    private static final int CHUNK = 1 << 20;

    private final VolumeCore core;
    private final BufferedWriter buffered;
    private final DirectWriter direct;

    public Appends(VolumeCore core, BufferedWriter buffered, DirectWriter direct) {
        this.core = core;
        this.buffered = buffered;
        this.direct = direct;
    }

    private int write(long ino, String path, ByteBuffer src, long at, boolean isDirect) throws IOException {
        return isDirect ? direct.write(ino, path, src, at) : buffered.write(ino, path, src, at);
    }

    /** {@code FileHandle.append}: answers the offset the data went to. */
    @SuppressWarnings("try") // the file lock is held by the try and released by it, never referenced
    public long append(long ino, String path, ByteBuffer src, boolean isDirect) throws IOException {
        core.checkWritable();
        try (FileLocks.Held held = core.fileLocks.lock(ino)) {
            long at = core.size(ino, path);
            write(ino, path, src, at, isDirect);
            return at;
        }
    }

    /**
     * {@code FileHandle.appendFrom}: appends what {@code source} delivers, up to
     * {@code count} bytes. If the channel throws, exactly the bytes it delivered are
     * appended and the call fails with {@link SourceFaultException} saying how many.
     */
    @SuppressWarnings("try") // the file lock is held by the try and released by it, never referenced
    public long appendFrom(long ino, String path, ReadableByteChannel source, long count, boolean isDirect)
            throws IOException {
        core.checkWritable();
        if (count < 0) {
            throw new InvalidArgumentException("count", count, ">= 0");
        }
        try (FileLocks.Held held = core.fileLocks.lock(ino)) {
            long at = core.size(ino, path); // fixed once: a failure below never moves it
            ByteBuffer chunk = core.device.allocate((int) Math.min(CHUNK, Math.max(core.blockSize, count)));
            long done = 0;
            IOException fault = null;
            boolean end = false;
            while (done < count && !end && fault == null) {
                chunk.clear().limit((int) Math.min(chunk.capacity(), count - done));
                try {
                    while (chunk.hasRemaining()) {
                        if (source.read(chunk) < 0) {
                            end = true;
                            break;
                        }
                    }
                } catch (IOException e) {
                    fault = e; // what it delivered before is still written: it is the prefix
                } catch (RuntimeException e) {
                    fault = new IOException(e.toString(), e);
                }
                chunk.flip();
                if (chunk.hasRemaining()) {
                    int n = chunk.remaining();
                    write(ino, path, chunk, at + done, isDirect);
                    done += n;
                }
            }
            if (fault != null) {
                throw new SourceFaultException(path, at, done, fault);
            }
            return done;
        }
    }
}
