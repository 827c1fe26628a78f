package org.cowstack.storage.cow.fs;

import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import java.util.UUID;

import org.cowstack.storage.api.CorruptImageException;
import org.cowstack.storage.api.InvalidArgumentException;
import org.cowstack.storage.api.NotSupportedException;
import org.cowstack.storage.api.csum.ChecksumAlgorithm;
import org.cowstack.storage.api.device.BlockDevice;
import org.cowstack.storage.api.volume.FormatOptions;
import org.cowstack.storage.api.volume.FormatResult;
import org.cowstack.storage.api.volume.MountOptions;
import org.cowstack.storage.cow.bind.VolumeServices;
import org.cowstack.storage.cow.core.VolumeCore;
import org.cowstack.storage.cow.format.Corruption;
import org.cowstack.storage.cow.format.InodeItem;
import org.cowstack.storage.cow.format.Profile;
import org.cowstack.storage.cow.format.Superblock;
import org.cowstack.storage.cow.format.TreeId;
import org.cowstack.storage.cow.meta.Inodes;

/**
 * A volume's image on its device: writing a new one (mkfs), opening one (mount), finding
 * the newest valid superblock and telling whether a device still holds a volume's last
 * commit.
 */
final class VolumeFormat {
    private VolumeFormat() {
    }

    /**
     * Writes a new, empty file system on {@code device}: generation 1 in both superblock
     * slots, so no copy of an earlier file system there can win at mount.
     */
    static FormatResult format(BlockDevice device, FormatOptions options, VolumeServices services,
            String allocationPolicy) throws IOException {
        ChecksumAlgorithm checksum = services.checksum(options.checksum());
        if (checksum == null) {
            throw new NotSupportedException("checksum algorithm " + options.checksum()
                    + " is not installed; storage:csum lists those that are");
        }
        int bs = options.blockSize();
        if (bs % device.blockSize() != 0 || Superblock.SIZE % device.blockSize() != 0) {
            throw new InvalidArgumentException("blockSize", bs, "a multiple of " + device.uri()
                    + "'s block size " + device.blockSize());
        }
        long bytes = options.size() > 0 ? options.size() : device.size();
        if (bytes > device.size()) {
            throw new InvalidArgumentException("size", bytes, "at most the device size " + device.size());
        }
        long total = bytes / bs;
        int nodeBlocks = Math.max(VolumeCore.MIN_NODE_SIZE, bs) / bs;
        long minimum = Superblock.firstDataBlock(bs) + 64L * nodeBlocks + 64;
        if (total < minimum) {
            throw new InvalidArgumentException("size", bytes, "at least " + minimum * bs + " bytes with "
                    + bs + "-byte blocks");
        }
        Superblock.Root placeholder = new Superblock.Root(Superblock.firstDataBlock(bs), 0, 0);
        TreeMap<Integer, Superblock.Root> roots = new TreeMap<>();
        for (TreeId t : TreeId.values()) {
            if (t.required()) {
                roots.put(t.id(), placeholder);
            }
        }
        Superblock sb = new Superblock(UUID.randomUUID(), options.label(), bs, checksum.id(),
                Profile.named(options.dataProfile()), Profile.named(options.metadataProfile()), 0, total,
                Inodes.ROOT + 1, 0, 0, 0, 0, roots);
        CowVolume v = new CowVolume(new VolumeCore("mkfs", device.uri(), device, services, checksum,
                allocationPolicy, false, sb, true, CowVolume.DEFAULT_CACHE_BYTES), null);
        long now = VolumeCore.now();
        v.core.treeLock.changing(() -> v.core.inodes.put(Inodes.ROOT,
                new InodeItem(InodeItem.DIRECTORY, 0, Inodes.ROOT, 0, now, now, now, 1, 0)));
        v.sync();
        Superblock written = v.core.committed();
        device.write(written.encode(checksum), Superblock.OFFSETS[(int) ((written.generation + 1) % 2)]);
        device.flush();
        return new FormatResult(device.uri(), written.uuid, written.label, checksum.name(), bs,
                written.totalBlocks * bs);
    }

    /**
     * The shared state of the volume on {@code device}, checked against the device and
     * loaded (free space, the root directory): what a mount starts from.
     */
    static VolumeCore open(String name, URI uri, BlockDevice device, VolumeServices services, MountOptions options,
            long cacheBytes) throws IOException {
        Superblock sb = readSuperblock(device, services);
        String where = uri.toString();
        if (sb.blockSize % device.blockSize() != 0) {
            throw new CorruptImageException(where, "block size " + sb.blockSize + " does not fit the device's "
                    + device.blockSize());
        }
        if (sb.totalBlocks > device.size() / sb.blockSize) {
            throw new CorruptImageException(where, "the file system has " + sb.totalBlocks * sb.blockSize
                    + " bytes but the device only " + device.size() + " (a truncated image?)");
        }
        boolean readOnly = options.readOnly() || device.isReadOnly() || unknownReadOnlyFeatures(sb) != 0;
        ChecksumAlgorithm checksum = services.checksum(sb.checksumId);
        if (!options.checksum().isEmpty() && !options.checksum().equals(checksum.name())) {
            throw new InvalidArgumentException("checksum", options.checksum(), "the algorithm of the image on " + uri
                    + ", which is " + checksum.name() + " (was the device formatted again?)");
        }
        try {
            VolumeCore core = new VolumeCore(name, uri, device, services, checksum, options.allocationPolicy(),
                    readOnly, sb, false, cacheBytes);
            core.bindings.strategy(options.dioStrategy(), services.dioStrategy(options.dioStrategy()));
            core.bindings.timeoutMillis(options.suspendTimeout().toMillis());
            core.loadFreeSpace();
            core.inodes.getOrThrow(Inodes.ROOT, "/");
            return core;
        } catch (Corruption e) {
            throw new CorruptImageException(where, e.getMessage(), e);
        }
    }

    /** Read-only compatible features of the image that this engine does not know: it may only read it. */
    static long unknownReadOnlyFeatures(Superblock sb) {
        return sb.compatRo & ~Superblock.COMPAT_RO_SUPPORTED;
    }

    /** Whether {@code d} holds what the volume last committed (same file system, same generation). */
    static boolean holdsLastCommit(BlockDevice d, VolumeCore core) {
        try {
            Superblock now = readSuperblock(d, core.services);
            Superblock mine = core.committed();
            return now.uuid.equals(mine.uuid) && now.generation == mine.generation;
        } catch (IOException e) {
            return false;
        }
    }

    /** The newest superblock copy that verifies. */
    static Superblock readSuperblock(BlockDevice device, VolumeServices services) throws IOException {
        String where = device.uri().toString();
        if (device.size() < Superblock.RESERVED_BYTES) {
            throw new CorruptImageException(where, "the device is too small to hold a volume (" + device.size()
                    + " bytes)");
        }
        Superblock best = null;
        List<String> problems = new ArrayList<>();
        NotSupportedException unsupported = null;
        for (long offset : Superblock.OFFSETS) {
            ByteBuffer raw = device.allocate(Superblock.SIZE);
            try {
                device.read(raw, offset);
                Superblock sb = Superblock.decode(raw.flip(), where, services::checksum);
                if (best == null || sb.generation > best.generation) {
                    best = sb;
                }
            } catch (CorruptImageException e) {
                problems.add("copy at " + offset + ": " + e.getMessage().substring(where.length() + 2));
            } catch (NotSupportedException e) {
                unsupported = e;
                problems.add("copy at " + offset + ": " + e.getMessage());
            }
        }
        if (best != null) {
            return best;
        }
        if (unsupported != null) {
            throw unsupported;
        }
        throw new CorruptImageException(where, "no valid superblock (" + String.join("; ", problems) + ")");
    }
}
