package org.cowstack.storage.cow.ns;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import org.cowstack.storage.api.InvalidArgumentException;
import org.cowstack.storage.cow.format.DirEntries;

/** Path rules: absolute, '/'-separated, no empty, '.' or '..' components, names of 1..255 UTF-8 bytes. */
public final class Paths {
    private Paths() {
    }

    /** The components of {@code path}; empty for the root. */
    public static List<String> split(String path) throws InvalidArgumentException {
        if (path == null || !path.startsWith("/")) {
            throw new InvalidArgumentException("path", path, "an absolute path such as /dir/file");
        }
        List<String> parts = new ArrayList<>();
        for (String part : path.substring(1).split("/", -1)) {
            if (part.isEmpty()) {
                continue; // "/a//b" and "/a/" as in POSIX
            }
            if (part.equals(".") || part.equals("..")) {
                throw new InvalidArgumentException("path", path, "no '.' or '..' components");
            }
            if (part.indexOf('\0') >= 0) {
                throw new InvalidArgumentException("path", path, "no NUL characters");
            }
            if (part.getBytes(StandardCharsets.UTF_8).length > DirEntries.MAX_NAME) {
                throw new InvalidArgumentException("path", path, "names of at most " + DirEntries.MAX_NAME + " bytes");
            }
            parts.add(part);
        }
        return parts;
    }

    /** The normalized form of {@code path}. */
    public static String normalize(String path) throws InvalidArgumentException {
        return "/" + String.join("/", split(path));
    }
}
