/**
 * File data in memory: the {@link org.cowstack.storage.cow.cache.PageCache}, one page per
 * block, with the clean, dirty and writeback states of delayed allocation; pages found
 * per file in a radix tree ({@code PageTree}), clean ones chained least recently used
 * first ({@code CleanPages}). Beside it the
 * {@link org.cowstack.storage.cow.cache.ReadCache}: verified data read from the device,
 * held once per physical block ({@code PhysicalPages}, found through a primitive map,
 * {@code LongIntMap}) and linked from every file block that maps it, so reflinked and
 * deduped copies take it once; pages can be pinned for mapped views.
 */
package org.cowstack.storage.cow.cache;
