package org.cowstack.storage.s3.device;

import java.util.HashMap;
import java.util.Map;

/**
 * Which store configurations (by PID) Declarative Services has applied or refused, so
 * that {@code storage:s3 add} can wait for its configuration to take effect and report
 * why it did not.
 */
final class ConfigurationState {
    private final Map<String, String> applied = new HashMap<>();
    private final Map<String, String> refused = new HashMap<>();

    synchronized void applied(String pid, String name) {
        refused.remove(pid);
        applied.put(pid, name);
        notifyAll();
    }

    synchronized void refused(String pid, String why) {
        applied.remove(pid);
        refused.put(pid, why);
        notifyAll();
    }

    /** Forgets a configuration; returns the name of the store it applied, or null. */
    synchronized String removed(String pid) {
        refused.remove(pid);
        notifyAll();
        return applied.remove(pid);
    }

    synchronized String nameOf(String pid) {
        return applied.get(pid);
    }

    /** The PID whose store has this name, or null. */
    synchronized String pidOf(String name) {
        for (Map.Entry<String, String> e : applied.entrySet()) {
            if (e.getValue().equals(name)) {
                return e.getKey();
            }
        }
        return null;
    }

    /**
     * Waits until the configuration is applied or refused (or gone, with {@code gone});
     * returns why it was refused, null when it was applied, or a sentence on the timeout.
     */
    synchronized String await(String pid, boolean gone, long millis) throws InterruptedException {
        long deadline = System.currentTimeMillis() + millis;
        while (gone ? applied.containsKey(pid) : !applied.containsKey(pid) && !refused.containsKey(pid)) {
            long left = deadline - System.currentTimeMillis();
            if (left <= 0) {
                return "the configuration was not applied within " + millis + " ms";
            }
            wait(left);
        }
        return refused.get(pid);
    }
}
