package org.cowstack.storage.cow.fs;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.cowstack.storage.api.volume.DirEntry;
import org.cowstack.storage.api.volume.FileHandle;
import org.cowstack.storage.api.volume.FormatOptions;
import org.cowstack.storage.api.volume.MountOptions;
import org.cowstack.storage.cow.format.Superblock;
import org.cowstack.storage.cow.inspect.Check;
import org.cowstack.storage.testkit.Seeds;
import org.junit.jupiter.api.Test;

/**
 * Issue 21, image fuzzing: copies of real images, each with one mutation of its
 * superblock or a metadata node (bit flips, truncation, garbage blocks, and content
 * changed behind a valid checksum: cycles, pointers out of range, duplicate keys,
 * overlapping extents, refcounts that disagree, sizes and counts out of range), are
 * checked offline, mounted (read-write, or read-only), checked again, read file by
 * file, and on a writable mount written to and synced. Every case must end, within a
 * time bound, with a clear error (an {@link IOException} with a one-line message) or a
 * correct volume (every file as written, or damage the check reports), and never with
 * an {@link Error}, an unchecked exception, a hang, wrong data under a clean check, or
 * a write that changes a block the unmutated image's mounted generation owned.
 *
 * <p>Properties: {@code -Dstorage.test.seed=N} another seed (the build runs a fixed one),
 * {@code -Dstorage.fuzz.cases=N} more cases (a long run), {@code -Dstorage.fuzz.only=C}
 * only case C of the run (to debug it), {@code -Dstorage.fuzz.show=KIND} each outcome of
 * one kind, {@code -Dstorage.fuzz.trace=true} a stack trace for every write that changes
 * a block (with {@code only}: who wrote a foreign block).
 */
class ImageFuzzTest {
    /** The seed in every build, so that the build is repeatable; {@code -Dstorage.test.seed=} runs another. */
    private static final long BUILD_SEED = 2112026L;
    private static final long TIME_BOUND_SECONDS = 10;
    /** Bytes beyond a file's expected size that are read to compare: a huge size is not read to its end. */
    private static final int READ_SLACK = 1 << 20;

    /** How a case ended. */
    private enum Outcome { CLEAR_ERROR, CORRECT, DAMAGE_REPORTED, OTHER_VALID_VOLUME, FELL_BACK }

    private static final class Failure extends Exception {
        private static final long serialVersionUID = 1L;

        Failure(String message, Throwable cause) {
            super(message, cause);
        }
    }

    @Test
    void mutatedImagesEndInAClearErrorOrACorrectVolume() throws Exception {
        boolean fixed = System.getProperty(Seeds.PROPERTY, "").isBlank();
        long seed = fixed ? BUILD_SEED : Seeds.seed("ImageFuzzTest");
        if (fixed) {
            System.out.printf("seed ImageFuzzTest = %d, fixed for the build (-D%s= runs another)%n", seed,
                    Seeds.PROPERTY);
        }
        int cases = Integer.getInteger("storage.fuzz.cases", 2500);
        int only = Integer.getInteger("storage.fuzz.only", -1); // one case of the run, to debug it
        long started = System.nanoTime();
        List<FuzzImage> images = List.of(FuzzImage.build("single", 8L << 20, FormatOptions.SINGLE, seed),
                FuzzImage.build("dup", 8L << 20, FormatOptions.DUP, seed + 1));
        Random r = new Random(seed);
        Map<String, Integer> kinds = new TreeMap<>();
        Map<Outcome, Integer> outcomes = new TreeMap<>();
        Map<String, Integer> errors = new TreeMap<>();
        Map<String, Map<Outcome, Integer>> byKind = new TreeMap<>();
        List<String> failures = new ArrayList<>();
        int hangs = 0;
        int crashes = 0;
        int foreign = 0;
        int silent = 0;
        ExecutorService worker = newWorker();
        try {
            for (int c = 0; c < cases; c++) {
                FuzzImage img = images.get(r.nextInt(images.size()));
                ImageMutator.Mutation m = new ImageMutator(img, new Random(r.nextLong())).next();
                boolean readOnly = r.nextInt(4) == 0;
                boolean offline = r.nextInt(3) == 0;
                if (only >= 0 && c != only) {
                    continue;
                }
                kinds.merge(m.kind(), 1, Integer::sum);
                String label = "case " + c + " (image " + img.name + ", " + m.kind() + ", " + m.detail()
                        + (readOnly ? ", read-only" : "") + ")";
                Future<Outcome> f = worker.submit(() -> run(img, m, readOnly, offline, errors));
                try {
                    Outcome o = f.get(TIME_BOUND_SECONDS, TimeUnit.SECONDS);
                    outcomes.merge(o, 1, Integer::sum);
                    byKind.computeIfAbsent(m.kind(), k -> new TreeMap<>()).merge(o, 1, Integer::sum);
                    if (m.kind().equals(System.getProperty("storage.fuzz.show"))) {
                        System.out.println("image fuzz: " + label + ": " + o);
                    }
                } catch (TimeoutException e) {
                    hangs++;
                    f.cancel(true);
                    failures.add(label + ": no end within " + TIME_BOUND_SECONDS + " s (a hang)");
                    worker.shutdownNow();
                    worker = newWorker(); // the stuck thread is a daemon: it does not hold the JVM
                } catch (ExecutionException e) {
                    Throwable t = e.getCause();
                    if (t instanceof Failure) {
                        if (t.getMessage().startsWith("foreign")) {
                            foreign++;
                        } else if (t.getMessage().startsWith("silent")) {
                            silent++;
                        } else {
                            crashes++;
                        }
                        failures.add(label + ": " + t.getMessage() + (t.getCause() == null ? "" : ": " + trace(t.getCause())));
                    } else {
                        crashes++;
                        failures.add(label + ": " + trace(t));
                    }
                }
            }
        } finally {
            worker.shutdownNow();
        }
        double seconds = (System.nanoTime() - started) / 1e9;
        int clear = outcomes.getOrDefault(Outcome.CLEAR_ERROR, 0);
        int correct = outcomes.getOrDefault(Outcome.CORRECT, 0);
        int reported = outcomes.getOrDefault(Outcome.DAMAGE_REPORTED, 0);
        int other = outcomes.getOrDefault(Outcome.OTHER_VALID_VOLUME, 0);
        int fellBack = outcomes.getOrDefault(Outcome.FELL_BACK, 0);
        System.out.printf("image fuzz: seed %d, %d cases (%s), clear errors %d, correct volumes %d (%d of them the "
                + "previous generation, the newest superblock being broken; and %d where the check reported the "
                + "damage, %d valid volumes the mutation left with other contents), crashes %d, hangs %d, foreign "
                + "writes %d, silent bad data %d (%.1f s)%n", seed, cases, kinds(kinds), clear, correct + fellBack,
                fellBack, reported, other, crashes, hangs, foreign, silent, seconds);
        System.out.println("image fuzz by kind (clear error/correct/damage reported/other valid/previous generation): "
                + byKind(byKind));
        System.out.println("image fuzz: clear errors by type " + errors);
        for (String failure : failures.subList(0, Math.min(40, failures.size()))) {
            System.out.println("image fuzz FAILURE: " + failure);
        }
        if (!failures.isEmpty()) {
            System.out.printf("image fuzz: %d failures; replay with -D%s=%d -Dstorage.fuzz.cases=%d%n",
                    failures.size(), Seeds.PROPERTY, seed, cases);
        }
        assertEquals(List.of(), failures.subList(0, Math.min(10, failures.size())), failures.size()
                + " failures, seed " + seed + " (replay with -D" + Seeds.PROPERTY + "=" + seed + ")");
    }

    /** "bitflip a: ...; truncate b; garbage c; resealed d: cycles e, ...". */
    private static String kinds(Map<String, Integer> kinds) {
        StringBuilder s = new StringBuilder();
        for (String group : List.of("bitflip", "truncate", "garbage", "resealed")) {
            int total = kinds.entrySet().stream().filter(e -> e.getKey().startsWith(group))
                    .mapToInt(Map.Entry::getValue).sum();
            s.append(s.length() == 0 ? "" : "; ").append(group).append(' ').append(total);
            String parts = kinds.entrySet().stream().filter(e -> e.getKey().startsWith(group + "-"))
                    .map(e -> e.getKey().substring(group.length() + 1) + " " + e.getValue())
                    .collect(java.util.stream.Collectors.joining(", "));
            if (!parts.isEmpty()) {
                s.append(": ").append(parts);
            }
        }
        return s.toString();
    }

    private static String byKind(Map<String, Map<Outcome, Integer>> byKind) {
        return byKind.entrySet().stream().map(e -> e.getKey() + " " + java.util.Arrays.stream(Outcome.values())
                .map(o -> String.valueOf(e.getValue().getOrDefault(o, 0)))
                .collect(java.util.stream.Collectors.joining("/"))).collect(java.util.stream.Collectors.joining(", "));
    }

    private static ExecutorService newWorker() {
        return Executors.newSingleThreadExecutor(task -> {
            Thread t = new Thread(task, "image-fuzz");
            t.setDaemon(true);
            return t;
        });
    }

    private static String trace(Throwable t) {
        StringBuilder s = new StringBuilder(t.toString());
        StackTraceElement[] st = t.getStackTrace();
        for (int i = 0; i < Math.min(8, st.length); i++) {
            s.append("\n        at ").append(st[i]);
        }
        if (t.getCause() != null && t.getCause() != t) {
            s.append("\n      caused by ").append(trace(t.getCause()));
        }
        return s.toString();
    }

    /**
     * What a case learned on the way: the generation mounted, the blocks writes changed
     * that they must not have, and once the case's own commit is durable, the blocks that
     * commit still owns (only those of the unmutated image stay forbidden after it: the
     * rest it freed, and a later commit may reuse them).
     */
    private static final class Phase {
        long generation = -1;
        final BitSet foreign = new BitSet();
        BitSet stillOwned;
    }

    /** One case: the offline check, mount, check, read every file, then on a writable mount a write and a sync. */
    private static Outcome run(FuzzImage img, ImageMutator.Mutation m, boolean readOnly, boolean offline,
            Map<String, Integer> errors) throws Failure {
        URI uri = URI.create("fuzz:case");
        FuzzDevice device = new FuzzDevice(uri, m.image(), img.pristine, FuzzImage.B, readOnly);
        Phase phase = new Phase();
        try {
            Outcome o;
            try {
                o = mountCheckRead(img, m, device, readOnly, offline, phase);
            } catch (IOException e) {
                String message = e.getMessage();
                if (message == null || message.isBlank() || message.contains("\n")) {
                    throw new Failure("an error without a clear one-line message", e);
                }
                synchronized (errors) {
                    if (errors.merge(e.getClass().getSimpleName(), 1, Integer::sum) == 1) {
                        System.out.println("image fuzz: first " + e.getClass().getSimpleName() + " (" + m.kind()
                                + ", " + m.detail() + "): " + message);
                    }
                }
                o = Outcome.CLEAR_ERROR;
            }
            foreign(img, device, phase);
            if (!phase.foreign.isEmpty()) {
                throw new Failure("foreign writes: blocks " + summary(phase.foreign) + " (generation "
                        + phase.generation + " owns them)", null);
            }
            return o;
        } catch (RuntimeException | Error e) {
            throw new Failure("crash", e);
        } finally {
            try {
                device.close();
            } catch (IOException e) {
                // nothing to do
            }
        }
    }

    /** Adds to {@code phase.foreign} the forbidden blocks the writes since the last call changed. */
    private static void foreign(FuzzImage img, FuzzDevice device, Phase phase) {
        BitSet changed = device.takeChanged();
        changed.and(forbidden(img, phase.generation));
        if (phase.stillOwned != null) {
            changed.and(phase.stillOwned);
        }
        phase.foreign.or(changed);
    }

    /**
     * The blocks no write may change: those the mounted generation's nodes and extents
     * own (both generations' when none mounted), and the reserved area but for the two
     * superblock copies.
     */
    private static BitSet forbidden(FuzzImage img, long generation) {
        FuzzImage.State s = img.state(generation);
        if (s == null && generation > 0) {
            s = img.newest; // the newest generation under another number (its superblock's generation changed)
        }
        BitSet out = new BitSet();
        if (s != null) {
            out.or(s.owned());
            out.andNot(s.nocow()); // overwritten in place
        } else {
            out.or(img.newest.owned());
            out.or(img.previous.owned());
        }
        out.set(0, (int) img.firstDataBlock);
        for (long sb : Superblock.OFFSETS) {
            out.clear((int) (sb / FuzzImage.B), (int) ((sb + Superblock.SIZE) / FuzzImage.B));
        }
        return out;
    }

    private static String summary(BitSet bits) {
        String s = bits.toString();
        return s.length() > 200 ? s.substring(0, 200) + "...}" : s;
    }

    private static Outcome mountCheckRead(FuzzImage img, ImageMutator.Mutation m, FuzzDevice device,
            boolean readOnly, boolean offline, Phase phase) throws IOException, Failure {
        boolean offlineClean = true;
        if (offline) {
            Check.Result r = CowVolume.check(device, Volumes.SERVICES);
            offlineClean = r.clean();
        }
        // The generation mount takes (a writable mount may commit at once: qemu-mode bitmaps go in use).
        phase.generation = VolumeFormat.readSuperblock(device, Volumes.SERVICES).generation;
        CowVolume v = CowVolume.mount("fuzz", device.uri(), device, Volumes.SERVICES,
                MountOptions.defaults().readOnly(readOnly), 4 << 20);
        boolean done = false;
        try {
            FuzzImage.State state = m.newestAs() != 0 && phase.generation == m.newestAs() ? img.newest
                    : img.state(phase.generation);
            Check.Result check = v.checkCommitted();
            if (state == null) {
                if (check.clean()) {
                    throw new Failure("silent: mounted generation " + phase.generation + ", which the image never "
                            + "had, and the check is clean", null);
                }
                return Outcome.DAMAGE_REPORTED;
            }
            Map<String, byte[]> found = readEverything(v, state.files());
            boolean same = FileStates.same(state.files(), found);
            boolean clean = check.clean() && offlineClean;
            if (!same && clean && !m.mayChangeContent()) {
                throw new Failure("silent bad data under a clean check: "
                        + FileStates.difference(state.files(), found), null);
            }
            if (!readOnly) {
                writeAndSync(v, clean && same ? state.files() : null);
                foreign(img, device, phase);
                try {
                    // Extents a mutation made up (a length of 2048 blocks) own nothing: only real files' pieces count.
                    phase.stillOwned = FuzzImage.owned(v, new ArrayList<>(), new ArrayList<>(), new ArrayList<>(),
                            state::had);
                } catch (IOException | org.cowstack.storage.cow.format.Corruption e) {
                    return Outcome.DAMAGE_REPORTED; // what the commit owns is unknown: abandoned, not unmounted
                }
                // A second commit, which may reuse what the first freed: blocks the first still owns stay forbidden.
                // Small files, so that holes the first freed are taken.
                for (int i = 0; i < 8; i++) {
                    Volumes.write(v, "/fuzz-more" + i, 0, Volumes.filled(FuzzImage.B, 0x3c + i).array());
                }
                v.sync();
            }
            v.unmount();
            done = true;
            return !clean ? Outcome.DAMAGE_REPORTED : !same ? Outcome.OTHER_VALID_VOLUME
                    : state == img.previous ? Outcome.FELL_BACK : Outcome.CORRECT;
        } finally {
            if (!done) {
                try {
                    v.abandon();
                } catch (IOException | RuntimeException e) {
                    // the case's outcome is already decided
                }
            }
        }
    }

    /**
     * A new file and a copy-on-write overwrite, synced; on a correct volume (whose files
     * are {@code expected}) every file is read back.
     */
    private static void writeAndSync(CowVolume v, Map<String, byte[]> expected) throws IOException, Failure {
        byte[] data = new byte[5 * FuzzImage.B + 17];
        new Random(1).nextBytes(data);
        Volumes.write(v, "/fuzz-new", 0, data);
        byte[] patch = new byte[2 * FuzzImage.B];
        java.util.Arrays.fill(patch, (byte) 0x5a);
        Volumes.write(v, "/big", 3 * FuzzImage.B, patch);
        Volumes.write(v, "/nocow", FuzzImage.B, patch); // in place: into the blocks its extents name
        v.sync();
        if (expected != null) {
            Map<String, byte[]> now = new TreeMap<>(expected);
            now.put("/fuzz-new", data);
            byte[] big = expected.get("/big").clone();
            System.arraycopy(patch, 0, big, 3 * FuzzImage.B, patch.length);
            now.put("/big", big);
            byte[] nocow = expected.get("/nocow").clone();
            System.arraycopy(patch, 0, nocow, FuzzImage.B, patch.length);
            now.put("/nocow", nocow);
            Map<String, byte[]> found = readEverything(v, now);
            if (!FileStates.same(now, found)) {
                throw new Failure("silent: after a write and a sync on a correct volume: "
                        + FileStates.difference(now, found), null);
            }
        }
    }

    /**
     * Every file under the root with its content, as far as {@code expected} can tell:
     * a file of another size is read to at most its expected size plus {@link #READ_SLACK}.
     */
    static Map<String, byte[]> readEverything(CowVolume v, Map<String, byte[]> expected) throws IOException {
        Map<String, byte[]> found = new TreeMap<>();
        walk(v, "", expected, found, 0);
        return found;
    }

    private static void walk(CowVolume v, String dir, Map<String, byte[]> expected, Map<String, byte[]> found,
            int depth) throws IOException {
        if (depth > 8) {
            found.put(dir + "/...", new byte[0]); // a directory cycle: the state is not the expected one
            return;
        }
        for (DirEntry e : v.list(dir.isEmpty() ? "/" : dir)) {
            String path = dir + "/" + e.name();
            if (e.directory()) {
                walk(v, path, expected, found, depth + 1);
                continue;
            }
            try (FileHandle f = v.open(path, EnumSet.of(StandardOpenOption.READ))) {
                long size = f.size();
                byte[] want = expected.get(path);
                long limit = Math.min(size, (want == null ? 0 : want.length) + (long) READ_SLACK);
                byte[] content = new byte[(int) limit];
                ByteBuffer b = ByteBuffer.wrap(content);
                while (b.hasRemaining()) {
                    if (f.read(b, b.position()) < 0) {
                        break;
                    }
                }
                found.put(path, limit == size ? content : java.util.Arrays.copyOf(content, content.length + 1));
            }
        }
    }
}
