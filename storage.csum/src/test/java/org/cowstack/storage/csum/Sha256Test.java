package org.cowstack.storage.csum;

import java.util.List;

import org.cowstack.storage.api.csum.ChecksumAlgorithm;
import org.cowstack.storage.testkit.ChecksumAlgorithmContract;

/** Vectors: FIPS 180-2 ("abc", empty), the rest from Python hashlib. */
class Sha256Test extends ChecksumAlgorithmContract {
    private final ChecksumAlgorithm algorithm = new Sha256();

    @Override
    protected ChecksumAlgorithm algorithm() {
        return algorithm;
    }

    @Override
    protected String expectedName() {
        return "sha256";
    }

    @Override
    protected int expectedId() {
        return 2;
    }

    @Override
    protected int expectedDigestLength() {
        return 32;
    }

    @Override
    protected List<Vector> vectors() {
        return standardVectors(
                "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
                "ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb",
                "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
                "15e2b0d3c33891ebb0f1ef609ec419420c20e320ce94c65fbc8c3312448eb225",
                "66687aadf862bd776c8fc18b8e9f8e20089714856ee233b3902a591d0d5f2925",
                "af9613760f72635fbdb44a5a0a63c39f12af30f950a6ee5c971be188e89c4051",
                "d41d438c379110c7f7b2c561b1f04f26c1b4549110791f8e022f48974280c13e",
                "78943c02dd1b4ee1e6790aafaf42fef70eee83b7c94db610b92dd1249a1aa40f");
    }
}
