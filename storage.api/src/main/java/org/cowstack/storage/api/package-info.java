/**
 * The failures every storage service reports, and small value helpers shared by
 * all contracts.
 *
 * <p>Every failure a caller can act on has its own type, all subclasses of
 * {@link org.cowstack.storage.api.StorageException}, which is an
 * {@link java.io.IOException} so that code written against NIO channels handles it
 * without wrapping. Namespace failures reuse the JDK's
 * {@link java.nio.file.FileSystemException} subclasses
 * ({@code NoSuchFileException}, {@code FileAlreadyExistsException},
 * {@code DirectoryNotEmptyException}, {@code NotDirectoryException}). Every message
 * is one complete sentence naming the resource and the offending value, fit to be
 * shown to an administrator as is.
 */
@Version("1.3.0")
@Export
package org.cowstack.storage.api;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
