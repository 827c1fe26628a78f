package org.cowstack.storage.cow.inspect;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.cowstack.storage.cow.format.DirEntries;
import org.cowstack.storage.cow.format.InodeItem;
import org.cowstack.storage.cow.format.ItemType;
import org.cowstack.storage.cow.format.Key;
import org.cowstack.storage.cow.meta.Inodes;

/**
 * The namespace part of {@link Check}: every inode but the root has exactly one name, in
 * the directory its parent field names (or none and an orphan item, the nameless file
 * of a backup's view); every name is stored under its hash and leads to an inode of its
 * kind; extents and orphan items belong to files that exist. Without it an fs tree that
 * lost a directory entry, and with it a file, would check clean.
 */
final class Names {
    /** At most this many lines: a tree that lost a leaf of names would list every file. */
    private static final int MAX_LINES = 20;

    /** Inode number to {type, parent}. */
    private final Map<Long, long[]> inodes = new HashMap<>();
    /** Inode number to the directories whose entries name it. */
    private final Map<Long, List<Long>> namedIn = new HashMap<>();
    private final Set<Long> orphans = new HashSet<>();
    private final Set<Long> withExtents = new HashSet<>();
    private final List<String> problems = new ArrayList<>();
    /** Directory entries, checked against the inodes at the end: {directory, inode, is-directory}. */
    private final List<long[]> entries = new ArrayList<>();

    /** Sees one fs-tree item; a malformed value throws {@code Corruption}, which the caller reports. */
    void item(Key k, byte[] v) {
        switch (k.type()) {
            case ItemType.INODE -> {
                InodeItem i = InodeItem.decode(v);
                inodes.put(k.objectId(), new long[] {i.type(), i.parent()});
            }
            case ItemType.DIR_ENTRY -> {
                for (DirEntries.Entry e : DirEntries.decode(v)) {
                    if (DirEntries.hash(e.name()) != k.offset()) {
                        problem("directory entry \"" + e.name() + "\" of directory " + k.objectId()
                                + " is stored under hash " + k.offset() + ", not its own");
                    }
                    entries.add(new long[] {k.objectId(), e.inode(), e.directory() ? 1 : 0});
                    namedIn.computeIfAbsent(e.inode(), x -> new ArrayList<>(1)).add(k.objectId());
                }
            }
            case ItemType.ORPHAN -> orphans.add(k.offset());
            case ItemType.EXTENT -> withExtents.add(k.objectId());
            default -> {
                // other items name no inode
            }
        }
    }

    /** The problems, once every item was seen. */
    List<String> check() {
        long[] root = inodes.get(Inodes.ROOT);
        if (root == null || root[0] != InodeItem.DIRECTORY) {
            problem("the root directory (inode " + Inodes.ROOT + ") is missing or not a directory");
        }
        for (long[] e : entries) {
            long[] dir = inodes.get(e[0]);
            long[] target = inodes.get(e[1]);
            if (dir == null || dir[0] != InodeItem.DIRECTORY) {
                problem("directory entries of inode " + e[0] + ", which is not a directory");
            } else if (target == null) {
                problem("a name in directory " + e[0] + " leads to inode " + e[1] + ", which does not exist");
            } else if ((target[0] == InodeItem.DIRECTORY) != (e[2] == 1)) {
                problem("a name in directory " + e[0] + " says inode " + e[1] + " is " + (e[2] == 1 ? "" : "not ")
                        + "a directory; its inode says otherwise");
            } else if (target[1] != e[0]) {
                problem("inode " + e[1] + " is named in directory " + e[0] + " but its parent is " + target[1]);
            }
        }
        for (Map.Entry<Long, long[]> i : inodes.entrySet()) {
            long ino = i.getKey();
            int names = namedIn.getOrDefault(ino, List.of()).size();
            if (ino == Inodes.ROOT) {
                if (names > 0) {
                    problem("the root directory has a name");
                }
            } else if (names == 0 && !orphans.contains(ino)) {
                problem("inode " + ino + " has no name (parent " + i.getValue()[1] + ") and is no orphan");
            } else if (names > 1) {
                problem("inode " + ino + " has " + names + " names (in directories " + namedIn.get(ino) + ")");
            }
        }
        for (long ino : orphans) {
            if (!inodes.containsKey(ino)) {
                problem("an orphan item for inode " + ino + ", which does not exist");
            }
        }
        for (long ino : withExtents) {
            long[] i = inodes.get(ino);
            if (i == null || i[0] != InodeItem.FILE) {
                problem("extents of inode " + ino + ", which is not a file");
            }
        }
        return problems;
    }

    private void problem(String line) {
        if (problems.size() < MAX_LINES) {
            problems.add(line);
        }
    }
}
