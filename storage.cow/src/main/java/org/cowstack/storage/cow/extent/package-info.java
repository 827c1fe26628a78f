/**
 * Range operations on files: fallocate in every mode and truncate
 * ({@link org.cowstack.storage.cow.extent.Fallocate}), clone and dedupe with the kernel's
 * remap checks ({@link org.cowstack.storage.cow.extent.Remap}) and the extent map
 * ({@link org.cowstack.storage.cow.extent.Fiemap}).
 */
package org.cowstack.storage.cow.extent;
