package org.cowstack.storage.cow.meta;

import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;

import org.cowstack.storage.cow.format.ExtentItem;

/**
 * The one change hook of a volume: every mutation of its extents, reference counts
 * and file content reports here, and this tells every registered {@link ChangeListener}.
 * With no listener an event costs one check of an empty list.
 *
 * <p>A listener that throws does not stop the change (it is half made, under locks):
 * its exception is counted ({@link #listenerFailures()}) and the other listeners are
 * told as usual.
 */
public final class ChangeHook implements ChangeListener {
    private final CopyOnWriteArrayList<ChangeListener> listeners = new CopyOnWriteArrayList<>();
    private final AtomicLong failures = new AtomicLong();

    public void add(ChangeListener l) {
        listeners.addIfAbsent(l);
    }

    public void remove(ChangeListener l) {
        listeners.remove(l);
    }

    /** Exceptions listeners threw, and that were ignored, so far. */
    public long listenerFailures() {
        return failures.get();
    }

    @FunctionalInterface
    private interface Event {
        void tell(ChangeListener l);
    }

    /** Whether anything listens: checked before an event is built, so a quiet hook allocates nothing. */
    private boolean heard() {
        return !listeners.isEmpty();
    }

    private void fire(Event e) {
        for (ChangeListener l : listeners) {
            try {
                e.tell(l);
            } catch (RuntimeException ex) {
                failures.incrementAndGet();
            }
        }
    }

    @Override
    public boolean needsWritesInTransactions(long inode) {
        for (ChangeListener l : listeners) {
            try {
                if (l.needsWritesInTransactions(inode)) {
                    return true;
                }
            } catch (RuntimeException ex) {
                failures.incrementAndGet();
                return true; // in doubt, copy
            }
        }
        return false;
    }

    @Override
    public void contentChanged(long inode, long offset, long length) {
        if (length > 0 && heard()) {
            fire(l -> l.contentChanged(inode, offset, length));
        }
    }

    @Override
    public void resized(long inode, long oldSize, long newSize) {
        if (oldSize != newSize && heard()) {
            fire(l -> l.resized(inode, oldSize, newSize));
        }
    }

    @Override
    public void mapped(long inode, long firstBlock, ExtentItem extent) {
        if (heard()) {
            fire(l -> l.mapped(inode, firstBlock, extent));
        }
    }

    @Override
    public void unmapped(long inode, long firstBlock, ExtentItem extent) {
        if (heard()) {
            fire(l -> l.unmapped(inode, firstBlock, extent));
        }
    }

    @Override
    public void rewritten(long physical, long blocks) {
        if (blocks > 0 && heard()) {
            fire(l -> l.rewritten(physical, blocks));
        }
    }

    @Override
    public void freed(long physical, long blocks) {
        if (heard()) {
            fire(l -> l.freed(physical, blocks));
        }
    }

    @Override
    public void mediaError(long physical, long blocks) {
        if (blocks > 0 && heard()) {
            fire(l -> l.mediaError(physical, blocks));
        }
    }

    @Override
    public void removed(long inode) {
        if (heard()) {
            fire(l -> l.removed(inode));
        }
    }
}
