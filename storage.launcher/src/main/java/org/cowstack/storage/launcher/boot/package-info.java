/**
 * What runs before the framework exists: the executable jar's
 * {@link org.cowstack.storage.launcher.boot.Main} (STORAGE_HOME, its
 * {@link org.cowstack.storage.launcher.boot.HomeLock}, where the state goes) in front of
 * the bnd launcher. Plain Java, no OSGi: {@code storage.bndrun} copies this package into
 * the root of the exported jar. It is in the bundle too, where nothing uses it.
 */
package org.cowstack.storage.launcher.boot;
