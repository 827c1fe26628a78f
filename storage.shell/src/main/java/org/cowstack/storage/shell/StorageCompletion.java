package org.cowstack.storage.shell;

import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.cowstack.storage.api.volume.DirEntry;
import org.cowstack.storage.api.volume.Volume;
import org.cowstack.storage.api.volume.VolumeManager;
import org.cowstack.storage.api.volume.VolumeState;
import org.cowstack.storage.api.volume.VolumeStatus;
import org.cowstack.storage.shell.cli.ArgSpec;
import org.cowstack.storage.shell.cli.CommandSpec;
import org.cowstack.storage.shell.cli.OptionSpec;
import org.cowstack.storage.shell.cli.Values;
import org.cowstack.storage.shell.console.CommandCompletion;
import org.cowstack.storage.shell.console.Completion;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;

/**
 * Completion of storage command lines from the command table ({@link Commands}, the io
 * sub-commands of {@link IoScript}) and live services, as Karaf's completers: volume
 * names, paths inside a volume (one directory listed as it is typed), io sub-commands
 * and their options inside the quoted word, option names, the checksum algorithms,
 * allocation policies, DIO strategies and device schemes installed, help topics.
 *
 * <p>It never throws and never waits long: a volume is listed only while it is mounted,
 * on a thread of its own, and an answer that takes longer than {@value #WAIT_MS} ms is
 * given up (no candidates).
 */
@Component(service = CommandCompletion.class, immediate = true)
public final class StorageCompletion implements CommandCompletion {
    /** How long a completion waits for a directory listing. */
    static final long WAIT_MS = 300;
    /** At most this many entries of one directory are offered. */
    static final int MAX_ENTRIES = 1000;

    private final Engine engine = new Engine();
    private ExecutorService lister;

    @Reference
    ChecksumCommands checksums;

    @Reference
    PolicyCommands policies;

    @Reference
    DeviceCommands devices;

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    void bindManager(VolumeManager m) {
        engine.bind(m);
    }

    void unbindManager(VolumeManager m) {
        engine.unbind(m);
    }

    @Activate
    void activate() {
        lister = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "storage: completion");
            t.setDaemon(true);
            return t;
        });
    }

    @Deactivate
    void deactivate() {
        lister.shutdownNow();
    }

    @Override
    public Set<String> commands() {
        Set<String> names = new LinkedHashSet<>();
        for (CommandSpec c : Commands.ALL) {
            names.add(c.scoped());
        }
        return Collections.unmodifiableSet(names);
    }

    @Override
    public List<Completion> complete(List<String> words, int index) {
        try {
            if (words == null || index < 1 || index >= words.size()) {
                return List.of();
            }
            Optional<CommandSpec> spec = Commands.find(words.get(0));
            if (spec.isEmpty()) {
                return List.of();
            }
            return complete(spec.get(), words, index);
        } catch (RuntimeException | LinkageError e) {
            return List.of(); // a service going away, a bundle updated under us: nothing to offer
        }
    }

    private List<Completion> complete(CommandSpec spec, List<String> words, int index) {
        String word = nonNull(words.get(index));
        List<String> positional = new ArrayList<>();
        Set<String> used = new HashSet<>();
        OptionSpec pending = null;
        boolean endOfOptions = false;
        for (int i = 1; i < index; i++) {
            String w = nonNull(words.get(i));
            if (pending != null) {
                pending = null;
                continue;
            }
            if (!endOfOptions && w.equals("--")) {
                endOfOptions = true;
                continue;
            }
            if (!endOfOptions && CommandSpec.looksLikeOption(w)) {
                String name = CommandSpec.optionName(w);
                Optional<OptionSpec> o = spec.option(name);
                used.add(name);
                if (o.isPresent() && !o.get().isFlag() && name.equals(w)) {
                    pending = o.get();
                }
                continue;
            }
            positional.add(w);
        }
        if (pending != null) {
            return values(pending.values(), word, positional, "");
        }
        if (!endOfOptions && word.startsWith("-")) {
            String name = CommandSpec.optionName(word);
            Optional<OptionSpec> o = spec.option(name);
            if (o.isPresent() && !o.get().isFlag() && !name.equals(word)) {
                // --csum=cr: the value, in the same word
                return values(o.get().values(), word.substring(name.length() + 1), positional, name + "=");
            }
            return options(spec, word, used);
        }
        Optional<ArgSpec> arg = spec.argumentAt(positional.size());
        if (arg.isEmpty()) {
            return word.isEmpty() ? options(spec, word, used) : List.of();
        }
        return values(arg.get().values(), word, positional, "");
    }

    private static List<Completion> options(CommandSpec spec, String word, Set<String> used) {
        List<Completion> out = new ArrayList<>();
        for (OptionSpec o : spec.options()) {
            if (o.name().startsWith(word) && !used.contains(o.name())) {
                out.add(new Completion(o.name(), o.description(), true));
            }
        }
        return out;
    }

    /** Candidates for {@code word} from {@code values}; {@code prefix} is put before each (an option's {@code --x=}). */
    private List<Completion> values(Values values, String word, List<String> positional, String prefix) {
        List<Completion> found;
        switch (values.kind()) {
            case VOLUME:
                found = volumes(word);
                break;
            case PATH:
                found = paths(argument(positional, values.volumeArgument()), word, "", true);
                break;
            case DEVICE:
                found = deviceUris(word);
                break;
            case VOLUME_OR_DEVICE:
                found = new ArrayList<>(volumes(word));
                found.addAll(deviceUris(word));
                break;
            case CHECKSUM:
                found = names(word, checksums.installed().stream().map(c -> new Completion(c.name(), c.bundle(),
                        true)).toList());
                break;
            case ALLOCATION_POLICY:
                found = names(word, policies.policies().stream().map(p -> new Completion(p.name(), p.bundle(),
                        true)).toList());
                break;
            case DIO_STRATEGY:
                found = names(word, policies.strategies().stream().map(p -> new Completion(p.name(), p.bundle(),
                        true)).toList());
                break;
            case IO_COMMAND:
                found = io(argument(positional, values.volumeArgument()), word);
                break;
            case HELP_TOPIC:
                found = topics(word);
                break;
            case WORDS:
                found = names(word, values.words().stream().map(w -> new Completion(w, null, true)).toList());
                break;
            default:
                found = List.of();
        }
        if (prefix.isEmpty()) {
            return found;
        }
        List<Completion> out = new ArrayList<>();
        for (Completion c : found) {
            out.add(new Completion(prefix + c.value(), c.description(), c.complete()));
        }
        return out;
    }

    private static String argument(List<String> positional, int index) {
        return index >= 0 && index < positional.size() ? positional.get(index) : null;
    }

    private static List<Completion> names(String word, List<Completion> all) {
        List<Completion> out = new ArrayList<>();
        for (Completion c : all) {
            if (c.value().startsWith(word)) {
                out.add(c);
            }
        }
        return out;
    }

    private List<Completion> volumes(String word) {
        VolumeManager m = engine.current();
        if (m == null) {
            return List.of();
        }
        List<Completion> out = new ArrayList<>();
        for (VolumeStatus st : m.status()) {
            if (st.name().startsWith(word)) {
                out.add(new Completion(st.name(), st.describe() + (st.device() == null ? "" : " on " + st.device()),
                        true));
            }
        }
        out.sort(Comparator.comparing(Completion::value));
        return out;
    }

    /**
     * Paths in volume {@code volumeName} that start with {@code word}: the directory typed so
     * far is listed, directories end with {@code /} and are not complete.
     *
     * @param prefix   put before each value (inside a quoted io command: the words before)
     * @param lastWord whether a finished path ends the word (a file is then complete)
     */
    List<Completion> paths(String volumeName, String word, String prefix, boolean lastWord) {
        VolumeManager m = engine.current();
        if (m == null || volumeName == null || !(word.isEmpty() || word.startsWith("/"))) {
            return List.of();
        }
        Volume v = m.volume(volumeName).orElse(null);
        if (v == null || !(v.state() == VolumeState.MOUNTED || v.state() == VolumeState.READ_ONLY)) {
            return List.of(); // a suspended or offline volume would make the listing wait
        }
        String typed = word.isEmpty() ? "/" : word;
        String dir = typed.substring(0, typed.lastIndexOf('/') + 1);
        String leaf = typed.substring(typed.lastIndexOf('/') + 1);
        List<DirEntry> entries = bounded(() -> v.list(dir));
        List<Completion> out = new ArrayList<>();
        for (DirEntry e : entries) {
            if (e.name().startsWith(leaf)) {
                String value = prefix + dir + e.name() + (e.directory() ? "/" : "");
                out.add(new Completion(value, e.directory() ? "directory" : "file", lastWord && !e.directory()));
            }
            if (out.size() >= MAX_ENTRIES) {
                break;
            }
        }
        out.sort(Comparator.comparing(Completion::value));
        return out;
    }

    /** The schemes installed ({@code file:}), devices of configured volumes, and image files after file: or dax:. */
    private List<Completion> deviceUris(String word) {
        List<Completion> out = new ArrayList<>();
        for (DeviceCommands.DeviceSchemeInfo d : devices.installed()) {
            String scheme = d.scheme() + ":";
            if (scheme.startsWith(word) && !word.equals(scheme)) {
                out.add(new Completion(scheme, d.description(), false));
            }
        }
        VolumeManager m = engine.current();
        if (m != null) {
            Set<String> seen = new HashSet<>();
            for (VolumeStatus st : m.status()) {
                String uri = st.device() == null ? null : st.device().toString();
                if (uri != null && uri.startsWith(word) && seen.add(uri)) {
                    out.add(new Completion(uri, "device of volume " + st.name(), true));
                }
            }
        }
        for (String scheme : List.of("file:", "dax:")) {
            if (word.startsWith(scheme) && devices.installed().stream().anyMatch(d -> scheme.equals(d.scheme() + ":"))) {
                out.addAll(hostFiles(scheme, word.substring(scheme.length())));
            }
        }
        return out;
    }

    /** Files of the host for {@code file:} and {@code dax:} URIs: the directory typed so far, listed. */
    private List<Completion> hostFiles(String scheme, String typed) {
        if (typed.indexOf('?') >= 0) {
            return List.of();
        }
        String dir = typed.substring(0, typed.lastIndexOf('/') + 1);
        String leaf = typed.substring(typed.lastIndexOf('/') + 1);
        Path base = Path.of(dir.isEmpty() ? "." : dir);
        List<Completion> out = bounded(() -> {
            List<Completion> found = new ArrayList<>();
            try (DirectoryStream<Path> entries = Files.newDirectoryStream(base)) {
                for (Path p : entries) {
                    String name = p.getFileName().toString();
                    if (!name.startsWith(leaf) || leaf.isEmpty() && name.startsWith(".")) {
                        continue; // hidden files only when their dot is typed
                    }
                    boolean directory = Files.isDirectory(p);
                    found.add(new Completion(scheme + dir + name + (directory ? "/" : ""), null, !directory));
                    if (found.size() >= MAX_ENTRIES) {
                        break;
                    }
                }
            }
            return found;
        });
        out.sort(Comparator.comparing(Completion::value));
        return out;
    }

    /** Inside the quoted word of a {@code storage:io} sub-command: its name, its options, its arguments. */
    List<Completion> io(String volumeName, String word) {
        String trimmed = word.stripLeading();
        String lead = word.substring(0, word.length() - trimmed.length());
        int space = indexOfBlank(trimmed);
        if (space < 0) {
            List<Completion> out = new ArrayList<>();
            for (IoScript.IoCommand c : IoScript.TABLE) {
                if (c.name().startsWith(trimmed)) {
                    // One that takes arguments continues inside the quote, after a space.
                    out.add(c.max() == 0 ? new Completion(lead + c.name(), c.description(), true)
                            : new Completion(lead + c.name() + " ", c.description(), false));
                }
            }
            return out;
        }
        Optional<IoScript.IoCommand> command = IoScript.find(trimmed.substring(0, space));
        if (command.isEmpty()) {
            return List.of();
        }
        IoScript.IoCommand c = command.get();
        int lastBlank = Math.max(word.lastIndexOf(' '), word.lastIndexOf('\t'));
        String before = word.substring(0, lastBlank + 1);
        String current = word.substring(lastBlank + 1);
        String[] earlier = before.strip().split("\\s+");
        int positional = 0;
        Set<String> used = new HashSet<>();
        OptionSpec pending = null;
        for (int i = 1; i < earlier.length; i++) {
            String w = earlier[i];
            if (pending != null) {
                pending = null;
                continue;
            }
            Optional<OptionSpec> o = c.parseOptions() ? c.option(w) : Optional.empty();
            if (o.isPresent()) {
                used.add(w);
                if (!o.get().isFlag()) {
                    pending = o.get();
                }
                continue;
            }
            positional++;
        }
        if (pending != null) {
            return List.of(); // a byte value or a size: nothing to offer
        }
        List<Completion> out = new ArrayList<>();
        if (c.parseOptions() && current.startsWith("-")) {
            for (OptionSpec o : c.options()) {
                if (o.name().startsWith(current) && !used.contains(o.name())) {
                    out.add(new Completion(before + o.name(), o.description(), false));
                }
            }
            return out;
        }
        Optional<ArgSpec> arg = c.argumentAt(positional);
        if (arg.isEmpty()) {
            return List.of();
        }
        boolean last = !arg.get().repeated() && positional + 1 >= c.max();
        Values values = arg.get().values();
        if (values.kind() == Values.Kind.PATH) {
            return paths(volumeName, current, before, last);
        }
        if (values.kind() == Values.Kind.WORDS) {
            for (String w : values.words()) {
                if (w.startsWith(current)) {
                    out.add(new Completion(before + w, null, last));
                }
            }
        }
        return out;
    }

    private static int indexOfBlank(String s) {
        for (int i = 0; i < s.length(); i++) {
            if (Character.isWhitespace(s.charAt(i))) {
                return i;
            }
        }
        return -1;
    }

    /** {@code help} topics: the storage commands, unscoped unless the word has a scope. */
    private static List<Completion> topics(String word) {
        List<Completion> out = new ArrayList<>();
        for (CommandSpec c : Commands.ALL) {
            String name = word.indexOf(':') >= 0 ? c.scoped() : c.name();
            if (name.startsWith(word)) {
                out.add(new Completion(name, c.description(), true));
            }
        }
        return out;
    }

    /** Runs a listing on the completion thread, giving up after {@value #WAIT_MS} ms. */
    private <T> List<T> bounded(Callable<List<T>> listing) {
        ExecutorService l = lister;
        if (l == null || l.isShutdown()) {
            return List.of();
        }
        Future<List<T>> f = l.submit(listing);
        try {
            return new ArrayList<>(f.get(WAIT_MS, TimeUnit.MILLISECONDS));
        } catch (TimeoutException e) {
            f.cancel(false);
            return List.of();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return List.of();
        } catch (Exception e) {
            return List.of(); // no such directory, not a directory, an I/O error: nothing to offer
        }
    }

    private static String nonNull(String s) {
        return s == null ? "" : s;
    }
}
