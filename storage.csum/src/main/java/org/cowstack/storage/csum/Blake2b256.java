package org.cowstack.storage.csum;

import java.nio.ByteBuffer;
import java.util.Objects;

import org.bouncycastle.crypto.digests.Blake2bDigest;
import org.cowstack.storage.api.csum.ChecksumAlgorithm;
import org.cowstack.storage.api.csum.ChecksumAlgorithmService;
import org.osgi.service.component.annotations.Component;

/**
 * BLAKE2b with a 256-bit digest, btrfs id 3, from Bouncy Castle.
 *
 * <p>Bouncy Castle digests take arrays, so a buffer without an accessible array (direct
 * or read-only) is fed through a small stack-confined chunk: one 4 KiB copy at a time,
 * never the whole input.
 */
@Component(service = ChecksumAlgorithm.class)
@ChecksumAlgorithmService(name = Blake2b256.NAME, id = Blake2b256.ID, digest_length = Blake2b256.LENGTH)
public final class Blake2b256 implements ChecksumAlgorithm {
    static final String NAME = "blake2b";
    static final int ID = 3;
    static final int LENGTH = 32;
    private static final int CHUNK = 4096;

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public int id() {
        return ID;
    }

    @Override
    public int digestLength() {
        return LENGTH;
    }

    @Override
    public void digest(ByteBuffer data, byte[] out, int offset) {
        Objects.checkFromIndexSize(offset, LENGTH, out.length);
        Blake2bDigest d = new Blake2bDigest(LENGTH * 8);
        int position = data.position();
        int remaining = data.remaining();
        if (data.hasArray()) {
            d.update(data.array(), data.arrayOffset() + position, remaining);
        } else {
            byte[] chunk = new byte[Math.min(CHUNK, remaining)];
            for (int done = 0; done < remaining; ) {
                int n = Math.min(chunk.length, remaining - done);
                data.get(position + done, chunk, 0, n);
                d.update(chunk, 0, n);
                done += n;
            }
        }
        d.doFinal(out, offset);
    }
}
