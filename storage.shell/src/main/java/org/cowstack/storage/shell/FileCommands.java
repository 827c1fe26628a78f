package org.cowstack.storage.shell;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.NoSuchFileException;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

import org.apache.felix.service.command.CommandSession;
import org.apache.felix.service.command.Descriptor;
import org.apache.felix.service.command.annotations.GogoCommand;
import org.cowstack.storage.api.ByteSize;
import org.cowstack.storage.api.volume.BlockOwner;
import org.cowstack.storage.api.volume.DirEntry;
import org.cowstack.storage.api.volume.ExtentMapping;
import org.cowstack.storage.api.volume.FileHandle;
import org.cowstack.storage.api.volume.FileStat;
import org.cowstack.storage.api.volume.Volume;
import org.cowstack.storage.api.volume.VolumeManager;
import org.cowstack.storage.api.volume.VolumeState;
import org.cowstack.storage.shell.cli.ParsedArgs;
import org.cowstack.storage.shell.cli.Progress;
import org.cowstack.storage.shell.cli.ProgressReporter;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;

/** File and directory commands inside a mounted volume: thin views over its {@link Volume}. */
@Component(service = FileCommands.class, immediate = true)
@GogoCommand(scope = Commands.SCOPE, function = {"ls", "mkdir", "rm", "mv", "io", "cp", "owners"})
public final class FileCommands {

    private final Engine engine = new Engine();

    /** One directory entry. */
    public record EntryInfo(String name, String type, long size, long allocated, long inode) implements Described.Fields {
        @Override
        public String line() {
            return name + " (" + type + ", " + size + " bytes)";
        }
    }

    /** One owner of a physical block; -1: not applicable. */
    public record OwnerInfo(String kind, String path, long inode, long offset) implements Described.Fields {
        @Override
        public String line() {
            return kind + " " + path + (offset < 0 ? "" : " at offset " + offset);
        }
    }

    /** What {@code storage:cp} copied. */
    public record Copied(String from, String to, boolean reflink, long bytes, long size) implements Described {
        @Override
        public String line() {
            return reflink ? "linked " + bytes + " bytes of " + from + " to " + to
                    : "copied " + bytes + " bytes of data (" + size + " bytes with holes) from " + from + " to " + to;
        }
    }

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    void bindManager(VolumeManager m) {
        engine.bind(m);
    }

    void unbindManager(VolumeManager m) {
        engine.unbind(m);
    }

    @Descriptor(Commands.LS_TEXT)
    public Object ls(CommandSession session, @Descriptor(Commands.ARGS) CharSequence... args) throws IOException {
        ParsedArgs a = Invocation.parse(Commands.LS, session, args);
        String path = a.arg(1, "/");
        Volume v = engine.volume(a.arg(0));
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
                .build()
                .as(a.json());
    }

    @Descriptor(Commands.MKDIR_TEXT)
    public void mkdir(CommandSession session, @Descriptor(Commands.ARGS) CharSequence... args) throws IOException {
        ParsedArgs a = Invocation.parse(Commands.MKDIR, session, args);
        engine.volume(a.arg(0)).mkdir(a.arg(1));
    }

    @Descriptor(Commands.RM_TEXT)
    public void rm(CommandSession session, @Descriptor(Commands.ARGS) CharSequence... args) throws IOException {
        ParsedArgs a = Invocation.parse(Commands.RM, session, args);
        engine.volume(a.arg(0)).delete(a.arg(1));
    }

    @Descriptor(Commands.MV_TEXT)
    public void mv(CommandSession session, @Descriptor(Commands.ARGS) CharSequence... args) throws IOException {
        ParsedArgs a = Invocation.parse(Commands.MV, session, args);
        engine.volume(a.arg(0)).rename(a.arg(1), a.arg(2));
    }

    @Descriptor(Commands.IO_TEXT)
    public void io(CommandSession session, @Descriptor(Commands.ARGS) CharSequence... args) throws IOException {
        ParsedArgs a = Invocation.parse(Commands.IO, session, args);
        List<String> words = a.from(2);
        // Every io command is read before any runs: a mistake in the third changes nothing.
        List<IoScript.Parsed> script = new ArrayList<>();
        for (int i = 0; i < words.size(); i++) {
            try {
                script.add(IoScript.parse(words.get(i)));
            } catch (IllegalArgumentException e) {
                if (unquoted(words)) {
                    throw Commands.IO.error("each io command is one word with its arguments: quote it, as in "
                            + "storage:io " + a.arg(0) + " " + a.arg(1) + " " + quoted(words));
                }
                throw e;
            }
        }
        Volume v = engine.volume(a.arg(0));
        Set<StandardOpenOption> options = v.state() == VolumeState.READ_ONLY ? EnumSet.of(StandardOpenOption.READ)
                : EnumSet.of(StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
        try (FileHandle f = v.open(a.arg(1), options)) {
            IoScript io = new IoScript(v, f, System.out, ProgressReporter.of(session));
            try {
                for (IoScript.Parsed p : script) {
                    io.run(p);
                }
            } finally {
                io.close();
            }
        }
    }

    /**
     * Whether the io commands look typed without their quotes: a sub-command that takes
     * arguments standing alone, followed by a word that is no sub-command ({@code pwrite 0 4k}).
     */
    private static boolean unquoted(List<String> words) {
        for (int i = 0; i + 1 < words.size(); i++) {
            String w = words.get(i);
            String next = words.get(i + 1);
            if (w.indexOf(' ') < 0 && IoScript.find(w).map(c -> c.max() > 0).orElse(false) && next.indexOf(' ') < 0
                    && IoScript.find(next).isEmpty()) {
                return true;
            }
        }
        return false;
    }

    /** The words regrouped as they were probably meant: each sub-command quoted with the words after it. */
    private static String quoted(List<String> words) {
        StringBuilder out = new StringBuilder();
        for (String w : words) {
            boolean starts = out.length() == 0 || IoScript.find(w).isPresent();
            if (starts) {
                out.append(out.length() == 0 ? "\"" : "\" \"");
            } else {
                out.append(' ');
            }
            out.append(w);
        }
        return out.append('"').toString();
    }

    @Descriptor(Commands.CP_TEXT)
    public Copied cp(CommandSession session, @Descriptor(Commands.ARGS) CharSequence... args) throws IOException {
        ParsedArgs a = Invocation.parse(Commands.CP, session, args);
        String from = a.arg(1);
        String to = a.arg(2);
        Volume v = engine.volume(a.arg(0));
        if (sameFile(v, from, to)) {
            // opening the target truncates it: that would empty the source first
            throw new IllegalArgumentException("cp: " + from + " and " + to + " are the same file");
        }
        try (FileHandle src = v.open(from, EnumSet.of(StandardOpenOption.READ));
                FileHandle dst = v.open(to, EnumSet.of(StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                        StandardOpenOption.TRUNCATE_EXISTING))) {
            if (a.has("--reflink")) {
                long n = dst.cloneRange(src, 0, 0, 0);
                return new Copied(from, to, true, n, n);
            }
            long size = src.size();
            List<ExtentMapping> data = new ArrayList<>();
            long total = 0;
            for (ExtentMapping m : src.extents(0, 0)) {
                if (m.flags().contains(ExtentMapping.Flag.HOLE) || m.flags().contains(ExtentMapping.Flag.UNWRITTEN)
                        || m.logical() >= size) {
                    continue;
                }
                data.add(m);
                total += Math.min(size, m.logical() + m.length()) - m.logical();
            }
            long copied = 0;
            ByteBuffer buf = ByteBuffer.allocate(1 << 20);
            try (Progress p = ProgressReporter.of(session).start("cp " + from, total)) {
                p.checkpoint();
                for (ExtentMapping m : data) {
                    long end = Math.min(size, m.logical() + m.length());
                    long at = m.logical();
                    while (at < end) {
                        buf.clear().limit((int) Math.min(buf.capacity(), end - at));
                        int n = src.read(buf, at);
                        if (n <= 0) {
                            break;
                        }
                        buf.flip();
                        dst.write(buf, at);
                        copied += n;
                        at += n;
                        p.advance(n);
                    }
                }
            }
            dst.truncate(size);
            return new Copied(from, to, false, copied, size);
        }
    }

    private static boolean sameFile(Volume v, String from, String to) throws IOException {
        long source = v.stat(from).inode();
        try {
            return v.stat(to).inode() == source;
        } catch (NoSuchFileException absent) {
            return false;
        }
    }

    @Descriptor(Commands.OWNERS_TEXT)
    public Object owners(CommandSession session, @Descriptor(Commands.ARGS) CharSequence... args) throws IOException {
        ParsedArgs a = Invocation.parse(Commands.OWNERS, session, args);
        long b = ByteSize.parse("block", a.arg(1));
        List<OwnerInfo> rows = new ArrayList<>();
        for (BlockOwner o : engine.volume(a.arg(0)).owners(b)) {
            rows.add(new OwnerInfo(o.kind().name().toLowerCase(Locale.ROOT), o.path(), o.inode(), o.offset()));
        }
        return Table.of(rows)
                .column("owner", OwnerInfo::kind)
                .column("path", OwnerInfo::path)
                .column("inode", r -> r.inode() < 0 ? "-" : Long.toString(r.inode()), r -> r.inode() < 0 ? null : r.inode())
                .column("offset", r -> r.offset() < 0 ? "-" : Long.toString(r.offset()),
                        r -> r.offset() < 0 ? null : r.offset())
                .whenEmpty("block " + b + " is free")
                .build()
                .as(a.json());
    }
}
