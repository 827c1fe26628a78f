/**
 * The block-I/O path: every read and write of file data goes through
 * {@link org.cowstack.storage.cow.io.BlockIo}, the one place where a second copy, a repair
 * or a media error hooks in. Reads ({@link org.cowstack.storage.cow.io.ReadPath}),
 * buffered and direct writes, appends, where a write's blocks go
 * ({@link org.cowstack.storage.cow.io.Placements}), writeback and commit
 * ({@link org.cowstack.storage.cow.io.Committer}).
 */
package org.cowstack.storage.cow.io;
