package org.cowstack.storage.cow.ns;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import org.cowstack.storage.api.InvalidArgumentException;
import org.cowstack.storage.cow.format.DirEntries;

/**
 * Path rules, as on Linux: absolute, '/'-separated, no '.' or '..' components, names of
 * 1..255 UTF-8 bytes. Repeated slashes are one ({@code //a//b} is {@code /a/b}; a
 * leading {@code //}, implementation-defined in POSIX, is {@code /} as Linux has it). A
 * trailing slash says that the path names a directory: on anything else the operation
 * fails with ENOTDIR, as path resolution does on Linux.
 */
public final class Paths {
    private Paths() {
    }

    /**
     * A path as typed, parsed.
     *
     * @param typed     the path as given, for messages
     * @param parts     its components; empty for the root
     * @param directory whether it ends with a slash after a component, so that it must name a directory
     */
    public record Parsed(String typed, List<String> parts, boolean directory) {
        public Parsed {
            parts = List.copyOf(parts);
        }

        /** The path without repeated or trailing slashes. */
        public String normalized() {
            return "/" + String.join("/", parts);
        }

        /** The last component; the root has none. */
        public String leaf() {
            return parts.get(parts.size() - 1);
        }
    }

    /** Parses {@code path}; see the class description for the rules. */
    public static Parsed parse(String path) throws InvalidArgumentException {
        if (path == null || !path.startsWith("/")) {
            throw new InvalidArgumentException("path", path, "an absolute path such as /dir/file");
        }
        List<String> parts = new ArrayList<>();
        for (String part : path.substring(1).split("/", -1)) {
            if (part.isEmpty()) {
                continue; // "/a//b" is "/a/b"; a trailing slash is recorded below
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
        return new Parsed(path, parts, !parts.isEmpty() && path.endsWith("/"));
    }
}
