package org.cowstack.storage.shell;

import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import org.apache.felix.service.command.CommandSession;
import org.apache.felix.service.command.Descriptor;
import org.apache.felix.service.command.annotations.GogoCommand;
import org.cowstack.storage.api.ByteSize;
import org.cowstack.storage.api.InvalidArgumentException;
import org.cowstack.storage.api.volume.CacheUsage;
import org.cowstack.storage.api.volume.FormatOptions;
import org.cowstack.storage.api.volume.FormatResult;
import org.cowstack.storage.api.volume.MountOptions;
import org.cowstack.storage.api.volume.SpaceUsage;
import org.cowstack.storage.api.volume.Volume;
import org.cowstack.storage.api.volume.VolumeManager;
import org.cowstack.storage.api.volume.VolumeState;
import org.cowstack.storage.api.volume.VolumeStatus;
import org.cowstack.storage.shell.cli.ParsedArgs;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;

/**
 * Volume commands: thin views over the engine's {@link VolumeManager}. Each method takes
 * the words as typed and parses them by its declaration in {@link Commands}.
 */
@Component(service = VolumeCommands.class, immediate = true)
@GogoCommand(scope = Commands.SCOPE, function = {"mkfs", "mount", "remount", "umount", "volumes", "df",
    "cache"})
public final class VolumeCommands {

    private final Engine engine = new Engine();

    /** One mounted or configured volume; {@code state} as {@link VolumeStatus#describe()} puts it; -1: unknown. */
    public record VolumeInfo(String name, String device, String state, String csum, long size, long used)
            implements Described.Fields {
        @Override
        public String line() {
            return name + " on " + device + ": " + state + (size < 0 ? "" : ", " + csum + ", "
                    + ByteSize.format(used) + " of " + ByteSize.format(size) + " used");
        }
    }

    /** Space of one volume, in bytes. */
    public record SpaceInfo(String name, long size, long used, long reserved, long free, long shared, String data,
            String metadata) implements Described.Fields {
        @Override
        public String line() {
            return name + ": " + ByteSize.format(free) + " free of " + ByteSize.format(size);
        }
    }

    /**
     * The cache of one volume: sizes in bytes, hits and misses in blocks since mount;
     * {@code shared}: clean bytes served to more than one file (held once); {@code pinned}:
     * clean bytes held for mapped views; {@code hitRate} 0 to 1.
     */
    public record CacheInfo(String name, long sizeLimit, long cached, long dirty, long hits, long misses,
            long readAhead, long shared, long pinned, double hitRate) implements Described.Fields {
        @Override
        public String line() {
            return name + ": " + ByteSize.format(cached) + " cached of " + ByteSize.format(sizeLimit) + ", "
                    + ByteSize.format(shared) + " shared, " + hitPercent() + "% hits";
        }

        /** The hit rate as a percentage with one decimal: {@code 99.4}. */
        public String hitPercent() {
            return String.format(java.util.Locale.ROOT, "%.1f", hitRate * 100);
        }
    }

    /** What {@code storage:mkfs} wrote. */
    public record Formatted(URI device, UUID uuid, String label, String checksum, int blockSize, long size)
            implements Described {
        @Override
        public String line() {
            return "formatted " + device + " (" + ByteSize.format(size) + ", " + checksum + ")";
        }

        @Override
        public String details() {
            return String.format("formatted %s: %s, %d-byte blocks, %s, uuid %s%s", device, ByteSize.format(size),
                    blockSize, checksum, uuid, label == null || label.isEmpty() ? "" : ", label " + label);
        }
    }

    /** A volume {@code storage:mount} mounted (or found mounted already). */
    public record Mounted(String name, URI device, VolumeState state, boolean readOnly, String allocationPolicy,
            String dioStrategy, Duration commitInterval, Duration suspendTimeout) implements Described {
        @Override
        public String line() {
            return "mounted " + name + " on " + device + " (" + state + ")";
        }
    }

    /** A volume {@code storage:remount} changed. */
    public record Remounted(String name, boolean readOnly, String state) implements Described {
        @Override
        public String line() {
            return "remounted " + name + (readOnly ? " read-only" : " read-write") + " (" + state + ")";
        }
    }

    /** A read-only volume {@code storage:remount --refresh} mounted again, at its device's newest commit. */
    public record Refreshed(String name, long generation, String state) implements Described {
        @Override
        public String line() {
            return "refreshed " + name + ": generation " + generation + " (" + state + ")";
        }
    }

    /** A volume {@code storage:umount} unmounted and forgot. */
    public record Unmounted(String name) implements Described {
        @Override
        public String line() {
            return "unmounted " + name;
        }
    }

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    void bindManager(VolumeManager m) {
        engine.bind(m);
    }

    void unbindManager(VolumeManager m) {
        engine.unbind(m);
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

    @Descriptor(Commands.MKFS_TEXT)
    public Formatted mkfs(CommandSession session, @Descriptor(Commands.ARGS) CharSequence... args)
            throws IOException {
        ParsedArgs a = Invocation.parse(Commands.MKFS, session, args);
        String blockSize = a.option("--block-size", "4k");
        long bs = ByteSize.parse("block size", blockSize);
        if (bs > Integer.MAX_VALUE) {
            throw new InvalidArgumentException("block size", blockSize, "a power of two from 512 to 64k");
        }
        FormatOptions options = FormatOptions.defaults().checksum(a.option("--csum", "crc32c")).blockSize((int) bs)
                .size(ByteSize.parse("size", a.option("--size", "0"))).label(a.option("--label", ""))
                .dataProfile(profile("--data", a.option("--data", FormatOptions.defaults().dataProfile())))
                .metadataProfile(profile("--metadata", a.option("--metadata",
                        FormatOptions.defaults().metadataProfile())));
        URI uri = device(a.arg(0));
        FormatResult r = engine.manager().mkfs(uri, options);
        return new Formatted(r.device(), r.uuid(), r.label(), r.checksum(), r.blockSize(), r.size());
    }

    /** A profile as mkfs takes it: single or dup; anything else is one line naming the value. */
    private static String profile(String option, String value) throws InvalidArgumentException {
        if (!FormatOptions.SINGLE.equals(value) && !FormatOptions.DUP.equals(value)) {
            throw new InvalidArgumentException(option, value, FormatOptions.SINGLE + " or " + FormatOptions.DUP);
        }
        return value;
    }

    @Descriptor(Commands.MOUNT_TEXT)
    public Mounted mount(CommandSession session, @Descriptor(Commands.ARGS) CharSequence... args) throws IOException {
        ParsedArgs a = Invocation.parse(Commands.MOUNT, session, args);
        MountOptions options = MountOptions.defaults().readOnly(a.has("--ro"))
                .allocationPolicy(a.option("--alloc", "first-fit")).dioStrategy(a.option("--dio", "buffered"));
        if (a.has("--commit-interval")) {
            options = options.commitInterval(DurationArg.positive("commit interval", a.option("--commit-interval", "")));
        }
        if (a.has("--suspend-timeout")) {
            options = options.suspendTimeout(DurationArg.parse("suspend timeout", a.option("--suspend-timeout", "")));
        }
        URI uri = device(a.arg(1));
        VolumeManager m = engine.manager();
        Volume v = m.mount(a.arg(0), uri, options);
        MountOptions in = m.options(v.name()).orElse(options);
        return new Mounted(v.name(), v.device(), v.state(), in.readOnly(), in.allocationPolicy(), in.dioStrategy(),
                in.commitInterval(), in.suspendTimeout());
    }

    @Descriptor(Commands.REMOUNT_TEXT)
    public Described remount(CommandSession session, @Descriptor(Commands.ARGS) CharSequence... args)
            throws IOException {
        ParsedArgs a = Invocation.parse(Commands.REMOUNT, session, args);
        String name = a.arg(0);
        VolumeManager m = engine.manager();
        if (a.has("--refresh")) {
            long generation = m.refresh(name);
            return new Refreshed(name, generation, m.volume(name).map(v -> v.state().toString()).orElse("not mounted"));
        }
        boolean readOnly = a.has("--ro");
        m.remount(name, readOnly);
        return new Remounted(name, readOnly, m.volume(name).map(v -> v.state().toString()).orElse("not mounted"));
    }

    @Descriptor(Commands.UMOUNT_TEXT)
    public Unmounted umount(CommandSession session, @Descriptor(Commands.ARGS) CharSequence... args)
            throws IOException {
        ParsedArgs a = Invocation.parse(Commands.UMOUNT, session, args);
        engine.manager().unmount(a.arg(0));
        return new Unmounted(a.arg(0));
    }

    @Descriptor(Commands.VOLUMES_TEXT)
    public Object volumes(CommandSession session, @Descriptor(Commands.ARGS) CharSequence... args)
            throws IOException {
        ParsedArgs a = Invocation.parse(Commands.VOLUMES_COMMAND, session, args);
        List<VolumeInfo> rows = new ArrayList<>();
        VolumeManager m = engine.manager();
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
                .number("size", r -> r.size() < 0 ? "-" : ByteSize.format(r.size()), r -> r.size() < 0 ? null : r.size())
                .number("used", r -> r.used() < 0 ? "-" : ByteSize.format(r.used()), r -> r.used() < 0 ? null : r.used())
                .build()
                .as(a.json());
    }

    @Descriptor(Commands.DF_TEXT)
    public Object df(CommandSession session, @Descriptor(Commands.ARGS) CharSequence... args) throws IOException {
        ParsedArgs a = Invocation.parse(Commands.DF, session, args);
        String name = a.arg(0);
        SpaceUsage s = engine.volume(name).space();
        return Table.of(List.of(new SpaceInfo(name, s.size(), s.used(), s.reserved(), s.free(), s.shared(),
                        s.dataProfile(), s.metadataProfile())))
                .column("volume", SpaceInfo::name)
                .number("size", SpaceInfo::size)
                .number("used", SpaceInfo::used)
                .number("reserved", SpaceInfo::reserved)
                .number("free", SpaceInfo::free)
                .number("shared", SpaceInfo::shared)
                .column("data", SpaceInfo::data)
                .column("metadata", SpaceInfo::metadata)
                .build()
                .as(a.json());
    }

    @Descriptor(Commands.CACHE_TEXT)
    public Object cache(CommandSession session, @Descriptor(Commands.ARGS) CharSequence... args) {
        ParsedArgs a = Invocation.parse(Commands.CACHE, session, args);
        List<Volume> volumes = a.count() == 0 ? engine.manager().volumes() : List.of(engine.volume(a.arg(0)));
        List<CacheInfo> rows = new ArrayList<>();
        for (Volume v : volumes) {
            CacheUsage c = v.cache();
            rows.add(new CacheInfo(v.name(), c.sizeLimit(), c.cached(), c.dirty(), c.hits(), c.misses(),
                    c.readAheadBytes(), c.shared(), c.pinned(), c.hitRate()));
        }
        return Table.of(rows)
                .column("volume", CacheInfo::name)
                .number("limit", CacheInfo::sizeLimit)
                .number("cached", CacheInfo::cached)
                .number("shared", CacheInfo::shared)
                .number("pinned", CacheInfo::pinned)
                .number("dirty", CacheInfo::dirty)
                .number("hits", CacheInfo::hits)
                .number("misses", CacheInfo::misses)
                .number("hit%", CacheInfo::hitPercent, r -> Math.round(r.hitRate() * 1000) / 10.0)
                .number("readahead", CacheInfo::readAhead)
                .build()
                .as(a.json());
    }
}
