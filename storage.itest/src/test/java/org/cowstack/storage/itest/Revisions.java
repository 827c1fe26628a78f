package org.cowstack.storage.itest;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.lang.ref.WeakReference;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.FrameworkEvent;
import org.osgi.framework.wiring.BundleWiring;
import org.osgi.framework.wiring.FrameworkWiring;

/**
 * The class-loader leak check of bundles replaced at run time (updated or uninstalled),
 * shared by the tests that swap bundles: remember the revision's class loader weakly,
 * refresh, and expect the collector to take it.
 */
final class Revisions {
    private Revisions() {
    }

    /** The class loader of the bundle's current revision, weakly: taken before it is replaced. */
    static WeakReference<ClassLoader> loaderOf(Bundle b) {
        return new WeakReference<>(b.adapt(BundleWiring.class).getClassLoader());
    }

    /** Refreshes what updates and uninstalls left pending, so that only references can keep old class loaders. */
    static void refresh(BundleContext context) throws InterruptedException {
        CountDownLatch done = new CountDownLatch(1);
        context.getBundle(0).adapt(FrameworkWiring.class).refreshBundles(null, e -> {
            if (e.getType() == FrameworkEvent.PACKAGES_REFRESHED) {
                done.countDown();
            }
        });
        assertTrue("packages refreshed", done.await(60, TimeUnit.SECONDS));
    }

    static void assertCollected(String what, List<WeakReference<ClassLoader>> loaders) throws InterruptedException {
        for (int i = 0; i < 100 && loaders.stream().anyMatch(w -> w.get() != null); i++) {
            System.gc();
            Thread.sleep(50);
        }
        long alive = loaders.stream().filter(w -> w.get() != null).count();
        assertEquals(what + ": class loaders of replaced bundle revisions still referenced", 0, alive);
    }
}
