package org.cowstack.storage.api.scrub;

import java.util.List;

/**
 * What a consistency check ({@code storage:check}) of one commit found: every node of
 * every tree read from the device and verified (checksum and identity), the tree
 * structure, the reference counts, back references and free space against each other.
 * Returned by {@link org.cowstack.storage.api.volume.Volume#check()} and
 * {@link org.cowstack.storage.api.volume.VolumeManager#check(java.net.URI)}.
 *
 * @param problems          one line per problem found, empty when clean (long lists end
 *                          with a line counting the rest)
 * @param generation        the commit checked
 * @param trees             trees walked
 * @param nodes             metadata nodes read
 * @param checksumsVerified node copies whose checksum matched (two per node with
 *                          duplicated metadata)
 * @param extents           file extents
 * @param blocksReferenced  blocks with at least one reference
 * @param freeBlocks        blocks in the free-space tree
 */
public record CheckReport(List<String> problems, long generation, int trees, long nodes, long checksumsVerified,
        long extents, long blocksReferenced, long freeBlocks) {
    public CheckReport {
        problems = List.copyOf(problems);
    }

    /** No problem found. */
    public boolean clean() {
        return problems.isEmpty();
    }
}
