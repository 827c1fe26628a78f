/**
 * The read-only walks over a volume: the reverse map of a block's owners and the audit
 * of its accounting.
 */
package org.cowstack.storage.cow.inspect;
