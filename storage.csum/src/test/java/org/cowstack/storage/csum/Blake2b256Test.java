package org.cowstack.storage.csum;

import java.util.List;

import org.cowstack.storage.api.csum.ChecksumAlgorithm;
import org.cowstack.storage.testkit.ChecksumAlgorithmContract;

/** Vectors: RFC 7693 reference (via Python hashlib, digest_size=32). */
class Blake2b256Test extends ChecksumAlgorithmContract {
    private final ChecksumAlgorithm algorithm = new Blake2b256();

    @Override
    protected ChecksumAlgorithm algorithm() {
        return algorithm;
    }

    @Override
    protected String expectedName() {
        return "blake2b";
    }

    @Override
    protected int expectedId() {
        return 3;
    }

    @Override
    protected int expectedDigestLength() {
        return 32;
    }

    @Override
    protected List<Vector> vectors() {
        return standardVectors(
                "0e5751c026e543b2e8ab2eb06099daa1d1e5df47778f7787faab45cdf12fe3a8",
                "8928aae63c84d87ea098564d1e03ad813f107add474e56aedd286349c0c03ea4",
                "bddd813c634239723171ef3fee98579b94964e3bb1cb3e427262c8c068d52319",
                "16e0bf1f85594a11e75030981c0b670370b3ad83a43f49ae58a2fd6f6513cde9",
                "89eb0d6a8a691dae2cd15ed0369931ce0a949ecafa5c3f93f8121833646e15c3",
                "e2021160500f01190b8b9f36f9d0d1dacf8e91ae70deed6ddda43ed414585ed4",
                "c29d4e72f439d3f6f3f14365f45e8e79dae557fddfef094c10cb54528ad930ff",
                "b253f646daafa188330a39c4c80c371b5026f156eb72c7d5e9b0ae81fbe785c2");
    }
}
