package org.cowstack.storage.cow.fs;

import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.BitSet;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.function.Consumer;

import org.cowstack.storage.api.ChecksumMismatchException;
import org.cowstack.storage.api.volume.DedupeResult;
import org.cowstack.storage.api.volume.FallocateMode;
import org.cowstack.storage.api.volume.FileFlag;
import org.cowstack.storage.api.volume.FileHandle;
import org.cowstack.storage.api.volume.FileMapping;
import org.cowstack.storage.api.volume.FormatOptions;
import org.cowstack.storage.api.volume.MapMode;
import org.cowstack.storage.device.fault.FaultyDeviceProvider;
import org.cowstack.storage.device.faulty.FaultControl;
import org.cowstack.storage.device.mem.MemDeviceProvider;

/**
 * The fsx harness: runs {@link FsxOp}s on {@link #FILES} files of one volume on a
 * {@code faulty:} RAM disk and checks every result against an {@link FsxModel}: every
 * read, every length an operation returns, all files now and then, the files a power cut
 * leaves, and at the end the volume's own check. A difference throws {@link Mismatch}.
 */
final class Fsx {
    static final int FILES = 4;
    static final int MAX_FILE = 1 << 20;
    static final int BS = 4096;
    private static final long VOLUME = 64L << 20;
    private static final int MAX_VERSIONS = 64;
    private static final FallocateMode[] FALLOCATE_MODES = FallocateMode.values();

    /** The engine and the model disagree. */
    static final class Mismatch extends AssertionError {
        private static final long serialVersionUID = 1L;
        final int op;

        Mismatch(int op, String message, Throwable cause) {
            super("op " + op + ": " + message, cause);
            this.op = op;
        }
    }

    @FunctionalInterface
    private interface Step {
        void run() throws IOException;
    }

    private final MemDeviceProvider mem = new MemDeviceProvider();
    private final Volumes wrapped = new Volumes(new FaultyDeviceProvider(s -> s.equals("mem") ? mem : null));
    private final URI uri;
    private final FsxModel model = new FsxModel(FILES, BS);
    private final Map<FsxOp.Kind, Integer> counts = new EnumMap<>(FsxOp.Kind.class);
    private final Map<FsxOp.Kind, Long> millis = new EnumMap<>(FsxOp.Kind.class);
    private final Consumer<String> log;
    private final byte[][] pending = new byte[FILES][];
    private final boolean[] isPending = new boolean[FILES];
    private CowVolume v;
    private int index = -1;
    private String what;
    private int powerCuts;

    /** A fresh volume; {@code log}, when not null, is told each step as it ran. */
    Fsx(String name, Consumer<String> log) throws IOException {
        this.log = log;
        this.uri = URI.create("faulty:mem:fsx-" + name);
        new Volumes(mem).mkfs(URI.create("mem:fsx-" + name), VOLUME, FormatOptions.defaults());
        v = wrapped.mount(uri);
    }

    /**
     * Runs {@code ops} on a fresh volume.
     *
     * @return null when they all matched the model, else what did not
     */
    static String replay(List<FsxOp> ops, Consumer<String> log) throws IOException {
        Fsx fsx = new Fsx("replay", log);
        try {
            for (FsxOp op : ops) {
                fsx.run(op);
            }
            fsx.finish();
            return null;
        } catch (Mismatch e) {
            if (e.getCause() != null) {
                java.io.StringWriter trace = new java.io.StringWriter();
                e.getCause().printStackTrace(new java.io.PrintWriter(trace));
                return e.getMessage() + "\n" + trace.toString().lines().limit(16)
                        .collect(java.util.stream.Collectors.joining("\n    ", "    ", ""));
            }
            return e.getMessage();
        } finally {
            fsx.close();
        }
    }

    int opsRun() {
        return index + 1;
    }

    int powerCuts() {
        return powerCuts;
    }

    Map<FsxOp.Kind, Integer> counts() {
        return counts;
    }

    /** Milliseconds spent in each kind of step. */
    Map<FsxOp.Kind, Long> millis() {
        return millis;
    }

    /** Runs one step and checks it. */
    void run(FsxOp op) throws IOException {
        index++;
        counts.merge(op.kind(), 1, Integer::sum);
        what = op.kind().toString();
        long start = System.nanoTime();
        boolean synced = false;
        try {
            if (model.mostVersions() > MAX_VERSIONS) { // bounds the model's memory on a long run
                v.sync();
                model.allDurable();
                synced = true;
            }
            step(op);
        } catch (IOException | RuntimeException e) {
            for (int f = 0; f < FILES; f++) {
                if (isPending[f]) {
                    model.maybe(f, pending[f]);
                }
            }
            if (!control().poweredOff()) {
                throw new Mismatch(index, what + " failed: " + e, e);
            }
            recover(what + " cut off by the power");
            what += " [cut off by the power]";
        } finally {
            Arrays.fill(isPending, false);
            millis.merge(op.kind(), (System.nanoTime() - start) / 1_000_000, Long::sum);
        }
        if (control().poweredOff()) { // the step returned, the power failed under it all the same
            recover("the power cut during " + what);
            what += " [the power failed under it]";
        }
        if (log != null) {
            log.accept(index + ": " + (synced ? "sync (" + MAX_VERSIONS + " versions since a promise), then " : "")
                    + what);
        }
    }

    /** The last checks: every file, then the volume's own audit and check. */
    void finish() {
        try {
            if (control().poweredOff()) {
                recover("the power cut during " + what);
            }
            control().clearFaults(); // a cut armed and not reached
            compareAll("at the end");
            v.sync();
            expect(v.audit().isEmpty(), "audit at the end: " + v.audit());
            expect(v.check().problems().isEmpty(), "check at the end: " + v.check().problems());
        } catch (IOException e) {
            throw new Mismatch(index, "at the end: " + e, e);
        }
    }

    void close() throws IOException {
        if (!v.isClosed()) {
            v.abandon();
        }
        mem.deactivate();
    }

    private void step(FsxOp op) throws IOException {
        int f = op.file();
        switch (op.kind()) {
            case READ -> read(f, op);
            case WRITE -> {
                long off = op.offset() % MAX_FILE;
                byte[] data = data(op.seed(), (int) Math.min(op.length() + 1, MAX_FILE - off));
                what = "write f" + f + " " + off + "+" + data.length;
                change(f, FsxModel.written(model.bytes(f), off, data), h -> h.write(ByteBuffer.wrap(data), off));
            }
            case DIRECT_WRITE -> directWrite(f, op);
            case APPEND -> append(f, op);
            case TRUNCATE -> {
                long size = (op.arg() & 1) == 0 ? op.offset() % (MAX_FILE + 1) : op.length() % 20_000;
                what = "truncate f" + f + " to " + size;
                change(f, Arrays.copyOf(model.bytes(f), (int) size), h -> h.truncate(size));
            }
            case FALLOCATE -> fallocate(f, op);
            case CLONE -> FsxRanges.clone(this, f, op);
            case DEDUPE -> FsxRanges.dedupe(this, f, op);
            case COPY -> FsxRanges.copy(this, f, op);
            case MAP_READ -> FsxRanges.mapRead(this, f, op);
            case MAP_WRITE -> FsxRanges.mapWrite(this, f, op);
            case FSYNC -> {
                what = "fsync f" + f;
                try (FileHandle h = open(f)) {
                    h.fsync();
                }
                model.durable(f);
            }
            case SYNC -> {
                what = "sync";
                v.sync();
                model.allDurable();
            }
            case REMOUNT -> {
                what = "remount";
                v.unmount();
                v = wrapped.mount(uri);
                model.allDurable();
                compareAll("after the remount");
            }
            case POWER_CUT -> {
                FaultControl c = control();
                c.seed(op.seed());
                if ((op.arg() & 1) == 0) {
                    what = "power cut";
                    recover(what);
                } else {
                    long n = 1 + op.length() % 64;
                    what = "power cut armed at device write " + n + " from now";
                    c.powerCutAtWrite(n);
                }
            }
            case SWAP -> FsxSwaps.swap(this, op);
            case RECREATE -> recreate(f, op);
            case COMPARE -> {
                what = "compare all files";
                compareAll("compare");
            }
        }
    }

    // ------------------------------------------------------------------ steps

    private void read(int f, FsxOp op) throws IOException {
        try (FileHandle h = open(f)) {
            byte[] c = model.bytes(f);
            long off = op.offset() % (c.length + 2);
            int len = (int) op.length() + 1;
            boolean direct = (op.arg() & 1) != 0;
            what = "read f" + f + " " + off + "+" + len + (direct ? " into a direct buffer" : "");
            ByteBuffer dst = direct ? ByteBuffer.allocateDirect(len) : ByteBuffer.allocate(len);
            int got = h.read(dst, off);
            int expected = off >= c.length ? -1 : (int) Math.min(len, c.length - off);
            expect(got == expected, what + ": returned " + got + ", the model says " + expected);
            if (got > 0) {
                byte[] read = new byte[got];
                dst.flip().get(read);
                sameBytes(Arrays.copyOfRange(c, (int) off, (int) off + got), read, what);
            }
        }
    }

    private void directWrite(int f, FsxOp op) throws IOException {
        long off = op.offset() % MAX_FILE / BS * BS;
        int len = (int) Math.min(BS * (1 + op.length() / BS % 64), MAX_FILE - off);
        if ((op.arg() & 0x30) == 0) { // a quarter unaligned: they take the buffered path
            off += 1 + (op.arg() >> 6) % (BS - 1);
            len = (int) Math.min(len, MAX_FILE - off);
        }
        String strategy = Volumes.DIO_STRATEGIES.get(op.arg() % Volumes.DIO_STRATEGIES.size());
        boolean heap = (op.arg() & 8) != 0;
        byte[] data = data(op.seed(), len);
        long at = off;
        what = "direct write f" + f + " " + off + "+" + len + " (" + strategy + (heap ? ", heap)" : ", direct buffer)");
        v.dioStrategy(strategy);
        ByteBuffer src = heap ? ByteBuffer.wrap(data) : ByteBuffer.allocateDirect(len).put(data).flip();
        change(f, FsxModel.written(model.bytes(f), at, data), h -> h.writeDirect(src, at));
    }

    private void append(int f, FsxOp op) throws IOException {
        int size = model.size(f);
        boolean direct = (op.arg() & 1) != 0;
        int len = (int) (1 + op.length() % (64 << 10));
        if ((op.arg() & 2) != 0) {
            len = (len + BS - 1) / BS * BS;
        }
        what = "append f" + f + " " + len + (direct ? " direct" : "") + " at " + size;
        if (size > MAX_FILE + MAX_FILE / 2) {
            what += ": skipped, the file is long enough";
            return;
        }
        byte[] data = data(op.seed(), len);
        long[] at = new long[1];
        change(f, FsxModel.written(model.bytes(f), size, data), h -> at[0] = h.append(ByteBuffer.wrap(data), direct));
        expect(at[0] == size, what + ": appended at " + at[0]);
    }

    private void fallocate(int f, FsxOp op) throws IOException {
        FallocateMode mode = FALLOCATE_MODES[op.arg() % FALLOCATE_MODES.length];
        long off = op.offset() % MAX_FILE;
        long len = 1 + op.length() % (MAX_FILE - off);
        if ((op.arg() & 8) != 0) {
            off -= off % BS;
            len = Math.max(BS, len - len % BS);
        }
        long at = off;
        long n = len;
        what = "fallocate f" + f + " " + mode + " " + off + "+" + len;
        // (a copy: ModelTest's model zeroes in place, and versions must not change)
        change(f, ModelTest.fallocate(model.bytes(f).clone(), mode, off, len), h -> h.fallocate(mode, at, n));
    }

    private void recreate(int f, FsxOp op) throws IOException {
        Set<FileFlag> flags = EnumSet.noneOf(FileFlag.class);
        for (FileFlag flag : FileFlag.values()) {
            if ((op.arg() & (1 << flag.ordinal())) != 0) {
                flags.add(flag);
            }
        }
        what = "delete f" + f + " and create it " + flags;
        if (model.content(f) != null) {
            pending(f, null);
            v.delete(path(f));
            model.set(f, null);
        }
        try (FileHandle h = open(f)) {
            h.setFlags(flags, Set.of());
        }
    }

    // ------------------------------------------------------------------ what the steps share

    /** Opens file {@code f}, read-write, creating it (in the model too) when it does not exist. */
    FileHandle open(int f) throws IOException {
        if (model.content(f) == null) {
            pending(f, new byte[0]);
            FileHandle h = v.open(path(f), Volumes.RW);
            model.set(f, new byte[0]);
            return h;
        }
        return v.open(path(f), Volumes.RW);
    }

    @FunctionalInterface
    interface Change {
        void apply(FileHandle h) throws IOException;
    }

    /** Runs {@code change} on file {@code f}, after which the file should hold {@code after}. */
    void change(int f, byte[] after, Change change) throws IOException {
        try (FileHandle h = open(f)) {
            pending(f, after);
            change.apply(h);
            model.set(f, after);
        }
    }

    /** An operation under way may leave the file as {@code after}. */
    void pending(int f, byte[] after) {
        pending[f] = after;
        isPending[f] = true;
    }

    FsxModel model() {
        return model;
    }

    CowVolume volume() {
        return v;
    }

    void describe(String description) {
        what = description;
    }

    static String path(int f) {
        return "/f" + f;
    }

    static byte[] data(long seed, int length) {
        byte[] b = new byte[length];
        new Random(seed).nextBytes(b);
        return b;
    }

    void expect(boolean ok, String message) {
        if (!ok) {
            throw new Mismatch(index, message, null);
        }
    }

    void sameBytes(byte[] expected, byte[] got, String where) {
        if (!Arrays.equals(expected, got)) {
            int at = Arrays.mismatch(expected, got);
            throw new Mismatch(index, where + ": " + got.length + " bytes, the model " + expected.length
                    + ", first difference at byte " + at, null);
        }
    }

    private FaultControl control() {
        return (FaultControl) v.boundDevice();
    }

    /** Every file, its size and its bytes, and no other file. */
    void compareAll(String when) throws IOException {
        List<String> names = v.list("/").stream().map(e -> "/" + e.name()).sorted().toList();
        List<String> expected = new java.util.ArrayList<>();
        for (int f = 0; f < FILES; f++) {
            if (model.content(f) != null) {
                expected.add(path(f));
            }
        }
        expect(names.equals(expected), when + ": the volume holds " + names + ", the model " + expected);
        for (int f = 0; f < FILES; f++) {
            if (model.content(f) != null) {
                expect(v.stat(path(f)).size() == model.size(f), when + ": size of f" + f + " is "
                        + v.stat(path(f)).size() + ", the model says " + model.size(f));
                sameBytes(model.content(f), Volumes.readAll(v, path(f)), when + ": f" + f);
            }
        }
    }

    /**
     * File {@code f} after a cut, block by block: a block of a NOCOW file with checksums
     * overwritten in place since the last commit may fail its checksum (README, "Sharing,
     * NOCOW and space"): it is put in {@code lost} (and reads as zeros here). A NOCOW
     * file's overwrites go in place, so their sectors may be old or new ({@code inPlace}).
     */
    private byte[] readAfterCut(int f, BitSet lost, boolean[] inPlace) throws IOException {
        try (FileHandle h = v.open(path(f), Volumes.RW)) {
            Set<FileFlag> flags = h.stat().flags();
            inPlace[0] = flags.contains(FileFlag.NOCOW);
            // (nodatasum too: a block cloned from a checksummed file keeps its checksums)
            boolean mayLose = flags.contains(FileFlag.NOCOW);
            byte[] out = new byte[(int) h.size()];
            for (int from = 0; from < out.length; from += BS) {
                ByteBuffer b = ByteBuffer.wrap(out, from, Math.min(BS, out.length - from));
                try {
                    h.read(b, from);
                } catch (ChecksumMismatchException e) {
                    expect(mayLose, "a checksum mismatch after the cut in f" + f + " " + flags + ": " + e);
                    lost.set(from / BS);
                }
            }
            return out;
        }
    }

    /**
     * The power fails (now, if it has not already): the volume is abandoned and mounted
     * again, must be clean, and each file must be a version it had since its last promise.
     * From then on the files are what the cut left.
     */
    private void recover(String why) {
        try {
            afterCut(why);
        } catch (IOException e) {
            throw new Mismatch(index, why + ": after it: " + e, e);
        }
    }

    private void afterCut(String why) throws IOException {
        FaultControl c = control();
        if (!c.poweredOff()) {
            c.powerCut();
        }
        powerCuts++;
        v.abandon();
        try {
            v = wrapped.mount(uri);
        } catch (IOException e) {
            throw new Mismatch(index, why + ": the mount after it failed: " + e, e);
        }
        expect(v.audit().isEmpty(), why + ": audit after it: " + v.audit());
        expect(v.check().problems().isEmpty(), why + ": check after it: " + v.check().problems());
        List<String> names = v.list("/").stream().map(e -> "/" + e.name()).toList();
        for (int f = 0; f < FILES; f++) {
            BitSet lost = new BitSet();
            boolean[] inPlace = new boolean[1];
            byte[] found = names.contains(path(f)) ? readAfterCut(f, lost, inPlace) : null;
            int version = model.match(f, found, lost, inPlace[0]);
            expect(version >= 0, why + ": f" + f + " is " + FsxModel.fingerprint(found) + (lost.isEmpty() ? ""
                    : " with blocks " + lost + " unreadable") + ", none of its " + model.versions(f)
                    + " versions since its last fsync (now " + FsxModel.fingerprint(model.content(f)) + ")");
            if (found != null) { // the lost blocks are the version's: they are rewritten so
                byte[] chosen = model.version(f, version);
                for (int b = lost.nextSetBit(0); b >= 0; b = lost.nextSetBit(b + 1)) {
                    System.arraycopy(chosen, b * BS, found, b * BS, Math.min(BS, found.length - b * BS));
                }
            }
            model.reset(f, found);
            if (!lost.isEmpty()) { // lost until rewritten: rewrite them
                byte[] bytes = model.content(f);
                try (FileHandle h = open(f)) {
                    for (int b = lost.nextSetBit(0); b >= 0; b = lost.nextSetBit(b + 1)) {
                        // whole blocks (a partial one would read the lost one), then the size again
                        int from = b * BS;
                        byte[] block = Arrays.copyOf(Arrays.copyOfRange(bytes, from, Math.min(bytes.length, from + BS)), BS);
                        h.write(ByteBuffer.wrap(block), from);
                    }
                    h.truncate(bytes.length);
                }
                v.sync();
                what += "; rewrote blocks " + lost + " of f" + f + ", unreadable after the cut, and synced";
            }
        }
        expect(names.stream().allMatch(n -> n.matches("/f[0-" + (FILES - 1) + "]")), why + ": files " + names);
    }
}
