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
@ChecksumAlgorithmService(name = "blake2b", id = 3, digest_length = 32)
public final class Blake2b256 implements ChecksumAlgorithm {
    /**
     * The digest size of BLAKE2b-256: digest() does not ask digestLength(), a reflective
     * lookup, per block (the contract checks that the two agree).
     */
    private static final int BITS = 256;
    private static final int CHUNK = 4096;

    @Override
    public void digest(ByteBuffer data, byte[] out, int offset) {
        Objects.checkFromIndexSize(offset, BITS / 8, out.length);
        Blake2bDigest d = new Blake2bDigest(BITS);
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
