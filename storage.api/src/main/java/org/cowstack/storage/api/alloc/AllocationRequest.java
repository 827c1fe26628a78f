package org.cowstack.storage.api.alloc;

import org.cowstack.storage.api.InvalidArgumentException;

/**
 * What the engine asks of an {@link AllocationPolicy}: {@code length} blocks, in one
 * extent if possible but in pieces of at least {@code minLength}, near {@code hint}.
 * Immutable.
 */
public final class AllocationRequest {
    private final long length;
    private final long minLength;
    private final long hint;

    private AllocationRequest(long length, long minLength, long hint) {
        this.length = length;
        this.minLength = minLength;
        this.hint = hint;
    }

    /**
     * @param length    blocks wanted, positive
     * @param minLength smallest acceptable piece, 1..length; equal to length for a
     *                  contiguity request (an extent size hint)
     * @param hint      preferred first block (for example the block after the file's
     *                  previous extent), or -1 for none
     */
    public static AllocationRequest of(long length, long minLength, long hint) throws InvalidArgumentException {
        if (length <= 0) {
            throw new InvalidArgumentException("length", length, "a positive block count");
        }
        if (minLength <= 0 || minLength > length) {
            throw new InvalidArgumentException("minLength", minLength, "1.." + length);
        }
        if (hint < -1) {
            throw new InvalidArgumentException("hint", hint, "a block number or -1");
        }
        return new AllocationRequest(length, minLength, hint);
    }

    public long length() {
        return length;
    }

    public long minLength() {
        return minLength;
    }

    public long hint() {
        return hint;
    }

    @Override
    public String toString() {
        return "allocate " + length + " blocks (pieces >= " + minLength + ", hint " + hint + ")";
    }
}
