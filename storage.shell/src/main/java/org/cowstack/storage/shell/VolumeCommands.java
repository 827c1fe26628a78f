package org.cowstack.storage.shell;

import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

import org.apache.felix.service.command.Descriptor;
import org.apache.felix.service.command.Parameter;
import org.apache.felix.service.command.annotations.GogoCommand;
import org.cowstack.storage.api.ByteSize;
import org.cowstack.storage.api.InvalidArgumentException;
import org.cowstack.storage.api.volume.BlockOwner;
import org.cowstack.storage.api.volume.DirEntry;
import org.cowstack.storage.api.volume.ExtentMapping;
import org.cowstack.storage.api.volume.FileHandle;
import org.cowstack.storage.api.volume.FileStat;
import org.cowstack.storage.api.volume.FormatOptions;
import org.cowstack.storage.api.volume.FormatResult;
import org.cowstack.storage.api.volume.MountOptions;
import org.cowstack.storage.api.volume.SpaceUsage;
import org.cowstack.storage.api.volume.Volume;
import org.cowstack.storage.api.volume.VolumeManager;
import org.cowstack.storage.api.volume.VolumeState;
import org.cowstack.storage.api.volume.VolumeStatus;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;

/** Volume and file commands: thin views over the engine's {@link VolumeManager}. */
@Component(service = VolumeCommands.class, immediate = true)
@GogoCommand(scope = "storage", function = {"mkfs", "mount", "remount", "umount", "volumes", "df", "ls", "mkdir", "rm", "mv", "io",
        "cp", "owners"})
public final class VolumeCommands {

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    private volatile VolumeManager manager;

    /** One mounted or configured volume; {@code state} as {@link VolumeStatus#describe()} puts it. */
    public record VolumeInfo(String name, String device, String state, String csum, long size, long used) {
    }

    /** Space of one volume, in bytes. */
    public record SpaceInfo(String name, long size, long used, long reserved, long free, long shared) {
    }

    /** One owner of a physical block. */
    public record OwnerInfo(String kind, String path, long inode, long offset) {
    }

    /** One directory entry. */
    public record EntryInfo(String name, String type, long size, long allocated, long inode) {
    }

    private VolumeManager manager() {
        VolumeManager m = manager;
        if (m == null) {
            throw new IllegalStateException("the storage engine (bundle storage.cow) is not running");
        }
        return m;
    }

    private Volume volume(String name) {
        return manager().volume(name).orElseThrow(() -> new IllegalArgumentException(
                "no volume named " + name + " is mounted; storage:volumes lists them"));
    }

    static URI device(String text) throws InvalidArgumentException {
        try {
            URI uri = new URI(text);
            if (uri.getScheme() == null) {
                throw new InvalidArgumentException("device", text, "a URI with a scheme, such as file:vol.img or mem:disk");
            }
            return uri;
        } catch (URISyntaxException e) {
            throw new InvalidArgumentException("device", text, "a URI (" + e.getReason() + ")");
        }
    }

    @Descriptor("create an empty volume on a device (the device is created when --size is given)")
    public String mkfs(
            @Descriptor("checksum algorithm, as listed by storage:csum") @Parameter(names = "--csum", absentValue = "crc32c") String csum,
            @Descriptor("block size, a power of two from 512 to 64k") @Parameter(names = "--block-size", absentValue = "4k") String blockSize,
            @Descriptor("volume size, such as 64m or 1g; default: the whole device") @Parameter(names = "--size", absentValue = "0") String size,
            @Descriptor("label") @Parameter(names = "--label", absentValue = "") String label,
            @Descriptor("device URI, such as file:vol.img, mem:disk1 or dax:pmem.img") String device) throws IOException {
        long bs = ByteSize.parse("block size", blockSize);
        if (bs > Integer.MAX_VALUE) {
            throw new InvalidArgumentException("block size", blockSize, "a power of two from 512 to 64k");
        }
        FormatOptions options = FormatOptions.defaults().checksum(csum).blockSize((int) bs)
                .size(ByteSize.parse("size", size)).label(label);
        FormatResult r = manager().mkfs(device(device), options);
        return String.format("formatted %s: %s, %d-byte blocks, %s, uuid %s", r.device(), ByteSize.format(r.size()),
                r.blockSize(), r.checksum(), r.uuid());
    }

    @Descriptor("mount the volume on a device under a name")
    public String mount(
            @Descriptor("mount read-only") @Parameter(names = "--ro", presentValue = "true", absentValue = "false") boolean readOnly,
            @Descriptor("allocation policy, as storage:alloc lists them") @Parameter(names = "--alloc", absentValue = "first-fit") String alloc,
            @Descriptor("DIO fallback strategy, as storage:dio lists them") @Parameter(names = "--dio", absentValue = "buffered") String dio,
            @Descriptor("how often dirty data is committed without fsync, such as 30 (seconds), 500ms or 2m; default 30s")
            @Parameter(names = "--commit-interval", absentValue = "") String commitInterval,
            @Descriptor("how long an operation waits for a missing service (checksum, policy, strategy, device backend) "
                    + "before it fails, such as 10 (seconds), 500ms or 0; default 10s")
            @Parameter(names = "--suspend-timeout", absentValue = "") String suspendTimeout,
            @Descriptor("volume name") String name,
            @Descriptor("device URI") String device) throws IOException {
        MountOptions options = MountOptions.defaults().readOnly(readOnly).allocationPolicy(alloc)
                .dioStrategy(dio);
        if (!commitInterval.isEmpty()) {
            options = options.commitInterval(DurationArg.positive("commit interval", commitInterval));
        }
        if (!suspendTimeout.isEmpty()) {
            options = options.suspendTimeout(DurationArg.parse("suspend timeout", suspendTimeout));
        }
        Volume v = manager().mount(name, device(device), options);
        return "mounted " + v.name() + " on " + v.device() + " (" + v.state() + ")";
    }

    @Descriptor("change a mounted volume to read-only (--ro: it commits, then refuses every change) or back to "
            + "read-write (--rw) without unmounting it: open files stay open; the mode is recorded in its configuration")
    public String remount(
            @Descriptor("make it read-only") @Parameter(names = "--ro", presentValue = "true", absentValue = "false") boolean readOnly,
            @Descriptor("make it read-write") @Parameter(names = "--rw", presentValue = "true", absentValue = "false") boolean readWrite,
            @Descriptor("volume name") String name) throws IOException {
        if (readOnly == readWrite) {
            throw new IllegalArgumentException("storage:remount takes one of --ro and --rw, as in storage:remount --ro "
                    + name);
        }
        manager().remount(name, readOnly);
        return "remounted " + name + (readOnly ? " read-only" : " read-write") + " ("
                + manager().volume(name).map(v -> v.state().toString()).orElse("not mounted") + ")";
    }

    @Descriptor("commit and unmount a volume, and remove it from the configuration (it is not mounted at the next start)")
    public String umount(@Descriptor("volume name") String name) throws IOException {
        manager().unmount(name);
        return "unmounted " + name;
    }

    @Descriptor("list the mounted and configured volumes: name, device, state (and what a SUSPENDED or OFFLINE "
            + "volume waits for, or why one FAILED), checksum, size, used")
    public Table<VolumeInfo> volumes() throws IOException {
        List<VolumeInfo> rows = new ArrayList<>();
        VolumeManager m = manager();
        for (VolumeStatus st : m.status()) {
            long size = -1;
            long used = -1;
            String csum = "-";
            Volume v = st.mounted() ? m.volume(st.name()).orElse(null) : null;
            if (v != null) {
                csum = v.checksum();
                // A volume waiting for a service would make this wait too: its space is shown once it is back.
                if (st.state() == VolumeState.MOUNTED || st.state() == VolumeState.READ_ONLY) {
                    SpaceUsage s = v.space();
                    size = s.size();
                    used = s.used();
                }
            }
            rows.add(new VolumeInfo(st.name(), st.device() == null ? "-" : st.device().toString(), st.describe(), csum,
                    size, used));
        }
        return Table.of(rows)
                .column("name", VolumeInfo::name)
                .column("device", VolumeInfo::device)
                .column("state", VolumeInfo::state)
                .column("csum", VolumeInfo::csum)
                .number("size", r -> r.size() < 0 ? "-" : ByteSize.format(r.size()))
                .number("used", r -> r.used() < 0 ? "-" : ByteSize.format(r.used()))
                .build();
    }

    @Descriptor("space of a volume: size, used, reserved for accepted writes, free, shared")
    public Table<SpaceInfo> df(@Descriptor("volume name") String name) throws IOException {
        SpaceUsage s = volume(name).space();
        return Table.of(List.of(new SpaceInfo(name, s.size(), s.used(), s.reserved(), s.free(), s.shared())))
                .column("volume", SpaceInfo::name)
                .number("size", r -> r.size())
                .number("used", r -> r.used())
                .number("reserved", r -> r.reserved())
                .number("free", r -> r.free())
                .number("shared", r -> r.shared())
                .build();
    }

    @Descriptor("list the root directory of a volume")
    public Table<EntryInfo> ls(@Descriptor("volume name") String name) throws IOException {
        return ls(name, "/");
    }

    @Descriptor("list a directory of a volume, or show one file")
    public Table<EntryInfo> ls(@Descriptor("volume name") String name, @Descriptor("path, such as /dir") String path)
            throws IOException {
        Volume v = volume(name);
        List<EntryInfo> rows = new ArrayList<>();
        FileStat st = v.stat(path);
        if (!st.directory()) {
            String leaf = path.substring(path.lastIndexOf('/') + 1);
            rows.add(new EntryInfo(leaf, "file", st.size(), st.allocated(), st.inode()));
        } else {
            String dir = path.endsWith("/") ? path : path + "/";
            for (DirEntry e : v.list(path)) {
                FileStat s = v.stat(dir + e.name());
                rows.add(new EntryInfo(e.name(), e.directory() ? "dir" : "file", s.size(), s.allocated(), e.inode()));
            }
        }
        return Table.of(rows)
                .column("name", EntryInfo::name)
                .column("type", EntryInfo::type)
                .number("size", EntryInfo::size)
                .number("allocated", EntryInfo::allocated)
                .number("inode", EntryInfo::inode)
                .build();
    }

    @Descriptor("create a directory")
    public void mkdir(@Descriptor("volume name") String name, @Descriptor("path of the new directory") String path)
            throws IOException {
        volume(name).mkdir(path);
    }

    @Descriptor("remove a file or an empty directory")
    public void rm(@Descriptor("volume name") String name, @Descriptor("path") String path) throws IOException {
        volume(name).delete(path);
    }

    @Descriptor("rename a file or directory (replacing a file or empty directory of the target name)")
    public void mv(@Descriptor("volume name") String name, @Descriptor("path") String from,
            @Descriptor("new path") String to) throws IOException {
        volume(name).rename(from, to);
    }

    @Descriptor("open a file (creating it, like xfs_io -f) and run xfs_io-style commands on it in order: "
            + "'pwrite [-S BYTE] [-d] [-a] [-b BSIZE] OFF LEN', 'pread [-d] [-P BYTE] [-v] OFF LEN', "
            + "'truncate SIZE', 'fsync', 'stat', 'md5sum', 'fiemap', 'falloc [-k] OFF LEN', 'fpunch OFF LEN', "
            + "'fzero [-k] OFF LEN', 'funshare OFF LEN', 'reflink SRC SRCOFF DSTOFF LEN', "
            + "'dedupe SRC SRCOFF DSTOFF LEN', 'chattr +C|-C|+nodatasum|-nodatasum', 'lsattr'")
    public void io(@Descriptor("volume name") String name, @Descriptor("file path") String path,
            @Descriptor("commands, one per argument, such as 'pwrite 0 4k'") String... commands) throws IOException {
        if (commands.length == 0) {
            throw new IllegalArgumentException("io: give at least one command (" + IoScript.COMMANDS + ")");
        }
        Volume v = volume(name);
        Set<StandardOpenOption> options = v.state() == VolumeState.READ_ONLY ? EnumSet.of(StandardOpenOption.READ)
                : EnumSet.of(StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
        try (FileHandle f = v.open(path, options)) {
            IoScript script = new IoScript(v, f, System.out);
            for (String c : commands) {
                script.run(c);
            }
        }
    }

    @Descriptor("copy a file within a volume: its data (holes stay holes), or with --reflink its blocks, shared")
    public String cp(
            @Descriptor("share the blocks instead of copying the data (metadata only)")
            @Parameter(names = "--reflink", presentValue = "true", absentValue = "false") boolean reflink,
            @Descriptor("volume name") String name,
            @Descriptor("source file") String from,
            @Descriptor("target file, created or replaced") String to) throws IOException {
        Volume v = volume(name);
        if (sameFile(v, from, to)) {
            // opening the target truncates it: that would empty the source first
            throw new IllegalArgumentException("cp: " + from + " and " + to + " are the same file");
        }
        try (FileHandle src = v.open(from, EnumSet.of(StandardOpenOption.READ));
                FileHandle dst = v.open(to, EnumSet.of(StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                        StandardOpenOption.TRUNCATE_EXISTING))) {
            if (reflink) {
                long n = dst.cloneRange(src, 0, 0, 0);
                return "linked " + n + " bytes of " + from + " to " + to;
            }
            long size = src.size();
            long copied = 0;
            java.nio.ByteBuffer buf = java.nio.ByteBuffer.allocate(1 << 20);
            for (ExtentMapping m : src.extents(0, 0)) {
                if (m.flags().contains(ExtentMapping.Flag.HOLE) || m.flags().contains(ExtentMapping.Flag.UNWRITTEN)) {
                    continue;
                }
                long end = Math.min(size, m.logical() + m.length());
                for (long at = m.logical(); at < end; at += buf.capacity()) {
                    buf.clear().limit((int) Math.min(buf.capacity(), end - at));
                    int n = src.read(buf, at);
                    buf.flip();
                    dst.write(buf, at);
                    copied += n;
                }
            }
            dst.truncate(size);
            return "copied " + copied + " bytes of data (" + size + " bytes with holes) from " + from + " to " + to;
        }
    }

    private static boolean sameFile(Volume v, String from, String to) throws IOException {
        long source = v.stat(from).inode();
        try {
            return v.stat(to).inode() == source;
        } catch (java.nio.file.NoSuchFileException absent) {
            return false;
        }
    }

    @Descriptor("who references a physical block (in file-system blocks, as fiemap's physical / block size): "
            + "files with their offsets, metadata trees, or the reserved area")
    public Object owners(@Descriptor("volume name") String name, @Descriptor("physical block number") String block)
            throws IOException {
        long b = ByteSize.parse("block", block);
        List<BlockOwner> owners = volume(name).owners(b);
        if (owners.isEmpty()) {
            return "block " + b + " is free";
        }
        List<OwnerInfo> rows = new ArrayList<>();
        for (BlockOwner o : owners) {
            rows.add(new OwnerInfo(o.kind().name().toLowerCase(java.util.Locale.ROOT), o.path(), o.inode(), o.offset()));
        }
        return Table.of(rows)
                .column("owner", OwnerInfo::kind)
                .column("path", OwnerInfo::path)
                .column("inode", r -> r.inode() < 0 ? "-" : Long.toString(r.inode()))
                .column("offset", r -> r.offset() < 0 ? "-" : Long.toString(r.offset()))
                .build();
    }
}
