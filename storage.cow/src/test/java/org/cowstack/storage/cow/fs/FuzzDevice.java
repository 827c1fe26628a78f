package org.cowstack.storage.cow.fs;

import java.net.URI;
import java.nio.ByteBuffer;
import java.util.BitSet;
import java.util.Set;

import org.cowstack.storage.device.base.AbstractBlockDevice;

/**
 * A device over a (mutated) copy of an image for {@link ImageFuzzTest}: every write is
 * compared with the unmutated image, and the file-system blocks whose bytes a write
 * changed from what the unmutated image held there are recorded, so the test can tell
 * whether the engine wrote into a block the volume owned (a write that puts back the
 * unmutated bytes, as a repair from a node's second copy does, changes nothing).
 */
final class FuzzDevice extends AbstractBlockDevice {
    private final byte[] image;
    private final byte[] pristine;
    private final int fsBlock;
    /** File-system blocks a write or discard changed from the unmutated image. */
    private final BitSet changed = new BitSet();

    FuzzDevice(URI uri, byte[] image, byte[] pristine, int fsBlock, boolean readOnly) {
        super(uri, image.length, 512, readOnly, Set.of());
        this.image = image;
        this.pristine = pristine;
        this.fsBlock = fsBlock;
    }

    @Override
    protected void doRead(ByteBuffer dst, long offset) {
        dst.put(image, Math.toIntExact(offset), dst.remaining());
    }

    @Override
    protected synchronized void doWrite(ByteBuffer src, long offset) {
        int at = Math.toIntExact(offset);
        int length = src.remaining();
        src.get(image, at, length);
        note(at, length);
    }

    private void note(int at, int length) {
        for (long b = at / fsBlock; b * fsBlock < at + (long) length; b++) {
            int from = (int) Math.max(at, b * fsBlock);
            int to = (int) Math.min(at + (long) length, (b + 1) * fsBlock);
            if (to > pristine.length || from >= pristine.length
                    || java.util.Arrays.mismatch(image, from, to, pristine, from, to) >= 0) {
                changed.set((int) b);
                if (Boolean.getBoolean("storage.fuzz.trace")) {
                    new Throwable("write changes block " + b).printStackTrace(System.out);
                }
            }
        }
    }

    @Override
    protected synchronized void doDiscard(long offset, long length) {
        for (long b = offset / fsBlock; b * fsBlock < offset + length; b++) {
            changed.set((int) b);
        }
    }

    @Override
    protected void doFlush() {
    }

    @Override
    protected void doClose() {
    }

    /** The blocks writes changed since the last call. */
    synchronized BitSet takeChanged() {
        BitSet out = (BitSet) changed.clone();
        changed.clear();
        return out;
    }
}
