package org.cowstack.storage.csum;

import java.util.List;

import org.cowstack.storage.api.csum.ChecksumAlgorithm;
import org.cowstack.storage.testkit.ChecksumAlgorithmContract;

/** Vectors: xxhsum 0.8.1 -H1 (the reference implementation), stored little-endian. */
class XxHash64Test extends ChecksumAlgorithmContract {
    private final ChecksumAlgorithm algorithm = new XxHash64();

    @Override
    protected ChecksumAlgorithm algorithm() {
        return algorithm;
    }

    @Override
    protected String expectedName() {
        return "xxhash64";
    }

    @Override
    protected int expectedId() {
        return 1;
    }

    @Override
    protected int expectedDigestLength() {
        return 8;
    }

    @Override
    protected List<Vector> vectors() {
        return standardVectors(
                "99e9d85137db46ef",
                "5b6e8ca9f1c44ed2",
                "990977adf52cbc44",
                "83aee640db41b88c",
                "f52c63705dbee9f6",
                "8787c016362210ff",
                "d978dc82be7411e2",
                "4daa92142c19f85e");
    }
}
