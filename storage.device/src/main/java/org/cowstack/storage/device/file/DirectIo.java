package org.cowstack.storage.device.file;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.OpenOption;
import java.nio.file.Path;

import org.cowstack.storage.api.NotSupportedException;

/** O_DIRECT through {@code com.sun.nio.file.ExtendedOpenOption}, which lives in jdk.unsupported. */
final class DirectIo {
    private DirectIo() {
    }

    static OpenOption option(String resource) throws NotSupportedException {
        try {
            return com.sun.nio.file.ExtendedOpenOption.DIRECT;
        } catch (NoClassDefFoundError e) {
            throw new NotSupportedException("O_DIRECT for " + resource
                    + " needs package com.sun.nio.file, which this OSGi framework does not export", e);
        }
    }

    /**
     * The alignment O_DIRECT needs here: the JDK checks offsets, lengths and buffer
     * addresses against the file store's block size.
     */
    static int alignment(Path path) {
        try {
            long size = Files.getFileStore(path).getBlockSize();
            if (size >= 512 && size <= 1 << 16 && Long.bitCount(size) == 1) {
                return (int) size;
            }
        } catch (IOException | UnsupportedOperationException e) {
            // fall through to the common page size
        }
        return 4096;
    }
}
