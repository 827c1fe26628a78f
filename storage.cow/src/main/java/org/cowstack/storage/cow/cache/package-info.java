/**
 * File data in memory: the {@link org.cowstack.storage.cow.cache.PageCache}, one page per
 * block, with the clean, dirty and writeback states of delayed allocation.
 */
package org.cowstack.storage.cow.cache;
