package org.cowstack.storage.device.file;

import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.util.Set;

import org.cowstack.storage.api.device.DeviceCapability;
import org.cowstack.storage.device.base.AbstractBlockDevice;
import org.cowstack.storage.device.base.BackingFile;

/** A device on an image file: positional reads and writes, {@code force} as the barrier. */
final class FileDevice extends AbstractBlockDevice {
    /** Give up after this many channels closed under one transfer: something else is wrong. */
    private static final int MAX_REOPENS = 3;
    /** Largest bounce buffer; bigger transfers go through it in pieces. */
    private static final int MAX_BOUNCE = 1 << 20;

    private final BackingFile file;
    private final boolean direct;

    FileDevice(URI uri, BackingFile file, long size, int blockSize, boolean readOnly,
            Set<DeviceCapability> capabilities, boolean direct) {
        super(uri, size, blockSize, readOnly, capabilities);
        this.file = file;
        this.direct = direct;
    }

    @Override
    protected void doRead(ByteBuffer dst, long offset) throws IOException {
        transfer(dst, offset, true);
    }

    @Override
    protected void doWrite(ByteBuffer src, long offset) throws IOException {
        transfer(src, offset, false);
    }

    private void transfer(ByteBuffer buf, long offset, boolean read) throws IOException {
        // O_DIRECT needs an aligned address. Heap buffers are bounced here too: JDK 17's
        // own aligned temporary buffer has no cleaner and fails with a
        // NullPointerException when the JDK releases it (seen in this project's tests).
        if (direct && (!buf.isDirect() || buf.alignmentOffset(buf.position(), blockSize()) != 0)) {
            bounce(buf, offset, read);
            return;
        }
        // A pending interrupt would make the channel close itself for every thread:
        // hold it back for the transfer, as the kernel does for block I/O, and restore it.
        boolean interrupted = Thread.interrupted();
        try {
            FileChannel channel = file.channel();
            long position = offset;
            int start = buf.position();
            for (int reopens = 0; buf.hasRemaining(); ) {
                try {
                    long at = position + (buf.position() - start);
                    int n = read ? channel.read(buf, at) : channel.write(buf, at);
                    if (n < 0) {
                        throw new IOException("the image file ends at " + channel.size()
                                + " bytes, inside the device; was it truncated by another program?");
                    }
                } catch (ClosedChannelException e) {
                    if (isClosed() || ++reopens > MAX_REOPENS) {
                        throw e;
                    }
                    interrupted |= Thread.interrupted();
                    channel = file.reopen(channel);
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Copies through an aligned direct buffer, in pieces of at most {@link #MAX_BOUNCE} bytes. */
    private void bounce(ByteBuffer buf, long offset, boolean read) throws IOException {
        ByteBuffer aligned = allocate(Math.min(buf.remaining(), MAX_BOUNCE));
        long at = offset;
        while (buf.hasRemaining()) {
            int n = Math.min(buf.remaining(), aligned.capacity());
            aligned.clear().limit(n);
            if (read) {
                transfer(aligned, at, true);
                buf.put(aligned.flip());
            } else {
                aligned.put(buf.slice(buf.position(), n)).flip();
                transfer(aligned, at, false);
                buf.position(buf.position() + n);
            }
            at += n;
        }
    }

    @Override
    protected void doFlush() throws IOException {
        boolean interrupted = Thread.interrupted();
        try {
            FileChannel channel = file.channel();
            try {
                channel.force(false); // fdatasync: the size is fixed, block allocation is included
            } catch (ClosedChannelException e) {
                if (isClosed()) {
                    throw e;
                }
                file.reopen(channel).force(false);
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    @Override
    protected void doClose() throws IOException {
        file.close();
    }

    @Override
    protected void removeCreatedStore() throws IOException {
        file.removeCreated();
    }
}
