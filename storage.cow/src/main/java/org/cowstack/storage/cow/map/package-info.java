/**
 * File mappings (DESIGN P4): views of file blocks that are the device's memory on
 * {@code dax:} or the one cached copy of a physical block elsewhere, stores that take
 * the copy-on-write fault explicitly, and the registry that invalidates exactly the
 * views a change or a media error affects.
 */
package org.cowstack.storage.cow.map;
