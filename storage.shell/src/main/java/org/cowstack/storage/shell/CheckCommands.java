package org.cowstack.storage.shell;

import java.io.IOException;
import java.net.URI;
import java.util.LinkedHashMap;
import java.util.Map;

import org.apache.felix.service.command.CommandSession;
import org.apache.felix.service.command.Descriptor;
import org.apache.felix.service.command.annotations.GogoCommand;
import org.cowstack.storage.api.CorruptImageException;
import org.cowstack.storage.api.scrub.CheckReport;
import org.cowstack.storage.api.volume.Volume;
import org.cowstack.storage.api.volume.VolumeManager;
import org.cowstack.storage.shell.cli.Json;
import org.cowstack.storage.shell.cli.ParsedArgs;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;

/**
 * {@code storage:check NAME|URI}: the consistency check of a mounted volume
 * ({@link Volume#check()}) or of an image that is not mounted
 * ({@link VolumeManager#check(URI)}). A clean check returns its report; one that found
 * problems prints the report (or its JSON) and then fails with one line,
 * {@code TARGET: check found N problems}, so that scripts and the non-interactive
 * runner see a failure.
 *
 * <p>No progress bar: the engine's check has no progress callback (yet).
 */
@Component(service = CheckCommands.class, immediate = true)
@GogoCommand(scope = Commands.SCOPE, function = {"check"})
public final class CheckCommands {
    private final Engine engine = new Engine();

    /**
     * A check's report, as {@code storage:check} prints it.
     *
     * @param target what was named: a volume or a device URI
     * @param note   what else to say (a URI that turned out to be mounted), or null
     * @param report the engine's report
     */
    public record Checked(String target, String note, CheckReport report) implements Described {
        /** The summary: {@code clean: generation 12, 7 trees, ...} or {@code 3 problems: generation 12, ...}. */
        @Override
        public String line() {
            CheckReport r = report;
            return (r.clean() ? "clean" : count(r.problems().size(), "problem")) + ": generation " + r.generation()
                    + ", " + count(r.trees(), "tree") + ", " + count(r.nodes(), "node") + " ("
                    + count(r.checksumsVerified(), "copy", "copies") + " verified), " + count(r.extents(), "extent")
                    + ", " + count(r.blocksReferenced(), "block") + " referenced, " + r.freeBlocks() + " free"
                    + (note == null ? "" : "; " + note);
        }

        /** One line per problem, then the summary. */
        @Override
        public String details() {
            StringBuilder out = new StringBuilder();
            for (String p : report.problems()) {
                out.append(p).append('\n');
            }
            return out.append(line()).toString();
        }

        /** The report as one JSON object. */
        public String json() {
            CheckReport r = report;
            Map<String, Object> o = new LinkedHashMap<>();
            o.put("target", target);
            o.put("clean", r.clean());
            o.put("generation", r.generation());
            o.put("trees", r.trees());
            o.put("nodes", r.nodes());
            o.put("checksumsVerified", r.checksumsVerified());
            o.put("extents", r.extents());
            o.put("blocksReferenced", r.blocksReferenced());
            o.put("freeBlocks", r.freeBlocks());
            o.put("note", note);
            o.put("problems", r.problems());
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

    @Descriptor(Commands.CHECK_TEXT)
    public Object check(CommandSession session, @Descriptor(Commands.ARGS) CharSequence... args) throws IOException {
        ParsedArgs a = Invocation.parse(Commands.CHECK, session, args);
        Checked c = checked(a.arg(0));
        if (!c.report().clean()) {
            // The report first, then the failure: a failing command's result is not printed.
            System.out.println(a.json() ? c.json() : c.details());
            throw new CorruptImageException(c.target(),
                    "check found " + count(c.report().problems().size(), "problem"));
        }
        return a.json() ? c.json() : c;
    }

    static String count(long n, String one) {
        return count(n, one, one + "s");
    }

    static String count(long n, String one, String many) {
        return n + " " + (n == 1 ? one : many);
    }

    /**
     * Checks what {@code target} names: a mounted volume of that name, else (when it has
     * a {@code :}) the device of that URI.
     *
     * @throws IllegalArgumentException when it is neither a mounted volume nor a URI
     */
    Checked checked(String target) throws IOException {
        VolumeManager m = engine.manager();
        Volume v = m.volume(target).orElse(null);
        if (v != null) {
            return new Checked(target, null, v.check());
        }
        if (target.indexOf(':') < 0) {
            throw new IllegalArgumentException("no volume named " + target + " is mounted, and " + target
                    + " is not a device URI (such as file:vol.img); storage:volumes lists the volumes");
        }
        URI device = VolumeCommands.device(target);
        String note = null;
        for (Volume mounted : m.volumes()) {
            if (device.equals(mounted.device())) {
                note = target + " is mounted as " + mounted.name() + ": its last commit was checked";
            }
        }
        return new Checked(target, note, m.check(device));
    }
}
