package org.cowstack.storage.itest.adler;

import java.nio.ByteBuffer;
import java.util.zip.Adler32;

import org.cowstack.storage.api.csum.ChecksumAlgorithm;

/**
 * A checksum algorithm the stack does not ship: the integration test packs this class
 * into a bundle of its own at run time and installs it into the running framework.
 */
public final class Adler32Checksum implements ChecksumAlgorithm {
    public static final String NAME = "adler32";
    public static final int ID = 100;

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
        return 4;
    }

    @Override
    public void digest(ByteBuffer data, byte[] out, int offset) {
        Adler32 a = new Adler32();
        a.update(data.duplicate());
        int v = (int) a.getValue();
        out[offset] = (byte) (v >>> 24);
        out[offset + 1] = (byte) (v >>> 16);
        out[offset + 2] = (byte) (v >>> 8);
        out[offset + 3] = (byte) v;
    }
}
