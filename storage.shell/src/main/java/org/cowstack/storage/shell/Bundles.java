package org.cowstack.storage.shell;

import org.osgi.framework.Bundle;
import org.osgi.framework.ServiceReference;

/** How commands name the bundle behind a service. */
final class Bundles {
    private Bundles() {
    }

    /** {@code symbolic-name version [id]}, or {@code -} when the service is already gone. */
    static String describe(ServiceReference<?> ref) {
        Bundle b = ref.getBundle();
        return b == null ? "-" : b.getSymbolicName() + " " + b.getVersion() + " [" + b.getBundleId() + "]";
    }
}
