package org.cowstack.storage.csum;

import java.util.List;

import org.cowstack.storage.api.csum.ChecksumAlgorithm;
import org.cowstack.storage.testkit.ChecksumAlgorithmContract;

/** Vectors: RFC 3720 B.4 (32 zeros, 32 0xff), the CRC catalogue check value (123456789), the rest from a bitwise reference implementation. */
class Crc32cTest extends ChecksumAlgorithmContract {
    private final ChecksumAlgorithm algorithm = new Crc32c();

    @Override
    protected ChecksumAlgorithm algorithm() {
        return algorithm;
    }

    @Override
    protected String expectedName() {
        return "crc32c";
    }

    @Override
    protected int expectedId() {
        return 0;
    }

    @Override
    protected int expectedDigestLength() {
        return 4;
    }

    @Override
    protected List<Vector> vectors() {
        return standardVectors(
                "00000000",
                "3043d0c1",
                "b73f4b36",
                "839206e3",
                "aa36918a",
                "43aba862",
                "e8f7c2e1",
                "1a8eee35");
    }
}
