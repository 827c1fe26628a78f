package org.cowstack.storage.cow.bind;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;

import org.cowstack.storage.api.csum.ChecksumAlgorithm;

/**
 * The volume's checksum algorithm, whichever service of its id its
 * {@link VolumeBindings} holds: what the engine's codecs keep, so that no object of a
 * departed {@code storage.csum} is referenced after its unbind. Name, id and digest
 * length are the image's; they cannot change.
 */
public final class BoundChecksum implements ChecksumAlgorithm {
    private final VolumeBindings bindings;
    private final String name;
    private final int id;
    private final int digestLength;

    public BoundChecksum(VolumeBindings bindings, ChecksumAlgorithm first) {
        this.bindings = bindings;
        this.name = first.name();
        this.id = first.id();
        this.digestLength = first.digestLength();
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public int id() {
        return id;
    }

    @Override
    public int digestLength() {
        return digestLength;
    }

    @Override
    public void digest(ByteBuffer data, byte[] out, int offset) {
        ChecksumAlgorithm a = bindings.checksum();
        if (a == null) {
            // An operation admitted without the algorithm (a buffered write to the cache)
            // that needs it after all: it waits here, inside the gate, for its return.
            try {
                a = (ChecksumAlgorithm) bindings.await(VolumeBindings.Service.CHECKSUM);
            } catch (IOException e) {
                throw new UncheckedIOException(e); // VolumeCore.operation throws the cause
            }
        }
        a.digest(data, out, offset);
    }

    @Override
    public String toString() {
        return name;
    }
}
