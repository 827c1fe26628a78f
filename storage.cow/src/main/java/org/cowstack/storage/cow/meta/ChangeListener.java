package org.cowstack.storage.cow.meta;

import org.cowstack.storage.cow.format.ExtentItem;

/**
 * What changed in a volume's files and blocks, told by the one place where each change
 * happens: the hook that dirty bitmaps, mapping invalidation, a cache of blocks by
 * physical address and back references hang on (see {@link ChangeHook}).
 *
 * <p>Events come in the running transaction, as the change is made (a commit makes them
 * durable together; a crash forgets them together). They are called with engine locks
 * held, often the exclusive tree lock: a listener records what it needs and returns at
 * once; it must not call back into the volume, block or throw. Blocks are file-system
 * blocks; file ranges are in file blocks of the inode.
 *
 * <p>Every mutation reports through here: a buffered write reports its content when it
 * is accepted and its new blocks when they are written back; a direct write, a clone,
 * fallocate in every mode, truncate, punch and zero range report when they run; a
 * dedupe reports only the blocks it remapped (the content is the same); unshare reports
 * its new blocks when they are written back; a delete reports every block its file lost.
 */
public interface ChangeListener {
    /**
     * The content of bytes {@code [offset, offset + length)} of {@code inode} changed:
     * written, zeroed, cloned over or cut off by a truncate. Only bytes below the file's
     * end (as the operation leaves it, or left it) are reported; a change that rewrites
     * whole blocks (a clone, a punch of whole blocks) reports them whole.
     */
    default void contentChanged(long inode, long offset, long length) {
    }

    /**
     * The file {@code inode} changed size from {@code oldSize} to {@code newSize} bytes:
     * a truncate, a fallocate, or a write or clone that ends past the end (the bytes
     * between the old end and the data are new, and read as zeros).
     */
    default void resized(long inode, long oldSize, long newSize) {
    }

    /**
     * File blocks {@code [firstBlock, firstBlock + extent.blocks())} of {@code inode} now
     * map the physical blocks of {@code extent}: each gained a reference from this file.
     */
    default void mapped(long inode, long firstBlock, ExtentItem extent) {
    }

    /**
     * File blocks {@code [firstBlock, firstBlock + extent.blocks())} of {@code inode} no
     * longer map the physical blocks of {@code extent}: each lost this file's reference
     * (the range was replaced, punched, truncated or its file deleted).
     */
    default void unmapped(long inode, long firstBlock, ExtentItem extent) {
    }

    /**
     * Physical blocks {@code [physical, physical + blocks)} were overwritten in place
     * (a NOCOW or preallocated block, written where it is): whatever holds their old
     * content by physical address is stale.
     */
    default void rewritten(long physical, long blocks) {
    }

    /**
     * Physical blocks {@code [physical, physical + blocks)} lost their last reference in
     * the running transaction: free once its commit is durable.
     */
    default void freed(long physical, long blocks) {
    }

    /**
     * The device reported physical blocks {@code [physical, physical + blocks)} bad (a
     * media error it found on its own, such as persistent memory's poison): whatever
     * shows them straight from the medium must stop; the scrub room answers the owners.
     */
    default void mediaError(long physical, long blocks) {
    }

    /**
     * Whether this listener records changes of {@code inode} in the same transaction as the
     * changes (a transactional dirty bitmap): then no write of the file overwrites written
     * data in place, NOCOW or not, since a crash before the commit would leave the new data
     * in the last durable state without the record of it. Preallocated blocks still go in
     * place (the durable state reads them as zeros). Asked with the tree lock held: answer
     * from memory, at once.
     */
    default boolean needsWritesInTransactions(long inode) {
        return false;
    }

    /** The file {@code inode} was deleted; its blocks were reported {@link #unmapped} first. */
    default void removed(long inode) {
    }
}
