/**
 * A volume's free space in memory: the free extents an allocation policy chooses from
 * (the {@link org.cowstack.storage.api.alloc.FreeSpaceView} the engine gives it), the
 * blocks promised to accepted writes, and the blocks freed by the running transaction,
 * which become reusable only once that transaction's commit is durable. Not exported:
 * {@code storage.cow} carries a private copy of this package, and the allocation-policy
 * contract in {@code storage.testkit} tests every policy against it.
 */
package org.cowstack.storage.space;
