package org.cowstack.storage.itest.adler;

import java.util.Hashtable;

import org.cowstack.storage.api.csum.ChecksumAlgorithm;
import org.osgi.framework.BundleActivator;
import org.osgi.framework.BundleContext;

/** Registers {@link Adler32Checksum} with the service properties the engine and shell read. */
public final class Activator implements BundleActivator {
    @Override
    public void start(BundleContext context) {
        Hashtable<String, Object> p = new Hashtable<>();
        p.put(ChecksumAlgorithm.NAME, Adler32Checksum.NAME);
        p.put(ChecksumAlgorithm.ID, Adler32Checksum.ID);
        p.put(ChecksumAlgorithm.DIGEST_LENGTH, 4);
        context.registerService(ChecksumAlgorithm.class, new Adler32Checksum(), p);
    }

    @Override
    public void stop(BundleContext context) {
        // the framework unregisters the service
    }
}
