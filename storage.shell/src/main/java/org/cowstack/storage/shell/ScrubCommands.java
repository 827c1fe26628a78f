package org.cowstack.storage.shell;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import org.apache.felix.service.command.CommandSession;
import org.apache.felix.service.command.Descriptor;
import org.apache.felix.service.command.annotations.GogoCommand;
import org.cowstack.storage.api.ByteSize;
import org.cowstack.storage.api.InvalidArgumentException;
import org.cowstack.storage.api.scrub.DamagedRange;
import org.cowstack.storage.api.scrub.DeviceErrors;
import org.cowstack.storage.api.scrub.Scrub;
import org.cowstack.storage.api.scrub.ScrubOptions;
import org.cowstack.storage.api.scrub.ScrubState;
import org.cowstack.storage.api.scrub.ScrubStatus;
import org.cowstack.storage.api.scrub.VolumeHealth;
import org.cowstack.storage.api.volume.BlockOwner;
import org.cowstack.storage.api.volume.Volume;
import org.cowstack.storage.api.volume.VolumeManager;
import org.cowstack.storage.shell.cli.Json;
import org.cowstack.storage.shell.cli.ParsedArgs;
import org.cowstack.storage.shell.cli.Progress;
import org.cowstack.storage.shell.cli.ProgressReporter;
import org.cowstack.storage.shell.cli.UsageException;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;

/**
 * {@code storage:scrub ACTION NAME} over a volume's {@link Scrub} job, and
 * {@code storage:health NAME} over its {@link VolumeHealth}: reports as typed results
 * (a {@link Described} whose details are the report), or one JSON object with
 * {@code --json}.
 */
@Component(service = ScrubCommands.class, immediate = true)
@GogoCommand(scope = Commands.SCOPE, function = {"scrub", "health"})
public final class ScrubCommands {
    private static final List<String> START_ONLY = List.of("--readonly", "--limit", "--wait");

    private final Engine engine = new Engine();

    /** A scrub's status and report, as {@code storage:scrub} prints it. */
    public record ScrubReport(String volume, ScrubStatus status, String note) implements Described {
        @Override
        public String line() {
            ScrubStatus s = status;
            String head = "scrub of " + volume + ": " + state(s);
            if (s.state() == ScrubState.NEVER) {
                return head;
            }
            return head + String.format(Locale.ROOT, ", %.0f%% (%s of %s), %d errors", s.percent(),
                    ByteSize.format(s.bytesDone()), ByteSize.format(s.bytesTotal()), s.errors())
                    + (note == null ? "" : "; " + note);
        }

        @Override
        public String details() {
            ScrubStatus s = status;
            StringBuilder out = new StringBuilder(line());
            if (s.state() == ScrubState.NEVER) {
                return out.toString();
            }
            out.append('\n');
            List<String[]> rows = new ArrayList<>();
            rows.add(new String[] {"mode", s.repair() ? "repair" : "read-only"});
            rows.add(new String[] {"rate", s.state() == ScrubState.RUNNING ? ByteSize.format(s.bytesPerSecond()) + "/s"
                    : "-"});
            rows.add(new String[] {"limit", s.limit() == 0 ? "none" : ByteSize.format(s.limit()) + "/s"});
            rows.add(new String[] {"eta", s.etaSeconds() < 0 ? "-" : clock(s.etaSeconds())});
            rows.add(new String[] {"started", s.started() == null ? "-" : s.started().toString()});
            rows.add(new String[] {"ended", s.ended() == null ? "-" : s.ended().toString()});
            rows.add(new String[] {"blocks checked", Long.toString(s.blocksChecked())});
            rows.add(new String[] {"errors", Long.toString(s.errors())});
            rows.add(new String[] {"corrected", Long.toString(s.corrected())});
            rows.add(new String[] {"uncorrectable", Long.toString(s.uncorrectable())});
            rows.add(new String[] {"unverified", Long.toString(s.unverified())});
            if (s.failure() != null) {
                rows.add(new String[] {"failure", s.failure()});
            }
            out.append(aligned(rows));
            out.append('\n').append(damagedTable(s.damaged()).render().stripTrailing());
            return out.toString();
        }

        /** The report as one JSON object. */
        public String json() {
            return Json.object(scrubFields(volume, status));
        }
    }

    /** A volume's health, as {@code storage:health} prints it. */
    public record HealthReport(String volume, VolumeHealth health, String note) implements Described {
        @Override
        public String line() {
            DeviceErrors e = health.errors();
            return "health of " + volume + ": " + health.damaged().size() + " damaged ranges, " + e.total()
                    + " device errors, last scrub " + state(health.lastScrub())
                    + (health.readOnlyReason() == null ? "" : "; read-only: " + health.readOnlyReason())
                    + (note == null ? "" : "; " + note);
        }

        @Override
        public String details() {
            DeviceErrors e = health.errors();
            List<String[]> rows = new ArrayList<>();
            rows.add(new String[] {"read errors", Long.toString(e.read())});
            rows.add(new String[] {"write errors", Long.toString(e.write())});
            rows.add(new String[] {"flush errors", Long.toString(e.flush())});
            rows.add(new String[] {"checksum errors", Long.toString(e.checksum())});
            rows.add(new String[] {"generation errors", Long.toString(e.generation())});
            rows.add(new String[] {"repairs", Long.toString(health.repairs())});
            rows.add(new String[] {"last scrub", new ScrubReport(volume, health.lastScrub(), null).line()});
            rows.add(new String[] {"read-only", health.readOnlyReason() == null ? "-" : health.readOnlyReason()});
            return line() + "\n" + aligned(rows) + "\n" + damagedTable(health.damaged()).render().stripTrailing();
        }

        /** The report as one JSON object. */
        public String json() {
            DeviceErrors e = health.errors();
            Map<String, Object> errors = new LinkedHashMap<>();
            errors.put("read", e.read());
            errors.put("write", e.write());
            errors.put("flush", e.flush());
            errors.put("checksum", e.checksum());
            errors.put("generation", e.generation());
            Map<String, Object> o = new LinkedHashMap<>();
            o.put("volume", volume);
            o.put("errors", errors);
            o.put("repairs", health.repairs());
            o.put("readOnlyReason", health.readOnlyReason());
            o.put("damaged", damagedJson(health.damaged()));
            o.put("lastScrub", scrubFields(volume, health.lastScrub()));
            return Json.object(o);
        }
    }

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    void bindManager(VolumeManager m) {
        engine.bind(m);
    }

    void unbindManager(VolumeManager m) {
        engine.unbind(m);
    }

    @Descriptor(Commands.SCRUB_TEXT)
    public Object scrub(CommandSession session, @Descriptor(Commands.ARGS) CharSequence... args) throws IOException {
        ParsedArgs a = Invocation.parse(Commands.SCRUB, session, args);
        String action = a.arg(0);
        if (!Commands.SCRUB_ACTIONS.containsKey(action)) {
            throw Commands.SCRUB.error("unknown action " + action + "; the actions are "
                    + String.join(", ", Commands.SCRUB_ACTIONS.keySet()));
        }
        int wanted = action.equals("limit") ? 3 : 2;
        if (a.count() != wanted) {
            throw actionError(action, "expected " + (wanted - 1) + (wanted == 2 ? " argument" : " arguments")
                    + " after " + action + ", got " + (a.count() - 1));
        }
        for (String o : START_ONLY) {
            if (a.has(o) && !action.equals("start")) {
                throw actionError(action, "option " + o + " is for start only");
            }
        }
        if (a.has("--watch") && !action.equals("status")) {
            throw actionError(action, "option --watch is for status only");
        }
        if (a.json() && !action.equals("start") && !action.equals("status")) {
            throw actionError(action, "option --json is for start and status only");
        }
        long limit = action.equals("start") ? rate(a.option("--limit", "0"))
                : action.equals("limit") ? rate(a.arg(2)) : 0;
        String name = a.arg(1);
        Volume v = engine.volume(name);
        Scrub scrub = v.scrub();
        ScrubStatus s;
        String note = null;
        switch (action) {
            case "start":
                s = scrub.start(new ScrubOptions(!a.has("--readonly"), limit));
                if (a.has("--wait")) {
                    Watched w = watch(session, name, scrub);
                    s = w.status;
                    note = w.note;
                }
                break;
            case "status":
                s = scrub.status();
                if (a.has("--watch")) {
                    Watched w = watch(session, name, scrub);
                    s = w.status;
                    note = w.note;
                }
                break;
            case "pause":
                s = scrub.pause();
                break;
            case "resume":
                s = scrub.resume();
                break;
            case "cancel":
                s = scrub.cancel();
                break;
            default:
                s = scrub.limit(limit);
                break;
        }
        ScrubReport r = new ScrubReport(name, s, note);
        return a.json() ? r.json() : r;
    }

    @Descriptor(Commands.HEALTH_TEXT)
    public Object health(CommandSession session, @Descriptor(Commands.ARGS) CharSequence... args) throws IOException {
        ParsedArgs a = Invocation.parse(Commands.HEALTH, session, args);
        String name = a.arg(0);
        Volume v = engine.volume(name);
        String note = null;
        if (a.has("--reset")) {
            DeviceErrors before = v.resetErrors();
            note = "counters reset (there were " + before.total() + " errors)";
        }
        HealthReport r = new HealthReport(name, v.health(), note);
        return a.json() ? r.json() : r;
    }

    /** A rate as typed: a byte size per second ({@code 50M}, {@code 1G}, optionally {@code /s}); 0 for none. */
    static long rate(String text) throws InvalidArgumentException {
        String t = text == null ? null : text.trim();
        if (t != null && t.toLowerCase(Locale.ROOT).endsWith("/s")) {
            t = t.substring(0, t.length() - 2);
        }
        try {
            return ByteSize.parse("scrub rate", t);
        } catch (InvalidArgumentException e) {
            throw new InvalidArgumentException("scrub rate", text, "bytes per second such as 50M or 1G, 0 for no "
                    + "limit");
        }
    }

    /** One line: what was wrong, the action's own usage, then the command's. */
    private static UsageException actionError(String action, String what) {
        return Commands.SCRUB.error(what + " (" + Commands.SCRUB.scoped() + " " + action + " "
                + Commands.SCRUB_ACTIONS.get(action) + ")");
    }

    private record Watched(ScrubStatus status, String note) {
    }

    /**
     * Follows the running scrub with a progress bar (interactive consoles only) until it
     * stops; an interrupt (Ctrl-C) ends the watch, not the scrub.
     */
    private static Watched watch(CommandSession session, String name, Scrub scrub) {
        ScrubStatus s = scrub.status();
        long shown = s.bytesDone();
        try (Progress p = ProgressReporter.of(session).start("scrub " + name, s.bytesTotal(), shown)) {
            while (s.state() == ScrubState.RUNNING) {
                s = scrub.await(200);
                long done = Math.min(s.bytesDone(), s.bytesTotal());
                p.advance(Math.max(0, done - shown));
                shown = Math.max(shown, done);
            }
            return new Watched(s, null);
        } catch (InterruptedIOException | InterruptedException e) {
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            return new Watched(scrub.status(), "stopped waiting: the scrub goes on in the background "
                    + "(storage:scrub status " + name + " follows it, storage:scrub pause " + name + " pauses it)");
        }
    }

    // ------------------------------------------------------------------ rendering

    private static String state(ScrubStatus s) {
        return s.state().name().toLowerCase(Locale.ROOT);
    }

    private static String aligned(List<String[]> rows) {
        int width = 0;
        for (String[] r : rows) {
            width = Math.max(width, r[0].length());
        }
        StringBuilder out = new StringBuilder();
        for (String[] r : rows) {
            if (out.length() > 0) {
                out.append('\n');
            }
            out.append(r[0]).append(" ".repeat(width - r[0].length() + 2)).append(r[1]);
        }
        return out.toString();
    }

    static Table<DamagedRange> damagedTable(List<DamagedRange> damaged) {
        return Table.of(damaged)
                .number("physical", DamagedRange::physical)
                .number("blocks", DamagedRange::blocks)
                .number("copy", DamagedRange::copy)
                .column("cause", DamagedRange::cause)
                .column("repaired", d -> d.repaired() ? "yes" : "no")
                .column("owners", d -> owners(d.owners()))
                .whenEmpty("no damaged ranges")
                .build();
    }

    /** Owners as {@code path@offset} (files), the tree's name (metadata) or {@code superblocks}. */
    static String owners(List<BlockOwner> owners) {
        if (owners.isEmpty()) {
            return "-";
        }
        List<String> out = new ArrayList<>();
        for (BlockOwner o : owners) {
            out.add(o.kind() == BlockOwner.Kind.FILE ? o.path() + "@" + o.offset() : o.path());
        }
        return String.join(", ", out);
    }

    private static List<Map<String, Object>> damagedJson(List<DamagedRange> damaged) {
        List<Map<String, Object>> out = new ArrayList<>();
        for (DamagedRange d : damaged) {
            Map<String, Object> o = new LinkedHashMap<>();
            o.put("physical", d.physical());
            o.put("blocks", d.blocks());
            o.put("copy", d.copy());
            o.put("cause", d.cause());
            o.put("repaired", d.repaired());
            List<Map<String, Object>> owners = new ArrayList<>();
            for (BlockOwner b : d.owners()) {
                Map<String, Object> w = new LinkedHashMap<>();
                w.put("kind", b.kind().name().toLowerCase(Locale.ROOT));
                w.put("path", b.path());
                w.put("inode", b.inode());
                w.put("offset", b.offset());
                owners.add(w);
            }
            o.put("owners", owners);
            out.add(o);
        }
        return out;
    }

    private static Map<String, Object> scrubFields(String volume, ScrubStatus s) {
        Map<String, Object> o = new LinkedHashMap<>();
        o.put("volume", volume);
        o.put("state", state(s));
        o.put("repair", s.repair());
        o.put("bytesTotal", s.bytesTotal());
        o.put("bytesDone", s.bytesDone());
        o.put("percent", s.percent());
        o.put("bytesPerSecond", s.bytesPerSecond());
        o.put("limit", s.limit());
        o.put("etaSeconds", s.etaSeconds());
        o.put("started", time(s.started()));
        o.put("ended", time(s.ended()));
        o.put("blocksChecked", s.blocksChecked());
        o.put("errors", s.errors());
        o.put("corrected", s.corrected());
        o.put("uncorrectable", s.uncorrectable());
        o.put("unverified", s.unverified());
        o.put("failure", s.failure());
        o.put("damaged", damagedJson(s.damaged()));
        return o;
    }

    private static String time(Instant i) {
        return i == null ? null : i.toString();
    }

    private static String clock(long seconds) {
        long h = seconds / 3600;
        long m = seconds / 60 % 60;
        long sec = seconds % 60;
        return h > 0 ? String.format(Locale.ROOT, "%d:%02d:%02d", h, m, sec)
                : String.format(Locale.ROOT, "%d:%02d", m, sec);
    }
}
