/**
 * File data in memory: the {@link org.cowstack.storage.cow.cache.PageCache}, one page per
 * block, with the clean, dirty and writeback states of delayed allocation; pages found
 * per file in a radix tree ({@code PageTree}), clean ones chained least recently used
 * first ({@code CleanPages}).
 */
package org.cowstack.storage.cow.cache;
