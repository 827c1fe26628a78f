package org.cowstack.storage.cow.extent;

import org.cowstack.storage.api.InvalidArgumentException;

/**
 * The checks and adjustments of Linux's {@code generic_remap_checks} and
 * {@code generic_remap_check_len}, for clone and dedupe: each case was compared with
 * {@code xfs_io} on a loop-mounted XFS (reflink=1, 4 KiB blocks); the README's table
 * lists them.
 */
final class RemapChecks {
    /** A remap request after the checks: bytes to share and whole blocks covered. */
    record Range(long length, long blocks) {
    }

    private final int blockSize;

    RemapChecks(int blockSize) {
        this.blockSize = blockSize;
    }

    static void checkNotNegative(String op, long srcOff, long dstOff, long len) throws InvalidArgumentException {
        if (srcOff < 0) {
            throw new InvalidArgumentException(op + " source offset", srcOff, ">= 0");
        }
        if (dstOff < 0) {
            throw new InvalidArgumentException(op + " destination offset", dstOff, ">= 0");
        }
        if (len < 0) {
            throw new InvalidArgumentException(op + " length", len, ">= 0 (0: to the source's end of file)");
        }
    }

    /**
     * Checks a request of {@code len} bytes from {@code src} at {@code srcOff} to
     * {@code dst} at {@code dstOff} (inode numbers: the same file has the same number),
     * files of {@code sizeIn} and {@code sizeOut} bytes; {@code dedupe} false for a clone.
     */
    Range check(String op, long src, long srcOff, long dst, long dstOff, long len, long sizeIn, long sizeOut,
            boolean dedupe) throws InvalidArgumentException {
        if (srcOff % blockSize != 0) {
            throw new InvalidArgumentException(op + " source offset", srcOff, "a multiple of the block size "
                    + blockSize);
        }
        if (dstOff % blockSize != 0) {
            throw new InvalidArgumentException(op + " destination offset", dstOff, "a multiple of the block size "
                    + blockSize);
        }
        if (srcOff > Long.MAX_VALUE - len || dstOff > Long.MAX_VALUE - len) {
            throw new InvalidArgumentException(op + " length", len, "a range that ends below 2^63");
        }
        if (dedupe && (srcOff >= sizeIn || srcOff + len > sizeIn)) {
            throw new InvalidArgumentException(op + " source range", srcOff + "+" + len,
                    "a range within the source's size " + sizeIn);
        }
        if (dedupe && (dstOff >= sizeOut || dstOff + len > sizeOut)) {
            throw new InvalidArgumentException(op + " destination range", dstOff + "+" + len,
                    "a range within the destination's size " + sizeOut);
        }
        if (srcOff >= sizeIn) {
            throw new InvalidArgumentException(op + " source offset", srcOff, "below the source's size " + sizeIn);
        }
        if (!dedupe && len > sizeIn - srcOff) {
            // FICLONERANGE does not shorten (only dedupe may): the kernel refuses too.
            throw new InvalidArgumentException(op + " length", len, "at most " + (sizeIn - srcOff)
                    + ", the bytes from the source offset to its end of file (0 clones up to it)");
        }
        len = Math.min(len, sizeIn - srcOff);
        long bytesCovered;
        if (srcOff + len == sizeIn && (!dedupe || dstOff + len == sizeOut)) {
            bytesCovered = (sizeIn + blockSize - 1) / blockSize * blockSize - srcOff; // up to the source's end of file
        } else {
            if (len % blockSize != 0) {
                if (!dedupe) {
                    throw new InvalidArgumentException(op + " length", len, "a multiple of the block size "
                            + blockSize + ", or a range that ends at the source's end of file");
                }
                len -= len % blockSize;
            }
            bytesCovered = len;
        }
        if (src == dst && dstOff + bytesCovered > srcOff && dstOff < srcOff + bytesCovered) {
            throw new InvalidArgumentException(op + " ranges", srcOff + " and " + dstOff + " (" + bytesCovered
                    + " bytes)", "source and destination ranges of one file that do not overlap");
        }
        if (len % blockSize != 0 && dstOff + len < sizeOut) {
            if (!dedupe) {
                // The source's last block would bring its zeros past len into the middle of the
                // destination (xfstests generic/518).
                throw new InvalidArgumentException(op + " length", len, "whole blocks: the source's partial last"
                        + " block can only be cloned to or past the destination's end of file " + sizeOut);
            }
            len -= len % blockSize;
            bytesCovered = len;
        }
        return new Range(len, bytesCovered / blockSize);
    }
}
