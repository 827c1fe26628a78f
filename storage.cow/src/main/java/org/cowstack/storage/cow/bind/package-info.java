/**
 * The services a mounted volume is bound to and the gate every operation passes
 * ({@link org.cowstack.storage.cow.bind.VolumeBindings}), the wrappers the engine keeps
 * instead of a provider's objects, and everything hot swap does to one volume
 * ({@link org.cowstack.storage.cow.bind.ServiceSwap}): commit with a departing service,
 * bind its replacement, wait for one.
 */
package org.cowstack.storage.cow.bind;
