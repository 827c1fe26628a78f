package org.cowstack.storage.csum;

import java.nio.ByteBuffer;
import java.security.DigestException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Objects;

import org.cowstack.storage.api.csum.ChecksumAlgorithm;
import org.cowstack.storage.api.csum.ChecksumAlgorithmService;
import org.osgi.service.component.annotations.Component;

/**
 * SHA-256, btrfs id 2, from the JDK's SUN provider (SHA-NI / AVX2 intrinsics).
 *
 * <p>A {@link MessageDigest} is not thread-safe and looking one up costs a provider
 * search, so every call clones a prototype created once.
 */
@Component(service = ChecksumAlgorithm.class)
@ChecksumAlgorithmService(name = "sha256", id = 2, digest_length = 32)
public final class Sha256 implements ChecksumAlgorithm {
    /**
     * The digest's width, as SHA-256 defines it: digest() does not ask digestLength(), a
     * reflective lookup, per block (the contract checks that the two agree).
     */
    private static final int BYTES = 256 / 8;

    private final MessageDigest prototype;

    public Sha256() {
        try {
            prototype = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            // Every Java SE runtime must provide SHA-256.
            throw new IllegalStateException("this Java runtime has no SHA-256", e);
        }
    }

    @Override
    public void digest(ByteBuffer data, byte[] out, int offset) {
        Objects.checkFromIndexSize(offset, BYTES, out.length);
        try {
            MessageDigest md = (MessageDigest) prototype.clone();
            md.update(data.duplicate());
            md.digest(out, offset, BYTES);
        } catch (CloneNotSupportedException | DigestException e) {
            throw new IllegalStateException("SHA-256 of the SUN provider is cloneable and 32 bytes long", e);
        }
    }
}
