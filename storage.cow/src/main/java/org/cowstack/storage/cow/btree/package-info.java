/**
 * Copy-on-write B+trees over a {@link org.cowstack.storage.cow.btree.NodeStore}: a node
 * of an older generation is copied before it changes, so a commit is a new root and the
 * last committed trees stay intact on disk. Keys and values only; what they mean is the
 * {@code meta} package's.
 */
package org.cowstack.storage.cow.btree;
