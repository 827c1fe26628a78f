package org.cowstack.storage.cow.fs;

import static org.cowstack.storage.cow.fs.Fsx.BS;
import static org.cowstack.storage.cow.fs.Fsx.MAX_FILE;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Arrays;

import org.cowstack.storage.api.InvalidArgumentException;
import org.cowstack.storage.api.volume.DedupeResult;
import org.cowstack.storage.api.volume.FileHandle;
import org.cowstack.storage.api.volume.FileMapping;
import org.cowstack.storage.api.volume.MapMode;

/** The fsx steps between two files (clone, dedupe, copy) and through mappings. */
final class FsxRanges {
    private FsxRanges() {
    }

    /** FICLONERANGE, its answer (bytes or EINVAL) worked out by {@link ModelTest#expectedClone}. */
    static void clone(Fsx fsx, int f, FsxOp op) throws IOException {
        FsxModel model = fsx.model();
        int from = op.other();
        try (FileHandle d = fsx.open(f); FileHandle s = fsx.open(from)) {
            byte[] source = model.bytes(from);
            byte[] target = model.bytes(f);
            long srcOff = op.offset() % (source.length / BS + 2) * BS;
            long dstOff = op.length() % (MAX_FILE / BS / 2) * BS;
            long len = (1 + (op.arg() >> 4) % 64) * BS;
            if (op.arg() % 4 == 0) {
                len = 0;
            } else if ((op.arg() >> 2) % 4 == 0 && srcOff < source.length) {
                len = source.length - srcOff; // to the (possibly partial) end of file
            }
            fsx.describe("clone f" + from + " " + srcOff + " -> f" + f + " " + dstOff + " +" + len);
            long expected = ModelTest.expectedClone(from == f, source, srcOff, target, dstOff, len, BS);
            if (expected > 0) {
                fsx.pending(f, FsxModel.written(target, dstOff,
                        Arrays.copyOfRange(source, (int) srcOff, (int) (srcOff + expected))));
            }
            long got;
            try {
                got = d.cloneRange(s, srcOff, dstOff, len);
            } catch (InvalidArgumentException e) {
                got = -1;
            }
            fsx.expect(got == expected, "clone returned " + got + ", the model says " + expected);
            if (got > 0) {
                model.set(f, FsxModel.written(target, dstOff,
                        Arrays.copyOfRange(source, (int) srcOff, (int) (srcOff + got))));
            }
        }
    }

    /** FIDEDUPERANGE: shares only equal ranges, and never changes a byte. */
    static void dedupe(Fsx fsx, int f, FsxOp op) throws IOException {
        FsxModel model = fsx.model();
        int from = op.other();
        byte[] source = model.bytes(from);
        byte[] content = model.bytes(f);
        fsx.describe("dedupe f" + from + " -> f" + f + ": skipped, too short or the same file");
        if (from == f || source.length < BS || content.length < BS) {
            return;
        }
        long len = Math.min((1 + op.length() % 16) * BS, Math.min(source.length, content.length) / BS * BS);
        long srcOff = op.offset() % ((source.length - len) / BS + 1) * BS;
        long dstOff = op.seed() % ((content.length - len) / BS + 1);
        long dst = Math.abs(dstOff) * BS;
        if ((op.arg() & 1) != 0) { // make them equal first, so dedupe has something to share
            byte[] same = Arrays.copyOfRange(source, (int) srcOff, (int) (srcOff + len));
            fsx.change(f, FsxModel.written(content, dst, same), h -> h.write(ByteBuffer.wrap(same), dst));
            content = model.bytes(f);
        }
        boolean equal = Arrays.equals(source, (int) srcOff, (int) (srcOff + len), content, (int) dst,
                (int) (dst + len));
        fsx.describe("dedupe f" + from + " " + srcOff + " -> f" + f + " " + dst + " +" + len
                + ((op.arg() & 1) != 0 ? " (made equal first)" : ""));
        DedupeResult result;
        try (FileHandle d = fsx.open(f); FileHandle s = fsx.open(from)) {
            result = d.dedupeRange(s, srcOff, dst, len);
        }
        fsx.expect(result.differs() == !equal, "dedupe says differs=" + result.differs() + ", the ranges are "
                + (equal ? "equal" : "different"));
        fsx.expect(result.bytesDeduped() <= len && (equal || result.bytesDeduped() == 0),
                "dedupe says " + result.bytesDeduped() + " bytes shared");
    }

    /** A copy through the API: a read of one file (checked) written to another, buffered or direct. */
    static void copy(Fsx fsx, int f, FsxOp op) throws IOException {
        FsxModel model = fsx.model();
        int from = op.other();
        byte[] source = model.bytes(from);
        int srcOff = (int) (op.offset() % (source.length + 1));
        int len = (int) Math.min(op.length(), source.length - srcOff);
        boolean direct = (op.arg() & 1) != 0;
        long dst = Math.floorMod(op.seed(), MAX_FILE - len);
        if (direct) {
            dst -= dst % BS;
        }
        long at = dst;
        fsx.describe("copy f" + from + " " + srcOff + "+" + len + " -> f" + f + " " + dst + (direct ? " direct" : ""));
        if (len == 0) {
            return;
        }
        ByteBuffer b = ByteBuffer.allocate(len);
        try (FileHandle s = fsx.open(from)) {
            fsx.expect(s.read(b, srcOff) == len, "copy: short read of f" + from);
        }
        byte[] read = b.array();
        fsx.sameBytes(Arrays.copyOfRange(source, srcOff, srcOff + len), read, "copy: read of f" + from);
        fsx.change(f, FsxModel.written(model.bytes(f), dst, read),
                h -> {
                    if (direct) {
                        h.writeDirect(ByteBuffer.wrap(read), at);
                    } else {
                        h.write(ByteBuffer.wrap(read), at);
                    }
                });
    }

    /** Reads through a mapping (read-only or read-write), past the end of file too. */
    static void mapRead(Fsx fsx, int f, FsxOp op) throws IOException {
        byte[] c = fsx.model().bytes(f);
        fsx.describe("mapped read f" + f + ": skipped, empty");
        if (c.length == 0) {
            return;
        }
        long off = op.offset() % c.length;
        int len = (int) op.length() + 1;
        MapMode mode = (op.arg() & 1) != 0 ? MapMode.READ_WRITE : MapMode.READ;
        fsx.describe("mapped read f" + f + " " + off + "+" + len + " " + mode);
        try (FileHandle h = fsx.open(f); FileMapping m = h.map(off, len, mode)) {
            ByteBuffer dst = ByteBuffer.allocate(len);
            int got = m.read(off, dst);
            int expected = (int) Math.min(len, c.length - off);
            fsx.expect(got == expected, "mapped read returned " + got + ", the model says " + expected);
            fsx.sameBytes(Arrays.copyOfRange(c, (int) off, (int) off + got), Arrays.copyOf(dst.array(), got),
                    "mapped read");
        }
    }

    /**
     * Stores through a read-write mapping, then msync or not; an eighth reach past the end
     * of file and must fail, changing nothing (a mapping never changes the size). msync
     * of a file whose only change since its last promise is this store promises it.
     */
    static void mapWrite(Fsx fsx, int f, FsxOp op) throws IOException {
        FsxModel model = fsx.model();
        byte[] c = model.bytes(f);
        fsx.describe("mapped write f" + f + ": skipped, empty");
        if (c.length == 0) {
            return;
        }
        long off = op.offset() % c.length;
        boolean pastEof = (op.arg() & 7) == 0;
        int len = (int) (pastEof ? c.length - off + 1 + op.length() % BS
                : 1 + op.length() % Math.min(c.length - off, 256 << 10));
        boolean msync = (op.arg() & 8) != 0;
        boolean clean = model.versions(f) == 1;
        byte[] data = Fsx.data(op.seed(), len);
        fsx.describe("mapped write f" + f + " " + off + "+" + len + (msync ? " msync" : "")
                + (pastEof ? " (past the end of file)" : ""));
        try (FileHandle h = fsx.open(f); FileMapping m = h.map(off, len, MapMode.READ_WRITE)) {
            if (pastEof) {
                try {
                    m.write(off, ByteBuffer.wrap(data));
                    fsx.expect(false, "a store past the end of file succeeded");
                } catch (InvalidArgumentException expected) {
                    // the SIGBUS of a store past EOF
                }
                return;
            }
            byte[] after = FsxModel.written(c, off, data);
            fsx.pending(f, after);
            fsx.expect(m.write(off, ByteBuffer.wrap(data)) == len, "mapped write: short store");
            model.set(f, after);
            if (msync) {
                m.msync();
                if (clean) {
                    model.durable(f);
                }
            }
        }
    }
}
