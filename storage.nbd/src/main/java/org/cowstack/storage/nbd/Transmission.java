package org.cowstack.storage.nbd;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

import org.cowstack.storage.api.ChecksumMismatchException;
import org.cowstack.storage.api.InvalidArgumentException;
import org.cowstack.storage.api.MediaErrorException;
import org.cowstack.storage.api.NoSpaceException;
import org.cowstack.storage.api.OfflineException;
import org.cowstack.storage.api.ReadOnlyException;
import org.cowstack.storage.api.SuspendedException;
import org.cowstack.storage.api.volume.ExtentMapping;
import org.cowstack.storage.api.volume.FallocateMode;
import org.cowstack.storage.api.volume.FileHandle;

/**
 * The transmission phase of one connection: requests read one at a time and answered in
 * order, simple or structured replies as negotiated. A request the volume cannot serve
 * (a checksum or media error, no space, a suspended volume) gets its error and the
 * connection goes on; a malformed request gets EINVAL (a write over the payload limit
 * too, its payload read and dropped); a bad magic, or a write announcing more than twice
 * the limit (a payload not worth reading), ends the connection.
 */
final class Transmission {
    private final Wire wire;
    private final Handshake.Result session;
    private final ExportFile file;
    private final AtomicLong bytesIn;
    private final AtomicLong bytesOut;
    private final long size;
    /** One buffer per connection for payloads, grown up to {@link Nbd#MAX_PAYLOAD}. */
    private ByteBuffer buffer = ByteBuffer.allocate(64 << 10);

    Transmission(Wire wire, Handshake.Result session, ExportFile file, AtomicLong bytesIn, AtomicLong bytesOut) {
        this.wire = wire;
        this.session = session;
        this.file = file;
        this.bytesIn = bytesIn;
        this.bytesOut = bytesOut;
        this.size = session.size();
    }

    /** An error the request gets on the wire. */
    private static final class Refusal extends Exception {
        private static final long serialVersionUID = 1L;
        final int errno;

        Refusal(int errno, String message) {
            super(message, null, false, false);
            this.errno = errno;
        }
    }

    /** Serves requests until the client disconnects. */
    void run() throws IOException {
        while (true) {
            int magic = wire.in.readInt();
            if (magic != Nbd.REQUEST_MAGIC) {
                throw new Handshake.Ended("bad request magic 0x" + Integer.toHexString(magic));
            }
            int flags = Short.toUnsignedInt(wire.in.readShort());
            int type = Short.toUnsignedInt(wire.in.readShort());
            long cookie = wire.in.readLong();
            long offset = wire.in.readLong();
            long length = Integer.toUnsignedLong(wire.in.readInt());
            if (type == Nbd.CMD_DISC) {
                return;
            }
            if (type == Nbd.CMD_WRITE) {
                if (length > Nbd.MAX_PAYLOAD) {
                    String why = "a write of " + length + " bytes: at most " + Nbd.MAX_PAYLOAD;
                    if (length > 2L * Nbd.MAX_PAYLOAD) { // not read: the stream is lost
                        error(cookie, Nbd.EINVAL, why);
                        throw new Handshake.Ended("write payload of " + length + " bytes");
                    }
                    // A little over the limit: read past the payload so that the refusal comes after the
                    // whole request and the stream stays in step. A reply while the client is still
                    // sending is one libnbd cannot match to a request ("a bug in the server").
                    wire.skip(length);
                    error(cookie, Nbd.EINVAL, why);
                    continue;
                }
                readPayload((int) length);
            }
            try {
                serve(flags, type, cookie, offset, length);
            } catch (Refusal r) {
                error(cookie, r.errno, r.getMessage());
            }
        }
    }

    private void readPayload(int length) throws IOException {
        if (buffer.capacity() < length) {
            buffer = ByteBuffer.allocate(Math.max(length, Math.min(Nbd.MAX_PAYLOAD, 2 * buffer.capacity())));
        }
        wire.in.readFully(buffer.array(), 0, length);
        buffer.clear().limit(length);
        bytesIn.addAndGet(length);
    }

    private void serve(int flags, int type, long cookie, long offset, long length) throws IOException, Refusal {
        switch (type) {
            case Nbd.CMD_READ:
                allowFlags(flags, Nbd.CMD_FLAG_DF | Nbd.CMD_FLAG_FUA);
                if ((flags & Nbd.CMD_FLAG_DF) != 0 && !session.structured()) {
                    throw new Refusal(Nbd.EINVAL, "DF without structured replies");
                }
                if (length > Nbd.MAX_PAYLOAD) {
                    // the spec keeps EOVERFLOW for an unfragmented read too large to send whole
                    throw new Refusal((flags & Nbd.CMD_FLAG_DF) != 0 ? Nbd.EOVERFLOW : Nbd.EINVAL, "a read of "
                            + length + " bytes: at most " + Nbd.MAX_PAYLOAD);
                }
                inside(offset, length, Nbd.EINVAL);
                if (length == 0) {
                    done(cookie);
                } else {
                    read(cookie, offset, (int) length, (flags & Nbd.CMD_FLAG_DF) != 0);
                }
                return;
            case Nbd.CMD_WRITE:
                allowFlags(flags, Nbd.CMD_FLAG_FUA);
                writable();
                inside(offset, length, Nbd.ENOSPC);
                run(f -> {
                    buffer.position(0); // from the start again if the file was reopened under a write
                    while (buffer.hasRemaining()) {
                        f.write(buffer, offset + buffer.position());
                    }
                });
                fua(flags);
                done(cookie);
                return;
            case Nbd.CMD_FLUSH:
                allowFlags(flags, 0);
                run(FileHandle::fsync);
                done(cookie);
                return;
            case Nbd.CMD_TRIM:
                allowFlags(flags, Nbd.CMD_FLAG_FUA);
                writable();
                inside(offset, length, Nbd.EINVAL);
                if (length > 0) {
                    run(f -> f.fallocate(FallocateMode.PUNCH_HOLE, offset, length));
                }
                fua(flags);
                done(cookie);
                return;
            case Nbd.CMD_WRITE_ZEROES:
                allowFlags(flags, Nbd.CMD_FLAG_FUA | Nbd.CMD_FLAG_NO_HOLE | Nbd.CMD_FLAG_FAST_ZERO);
                writable();
                inside(offset, length, Nbd.ENOSPC);
                if (length > 0) {
                    // Both are metadata only here, so FAST_ZERO never has to fail.
                    FallocateMode mode = (flags & Nbd.CMD_FLAG_NO_HOLE) != 0 ? FallocateMode.ZERO_RANGE_KEEP_SIZE
                            : FallocateMode.PUNCH_HOLE;
                    run(f -> f.fallocate(mode, offset, length));
                }
                fua(flags);
                done(cookie);
                return;
            case Nbd.CMD_CACHE:
                allowFlags(flags, 0);
                inside(offset, length, Nbd.EINVAL);
                done(cookie);
                return;
            case Nbd.CMD_BLOCK_STATUS:
                allowFlags(flags, Nbd.CMD_FLAG_REQ_ONE);
                if (!session.structured() || session.contexts().isEmpty()) {
                    throw new Refusal(Nbd.EINVAL, "block status needs a meta context (base:allocation, "
                            + "qemu:dirty-bitmap:NAME)");
                }
                inside(offset, length, Nbd.EINVAL);
                if (length == 0) {
                    throw new Refusal(Nbd.EINVAL, "block status of 0 bytes");
                }
                blockStatus(cookie, offset, length, (flags & Nbd.CMD_FLAG_REQ_ONE) != 0);
                return;
            default:
                throw new Refusal(Nbd.EINVAL, "unknown command " + type);
        }
    }

    /**
     * Refuses flags the command does not take. FUA is taken by every command: the spec
     * says a server that advertised {@code NBD_FLAG_SEND_FUA} (always, here) MUST accept
     * it on all of them, even by ignoring it, because existing clients set it on flush
     * and cache too.
     */
    private static void allowFlags(int flags, int allowed) throws Refusal {
        if ((flags & ~(allowed | Nbd.CMD_FLAG_FUA)) != 0) {
            throw new Refusal(Nbd.EINVAL, "flags 0x" + Integer.toHexString(flags) + " not valid for this command");
        }
    }

    private void writable() throws Refusal {
        if (session.export().readOnly()) {
            throw new Refusal(Nbd.EPERM, "the export is read-only");
        }
    }

    /** The range must lie inside the export: else {@code errno} (EINVAL for reads, ENOSPC for writes, as the spec says). */
    private void inside(long offset, long length, int errno) throws Refusal {
        if (offset < 0 || offset > size || length > size - offset) {
            throw new Refusal(errno, "range " + Long.toUnsignedString(offset) + "+" + length + " past the end ("
                    + size + " bytes)");
        }
    }

    @FunctionalInterface
    private interface Op {
        void run(FileHandle f) throws IOException;
    }

    /** Runs a volume operation (again on the file reopened after an engine swap); its failure becomes the request's error. */
    private void run(Op op) throws Refusal {
        call(f -> {
            op.run(f);
            return null;
        });
    }

    private <T> T call(ExportFile.Call<T> call) throws Refusal {
        try {
            return file.call(call);
        } catch (IOException e) {
            throw refusal(e);
        }
    }

    private static Refusal refusal(IOException e) {
        int errno;
        if (e instanceof NoSpaceException) {
            errno = Nbd.ENOSPC;
        } else if (e instanceof ReadOnlyException) {
            errno = Nbd.EPERM;
        } else if (e instanceof InvalidArgumentException) {
            errno = Nbd.EINVAL;
        } else if (e instanceof SuspendedException || e instanceof OfflineException) {
            errno = Nbd.ESHUTDOWN;
        } else if (e instanceof ChecksumMismatchException || e instanceof MediaErrorException) {
            errno = Nbd.EIO;
        } else {
            errno = Nbd.EIO;
        }
        return new Refusal(errno, String.valueOf(e.getMessage()));
    }

    private void fua(int flags) throws Refusal {
        if ((flags & Nbd.CMD_FLAG_FUA) != 0) {
            run(FileHandle::fsync);
        }
    }

    // ------------------------------------------------------------------ replies

    private void done(long cookie) throws IOException {
        if (session.structured()) {
            chunk(cookie, Nbd.REPLY_FLAG_DONE, Nbd.REPLY_NONE, 0);
        } else {
            simple(cookie, 0);
        }
        wire.out.flush();
    }

    private void simple(long cookie, int errno) throws IOException {
        wire.out.writeInt(Nbd.SIMPLE_REPLY_MAGIC);
        wire.out.writeInt(errno);
        wire.out.writeLong(cookie);
    }

    private void chunk(long cookie, int flags, int type, int length) throws IOException {
        wire.out.writeInt(Nbd.STRUCTURED_REPLY_MAGIC);
        wire.out.writeShort(flags);
        wire.out.writeShort(type);
        wire.out.writeLong(cookie);
        wire.out.writeInt(length);
    }

    private void error(long cookie, int errno, String message) throws IOException {
        if (session.structured()) {
            byte[] text = message.getBytes(java.nio.charset.StandardCharsets.UTF_8);
            int n = Math.min(text.length, 4096);
            chunk(cookie, Nbd.REPLY_FLAG_DONE, Nbd.REPLY_ERROR, 6 + n);
            wire.out.writeInt(errno);
            wire.out.writeShort(n);
            wire.out.write(text, 0, n);
        } else {
            simple(cookie, errno);
        }
        wire.out.flush();
    }

    /** A read: data, and with structured replies holes and preallocated ranges as holes. */
    private void read(long cookie, long offset, int length, boolean whole) throws IOException, Refusal {
        if (buffer.capacity() < length) {
            buffer = ByteBuffer.allocate(Math.max(length, Math.min(Nbd.MAX_PAYLOAD, 2 * buffer.capacity())));
        }
        if (!session.structured()) {
            readFully(offset, length);
            simple(cookie, 0);
            wire.out.write(buffer.array(), 0, length);
            wire.out.flush();
            bytesOut.addAndGet(length);
            return;
        }
        // The whole range is read first (an error then is the whole request's, before any
        // chunk went out), then cut by content: a run of whole zero blocks "reads as zeros",
        // which is what NBD_REPLY_TYPE_OFFSET_HOLE says, whether it is a hole, preallocated
        // or written zeros. No extent map is asked, so a read never waits for a commit.
        // DF (don't fragment): one data chunk, zeros in it.
        readFully(offset, length);
        List<long[]> pieces = whole ? new ArrayList<>(List.of(new long[] {offset, length, 0}))
                : byContent(offset, length);
        int at = 0;
        for (int i = 0; i < pieces.size(); i++) {
            long[] p = pieces.get(i);
            int last = i == pieces.size() - 1 ? Nbd.REPLY_FLAG_DONE : 0;
            if (p[2] != 0) {
                chunk(cookie, last, Nbd.REPLY_OFFSET_HOLE, 12);
                wire.out.writeLong(p[0]);
                wire.out.writeInt((int) p[1]);
            } else {
                chunk(cookie, last, Nbd.REPLY_OFFSET_DATA, 8 + (int) p[1]);
                wire.out.writeLong(p[0]);
                wire.out.write(buffer.array(), at, (int) p[1]);
                bytesOut.addAndGet(p[1]);
            }
            at += (int) p[1];
        }
        wire.out.flush();
    }

    /** Zero granule for {@link #byContent}: runs of whole 4 KiB zero blocks go out as holes. */
    private static final int ZERO_GRANULE = 4096;

    /** The buffer's {@code length} bytes cut into {offset, length, 1 if all zeros} pieces, in order. */
    private List<long[]> byContent(long offset, int length) {
        List<long[]> out = new ArrayList<>();
        byte[] b = buffer.array();
        int at = 0;
        while (at < length) {
            // granules aligned to the export's offsets, the first and last possibly short
            int n = (int) Math.min(length - at, ZERO_GRANULE - Math.floorMod(offset + at, ZERO_GRANULE));
            boolean zeros = n == ZERO_GRANULE && allZero(b, at, n);
            Pieces.add(out, offset + at, n, zeros ? 1 : 0);
            at += n;
        }
        return out;
    }

    private static boolean allZero(byte[] b, int from, int n) {
        java.nio.LongBuffer longs = ByteBuffer.wrap(b, from, n).slice().asLongBuffer();
        while (longs.hasRemaining()) {
            if (longs.get() != 0) {
                return false;
            }
        }
        return true;
    }

    private void readFully(long offset, int length) throws Refusal {
        readInto(offset, length, 0);
    }

    /** Reads {@code length} bytes at {@code offset} into the buffer at {@code at}; past the file's end, zeros. */
    private void readInto(long offset, int length, int at) throws Refusal {
        ByteBuffer dst = ByteBuffer.wrap(buffer.array(), at, length);
        run(f -> {
            dst.position(at);
            while (dst.hasRemaining()) {
                int n = f.read(dst, offset + (dst.position() - at));
                if (n < 0) {
                    while (dst.hasRemaining()) {
                        dst.put((byte) 0); // the file shrank under the export: its size is fixed for the session
                    }
                }
            }
        });
    }

    private void blockStatus(long cookie, long offset, long length, boolean one) throws IOException, Refusal {
        long asked = Math.min(length, Nbd.MAX_PAYLOAD * 8L);
        List<List<long[]>> replies = new ArrayList<>();
        for (String context : session.contexts()) { // every context's answer first: an error is the request's
            List<long[]> pieces = context.equals(Nbd.BASE_ALLOCATION) ? allocation(offset, asked)
                    : dirty(context.substring(Nbd.DIRTY_BITMAP.length()), offset, asked);
            replies.add(Pieces.descriptors(pieces, one));
        }
        for (int i = 0; i < replies.size(); i++) {
            List<long[]> d = replies.get(i);
            chunk(cookie, i == replies.size() - 1 ? Nbd.REPLY_FLAG_DONE : 0, Nbd.REPLY_BLOCK_STATUS, 4 + 8 * d.size());
            wire.out.writeInt(i + 1);
            for (long[] x : d) {
                wire.out.writeInt((int) x[0]);
                wire.out.writeInt((int) x[1]);
            }
        }
        wire.out.flush();
    }

    /** base:allocation of the range, in order: {offset, length, hole|zero flags (0: data)}. */
    private List<long[]> allocation(long offset, long asked) throws Refusal {
        List<long[]> zeros = new ArrayList<>();
        for (ExtentMapping m : call(f -> f.extents(offset, asked))) {
            if (m.flags().contains(ExtentMapping.Flag.HOLE) || m.flags().contains(ExtentMapping.Flag.UNWRITTEN)) {
                zeros.add(new long[] {m.logical(), m.length()});
            }
        }
        return Pieces.cover(offset, asked, zeros, Nbd.STATE_HOLE | Nbd.STATE_ZERO);
    }

    /** qemu:dirty-bitmap:NAME of the range: {offset, length, dirty flag (0: clean)}. */
    private List<long[]> dirty(String bitmap, long offset, long asked) throws Refusal {
        List<long[]> dirty = new ArrayList<>();
        for (org.cowstack.storage.api.bitmap.DirtyRange r : call(f -> f.bitmaps().dump(bitmap))) {
            dirty.add(new long[] {r.offset(), r.length()});
        }
        return Pieces.cover(offset, asked, dirty, Nbd.STATE_DIRTY);
    }
}
