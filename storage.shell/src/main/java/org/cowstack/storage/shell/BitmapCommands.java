package org.cowstack.storage.shell;

import java.io.IOException;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;

import org.apache.felix.service.command.CommandSession;
import org.apache.felix.service.command.Descriptor;
import org.apache.felix.service.command.annotations.GogoCommand;
import org.cowstack.storage.api.ByteSize;
import org.cowstack.storage.api.bitmap.BackupSync;
import org.cowstack.storage.api.bitmap.BitmapException;
import org.cowstack.storage.api.bitmap.BitmapInfo;
import org.cowstack.storage.api.bitmap.BitmapMode;
import org.cowstack.storage.api.bitmap.BitmapOptions;
import org.cowstack.storage.api.bitmap.BitmapSync;
import org.cowstack.storage.api.bitmap.DirtyBitmaps;
import org.cowstack.storage.api.bitmap.DirtyRange;
import org.cowstack.storage.api.volume.FileHandle;
import org.cowstack.storage.api.volume.Volume;
import org.cowstack.storage.api.volume.VolumeManager;
import org.cowstack.storage.shell.backup.Backups;
import org.cowstack.storage.shell.backup.ImageRef;
import org.cowstack.storage.shell.backup.Restores;
import org.cowstack.storage.shell.cli.ParsedArgs;
import org.cowstack.storage.shell.cli.ProgressReporter;
import org.cowstack.storage.shell.cli.UsageException;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;

/**
 * Dirty bitmaps, backups and restores: {@code storage:bitmap ACTION ...} over a file's
 * {@link DirtyBitmaps}, {@code storage:backup} and {@code storage:restore} over the
 * {@link Backups} and {@link Restores} of {@code shell.backup}. A refusal is qemu's
 * sentence on one line.
 */
@Component(service = BitmapCommands.class, immediate = true)
@GogoCommand(scope = Commands.SCOPE, function = {"bitmap", "backup", "restore"})
public final class BitmapCommands {
    private static final List<String> ADD_ONLY = List.of("--granularity", "--disabled", "--transient", "--mode");

    private final Engine engine = new Engine();

    /** One bitmap as {@code storage:bitmap list} shows it. */
    public record BitmapRow(String name, long granularity, long dirty, String mode, String flags) implements Described.Fields {
        @Override
        public String line() {
            return name + " (" + ByteSize.format(granularity) + " granules, " + dirty + " dirty bytes, " + mode + ", "
                    + flags + ")";
        }
    }

    /** What {@code storage:backup} did. */
    public record BackedUp(String source, String target, String sync, String bitmap, long bytes, long size, int ranges,
            long millis) implements Described {
        @Override
        public String line() {
            return "backed up " + bytes + " of " + size + " bytes (" + ranges + (ranges == 1 ? " range" : " ranges")
                    + ", " + sync + (bitmap == null ? "" : " by bitmap " + bitmap) + ") from " + source + " to "
                    + target + " in " + millis + " ms";
        }
    }

    /** What {@code storage:restore} did. */
    public record Restored(String target, int images, long bytes, long size) implements Described {
        @Override
        public String line() {
            return "restored " + target + " (" + size + " bytes) from " + images + (images == 1 ? " image" : " images")
                    + ", " + bytes + " bytes copied";
        }
    }

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    void bindManager(VolumeManager m) {
        engine.bind(m);
    }

    void unbindManager(VolumeManager m) {
        engine.unbind(m);
    }

    @Descriptor(Commands.BITMAP_TEXT)
    public Object bitmap(CommandSession session, @Descriptor(Commands.ARGS) CharSequence... args) throws IOException {
        ParsedArgs a = Invocation.parse(Commands.BITMAP, session, args);
        String action = a.arg(0);
        String shape = Commands.BITMAP_ACTIONS.get(action);
        if (shape == null) {
            throw Commands.BITMAP.error("unknown action " + action + "; the actions are "
                    + String.join(", ", Commands.BITMAP_ACTIONS.keySet()));
        }
        int wanted = action.equals("list") ? 3 : action.equals("merge") ? 5 : 4;
        if (a.count() != wanted) {
            throw actionError(action, "expected " + (wanted - 1) + " arguments after " + action + ", got "
                    + (a.count() - 1));
        }
        for (String o : ADD_ONLY) {
            if (a.has(o) && !action.equals("add")) {
                throw actionError(action, "option " + o + " is for add only");
            }
        }
        if (a.json() && !action.equals("list")) {
            throw actionError(action, "option --json is for list only");
        }
        BitmapOptions options = action.equals("add") ? addOptions(a) : null;
        Volume v = engine.volume(a.arg(1));
        try (FileHandle f = v.open(a.arg(2), EnumSet.of(StandardOpenOption.READ))) {
            DirtyBitmaps bitmaps = f.bitmaps();
            String name = a.arg(3, null);
            switch (action) {
                case "add":
                    return row(bitmaps.add(name, options));
                case "remove":
                    bitmaps.remove(name);
                    return null;
                case "clear":
                    bitmaps.clear(name);
                    return null;
                case "enable":
                    bitmaps.enable(name);
                    return null;
                case "disable":
                    bitmaps.disable(name);
                    return null;
                case "merge":
                    bitmaps.merge(name, a.arg(4));
                    return null;
                case "list":
                    return list(bitmaps.list(), a.json());
                default:
                    return dump(bitmaps.dump(name));
            }
        } catch (BitmapException e) {
            throw oneLine(e);
        }
    }

    private static UsageException actionError(String action, String what) {
        return new UsageException(Commands.BITMAP.scoped() + ": " + what + "; usage: " + Commands.BITMAP.scoped() + " "
                + action + " " + Commands.BITMAP_ACTIONS.get(action));
    }

    private static BitmapOptions addOptions(ParsedArgs a) throws IOException {
        BitmapOptions o = BitmapOptions.defaults();
        String g = a.option("--granularity", null);
        if (g != null) {
            long bytes = ByteSize.parse("--granularity", g);
            if (bytes < BitmapOptions.MIN_GRANULARITY || bytes > BitmapOptions.MAX_GRANULARITY
                    || Long.bitCount(bytes) != 1) {
                // checked here too, so that qemu's sentence says what was given
                throw oneLine(new BitmapException(BitmapException.Reason.INVALID,
                        "Granularity must be power of 2 and at least 512", "Given: --granularity " + g));
            }
            o = o.granularity(bytes);
        }
        String mode = a.option("--mode", "transactional");
        switch (mode) {
            case "transactional":
                o = o.mode(BitmapMode.TRANSACTIONAL);
                break;
            case "qemu":
                o = o.mode(BitmapMode.QEMU);
                break;
            default:
                throw actionError("add", "--mode " + mode + " is neither transactional nor qemu");
        }
        return o.recording(!a.has("--disabled")).persistent(!a.has("--transient"));
    }

    /** qemu's sentence, and its hint after a semicolon: one line. */
    static BitmapException oneLine(BitmapException e) {
        if (e.hint() == null) {
            return e;
        }
        String hint = Character.toLowerCase(e.hint().charAt(0)) + e.hint().substring(1);
        BitmapException line = new BitmapException(e.reason(), e.getMessage() + "; " + hint, null);
        line.initCause(e);
        return line;
    }

    private static BitmapRow row(BitmapInfo b) {
        String flags = b.states().stream().sorted().map(BitmapInfo.State::label).collect(Collectors.joining(","));
        boolean persistent = b.states().contains(BitmapInfo.State.PERSISTENT);
        return new BitmapRow(b.name(), b.granularity(), b.dirtyBytes(), persistent ? b.mode().label() : "transient",
                flags.isEmpty() ? "-" : flags);
    }

    private static Object list(List<BitmapInfo> bitmaps, boolean json) {
        List<BitmapRow> rows = new ArrayList<>();
        for (BitmapInfo b : bitmaps) {
            rows.add(row(b));
        }
        return Table.of(rows)
                .column("name", BitmapRow::name)
                .column("granularity", r -> ByteSize.format(r.granularity()), BitmapRow::granularity)
                .number("dirty", BitmapRow::dirty)
                .column("mode", BitmapRow::mode)
                .column("flags", BitmapRow::flags)
                .whenEmpty("no bitmaps")
                .build()
                .as(json);
    }

    /** The dirty ranges as {@code OFFSET LENGTH} lines; nothing when clean. */
    private static String dump(List<DirtyRange> ranges) {
        if (ranges.isEmpty()) {
            return null;
        }
        StringBuilder out = new StringBuilder();
        for (DirtyRange r : ranges) {
            if (out.length() > 0) {
                out.append('\n');
            }
            out.append(r.offset()).append(' ').append(r.length());
        }
        return out.toString();
    }

    @Descriptor(Commands.BACKUP_TEXT)
    public BackedUp backup(CommandSession session, @Descriptor(Commands.ARGS) CharSequence... args)
            throws IOException {
        ParsedArgs a = Invocation.parse(Commands.BACKUP, session, args);
        String to = a.option("--to", null);
        if (to == null) {
            throw Commands.BACKUP.error("--to URI is required: where the new image goes");
        }
        String bitmap = a.option("--bitmap", null);
        String s = a.option("--sync", bitmap == null ? "full" : "bitmap");
        BackupSync sync = switch (s) {
            case "full" -> BackupSync.FULL;
            case "bitmap" -> BackupSync.BITMAP;
            default -> throw Commands.BACKUP.error("--sync " + s + " is neither full nor bitmap");
        };
        if (sync == BackupSync.BITMAP && bitmap == null) {
            throw Commands.BACKUP.error("--sync bitmap needs --bitmap B: the bitmap to copy by");
        }
        String m = a.option("--bitmap-mode", null);
        if (m != null && bitmap == null) {
            throw Commands.BACKUP.error("--bitmap-mode needs --bitmap B: the bitmap it synchronises");
        }
        BitmapSync mode = m == null ? BitmapSync.ON_SUCCESS : switch (m.toLowerCase(Locale.ROOT)) {
            case "on-success" -> BitmapSync.ON_SUCCESS;
            case "always" -> BitmapSync.ALWAYS;
            case "never" -> BitmapSync.NEVER;
            default -> throw Commands.BACKUP.error("--bitmap-mode " + m + " is none of on-success, always and never");
        };
        Volume v = engine.volume(a.arg(0));
        ImageRef target = ImageRef.parse(to, engine::volume);
        try {
            Backups.Result r = Backups.backup(v, a.arg(1), target, bitmap, sync, mode, ProgressReporter.of(session));
            return new BackedUp(r.source(), r.target(), r.sync().label(), r.bitmap(), r.bytes(), r.size(), r.ranges(),
                    r.millis());
        } catch (BitmapException e) {
            throw oneLine(e);
        }
    }

    @Descriptor(Commands.RESTORE_TEXT)
    public Restored restore(CommandSession session, @Descriptor(Commands.ARGS) CharSequence... args)
            throws IOException {
        ParsedArgs a = Invocation.parse(Commands.RESTORE, session, args);
        Volume v = engine.volume(a.arg(0));
        List<ImageRef> images = new ArrayList<>();
        for (String uri : a.from(2)) {
            images.add(ImageRef.parse(uri, engine::volume));
        }
        Restores.Result r = Restores.restore(v, a.arg(1), images, ProgressReporter.of(session));
        return new Restored(r.target(), r.images(), r.bytes(), r.size());
    }
}
