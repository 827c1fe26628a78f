package org.cowstack.storage.nbd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.cowstack.storage.api.volume.FileHandle;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The server's answers to requests a client must not send, asked by libnbd (through
 * nbdsh) with its strict mode off, in the spirit of libnbd's {@code tests/errors-server-*.c}:
 * every case must get the error the spec names for it (its "Error values" section and each
 * command's text) and leave the connection serving, except where the spec allows a hard
 * disconnect. libnbd is a second reading of the spec, so a case our own client
 * ({@link NbdServerTest}) gets wrong the same way the server does shows up here.
 * libnbd cannot send an unknown command type; {@link NbdServerTest} and {@link FuzzTest}
 * send those.
 */
class ConformanceTest extends ServerFixture {
    /** The big export: larger than the 32 MiB payload limit, so an oversize request can lie inside it. */
    private static final int BIG_MIB = 40;

    @TempDir
    Path dir;

    @Override
    int bigMiB() {
        return BIG_MIB;
    }

    /**
     * Each case: what libnbd sends, and what the spec says comes back: the errno libnbd
     * reports (or ok), then whether the connection still serves a read afterwards.
     */
    private static final Map<String, String> EXPECTED = new LinkedHashMap<>();

    static {
        // past the end: ENOSPC for what writes, EINVAL for the rest ("Error values")
        EXPECTED.put("read past end", "EINVAL alive");
        EXPECTED.put("read at end", "EINVAL alive");
        EXPECTED.put("read at 2^63-1", "EINVAL alive");
        EXPECTED.put("write past end", "ENOSPC alive");
        EXPECTED.put("write at 2^63-1", "ENOSPC alive");
        EXPECTED.put("zero past end", "ENOSPC alive");
        EXPECTED.put("trim past end", "EINVAL alive");
        EXPECTED.put("cache past end", "EINVAL alive");
        EXPECTED.put("block status past end", "EINVAL alive");
        // unaligned: the advertised minimum block size is 1, so any offset and length are fine
        EXPECTED.put("unaligned read", "ok alive");
        EXPECTED.put("unaligned write", "ok alive");
        EXPECTED.put("unaligned zero", "ok alive");
        EXPECTED.put("unaligned trim", "ok alive");
        // a flag unknown, or not documented for the command: EINVAL; but FUA, which the spec
        // makes every command accept once NBD_FLAG_SEND_FUA is advertised
        EXPECTED.put("read with unknown flag", "EINVAL alive");
        EXPECTED.put("read with REQ_ONE", "EINVAL alive");
        EXPECTED.put("write with DF", "EINVAL alive");
        EXPECTED.put("write with NO_HOLE", "EINVAL alive");
        EXPECTED.put("flush with FUA", "ok alive");
        EXPECTED.put("trim with NO_HOLE", "EINVAL alive");
        EXPECTED.put("cache with FUA", "ok alive");
        EXPECTED.put("block status with FUA", "ok alive");
        EXPECTED.put("zero with DF", "EINVAL alive");
        // unadvertised: DF without structured replies, block status without a meta context
        EXPECTED.put("read DF without structured replies", "EINVAL alive");
        EXPECTED.put("block status without structured replies", "EINVAL alive");
        EXPECTED.put("block status without a meta context", "EINVAL alive");
        // read-only export: what would change it gets EPERM (TRIM and WRITE_ZEROES not advertised there)
        EXPECTED.put("ro write", "EPERM alive");
        EXPECTED.put("ro trim", "EPERM alive");
        EXPECTED.put("ro zero", "EPERM alive");
        EXPECTED.put("ro zero FAST_ZERO", "EPERM alive");
        EXPECTED.put("ro write past end", "EPERM alive");
        EXPECTED.put("ro flush", "ok alive");
        EXPECTED.put("ro cache", "ok alive");
        EXPECTED.put("ro read", "ok alive");
        // zero-size: the spec leaves the answer open but says the server SHOULD NOT disconnect
        EXPECTED.put("zero-size read", "ok alive");
        EXPECTED.put("zero-size write", "ok alive");
        EXPECTED.put("zero-size trim", "ok alive");
        EXPECTED.put("zero-size zero", "ok alive");
        EXPECTED.put("zero-size cache", "ok alive");
        EXPECTED.put("zero-size block status", "EINVAL alive");
        // oversize (over the 32 MiB maximum block size): a read is refused, EOVERFLOW only with DF
        // (the spec keeps EOVERFLOW for that); commands without a payload may be larger and are served
        EXPECTED.put("oversize read", "EINVAL alive");
        EXPECTED.put("oversize read DF", "EOVERFLOW alive");
        EXPECTED.put("oversize simple read", "EINVAL alive");
        EXPECTED.put("oversize trim", "ok alive");
        EXPECTED.put("oversize zero", "ok alive");
        EXPECTED.put("oversize block status", "ok alive");
        EXPECTED.put("oversize cache", "ok alive");
        // a write payload over 2^25 bytes may be taken as an attack (a hard disconnect, spec "Block
        // size constraints"); one a little over is read and refused, so the connection goes on
        EXPECTED.put("oversize write", "EINVAL alive");
    }

    private static final String SCRIPT = """
            import nbd
            PORT = %d
            S = %d
            BIG = %d
            M = 1024 * 1024

            def connect(export, structured=True, meta=True):
                h = nbd.NBD()
                h.set_strict_mode(0)
                h.set_request_structured_replies(structured)
                if meta:
                    h.add_meta_context(nbd.CONTEXT_BASE_ALLOCATION)
                h.connect_uri('nbd://127.0.0.1:%%d/%%s' %% (PORT, export))
                return h

            def status(h, count, offset, flags=0):
                h.block_status(count, offset, lambda *args: 0, flags)

            def df_read(h, count, offset):
                h.pread_structured(count, offset, lambda *args: 0, nbd.CMD_FLAG_DF)

            def case(name, h, op):
                try:
                    op()
                    got = 'ok'
                except nbd.Error as e:
                    got = e.errno or ('no-errno ' + str(e.string))
                try:
                    h.pread(1, 0)
                    after = 'alive'
                except nbd.Error:
                    after = 'closed'
                print('case %%s: %%s %%s' %% (name, got, after), flush=True)

            rw = connect('disk')
            case('read past end', rw, lambda: rw.pread(1024, S - 512))
            case('read at end', rw, lambda: rw.pread(512, S))
            case('read at 2^63-1', rw, lambda: rw.pread(512, 2**63 - 1))
            case('write past end', rw, lambda: rw.pwrite(b'x' * 1024, S - 512))
            case('write at 2^63-1', rw, lambda: rw.pwrite(b'x' * 512, 2**63 - 1))
            case('zero past end', rw, lambda: rw.zero(1024, S - 512))
            case('trim past end', rw, lambda: rw.trim(1024, S - 512))
            case('cache past end', rw, lambda: rw.cache(1024, S - 512))
            case('block status past end', rw, lambda: status(rw, 1024, S - 512))

            case('unaligned read', rw, lambda: rw.pread(3, 1 * M + 1))
            case('unaligned write', rw, lambda: rw.pwrite(b'xyz', 2 * M + 4097))
            case('unaligned zero', rw, lambda: rw.zero(5, 1 * M + 7))
            case('unaligned trim', rw, lambda: rw.trim(5, 3 * M + 7))

            case('read with unknown flag', rw, lambda: rw.pread(512, 0, 1 << 9))
            case('read with REQ_ONE', rw, lambda: rw.pread(512, 0, nbd.CMD_FLAG_REQ_ONE))
            case('write with DF', rw, lambda: rw.pwrite(b'y' * 512, 3 * M, nbd.CMD_FLAG_DF))
            case('write with NO_HOLE', rw, lambda: rw.pwrite(b'y' * 512, 3 * M, nbd.CMD_FLAG_NO_HOLE))
            case('flush with FUA', rw, lambda: rw.flush(nbd.CMD_FLAG_FUA))
            case('trim with NO_HOLE', rw, lambda: rw.trim(512, 3 * M, nbd.CMD_FLAG_NO_HOLE))
            case('cache with FUA', rw, lambda: rw.cache(512, 0, nbd.CMD_FLAG_FUA))
            case('block status with FUA', rw, lambda: status(rw, 512, 0, nbd.CMD_FLAG_FUA))
            case('zero with DF', rw, lambda: rw.zero(512, 3 * M, nbd.CMD_FLAG_DF))

            simple = connect('disk', structured=False, meta=False)
            case('read DF without structured replies', simple, lambda: simple.pread(512, 0, nbd.CMD_FLAG_DF))
            case('block status without structured replies', simple, lambda: status(simple, 512, 0))
            plain = connect('disk', meta=False)
            case('block status without a meta context', plain, lambda: status(plain, 512, 0))

            ro = connect('ro')
            case('ro write', ro, lambda: ro.pwrite(b'z' * 512, 0))
            case('ro trim', ro, lambda: ro.trim(512, 0))
            case('ro zero', ro, lambda: ro.zero(512, 0))
            case('ro zero FAST_ZERO', ro, lambda: ro.zero(512, 0, nbd.CMD_FLAG_FAST_ZERO))
            case('ro write past end', ro, lambda: ro.pwrite(b'z' * 1024, S - 512))
            case('ro flush', ro, lambda: ro.flush())
            case('ro cache', ro, lambda: ro.cache(512, 0))
            case('ro read', ro, lambda: ro.pread(512, 1 * M))

            case('zero-size read', rw, lambda: rw.pread(0, 0))
            case('zero-size write', rw, lambda: rw.pwrite(b'', 0))
            case('zero-size trim', rw, lambda: rw.trim(0, 0))
            case('zero-size zero', rw, lambda: rw.zero(0, 0))
            case('zero-size cache', rw, lambda: rw.cache(0, 0))
            case('zero-size block status', rw, lambda: status(rw, 0, 0))

            big = connect('big')
            over = 32 * M + 4096
            case('oversize read', big, lambda: big.pread(over, 0))
            case('oversize read DF', big, lambda: df_read(big, over, 0))
            case('oversize trim', big, lambda: big.trim(over, 0))
            case('oversize zero', big, lambda: big.zero(over, 0))
            case('oversize block status', big, lambda: status(big, over, 0))
            case('oversize cache', big, lambda: big.cache(over, 0))
            bigsimple = connect('big', structured=False, meta=False)
            case('oversize simple read', bigsimple, lambda: bigsimple.pread(over, 0))
            case('oversize write', big, lambda: big.pwrite(b'w' * over, 0))
            print('done', flush=True)
            """;

    @Test
    void everyBadRequestGetsTheErrorTheSpecNames() throws Exception {
        // nbdsh runs the first python3 on PATH; the bindings (python3-libnbd) are the system python's
        String path = "/usr/bin:" + System.getenv().getOrDefault("PATH", "");
        assumeTrue(haveNbdsh(path),
                "nbdsh (python3-libnbd) is not installed: the libnbd conformance test is skipped");
        long size = 4L * MIB;
        Path script = dir.resolve("errors.py");
        Files.writeString(script, SCRIPT.formatted(server.port(), size, BIG_MIB * (long) MIB));
        String out = nbdsh(path, "exec(open('" + script + "').read())");
        System.out.println("ConformanceTest: nbdsh, strict mode off:\n" + out.strip());
        Map<String, String> got = new LinkedHashMap<>();
        Matcher m = Pattern.compile("(?m)^case (.+?): (.+)$").matcher(out);
        while (m.find()) {
            got.put(m.group(1), m.group(2).strip());
        }
        assertTrue(out.strip().endsWith("done"), "the script ran to its end:\n" + out);
        List<String> wrong = new ArrayList<>();
        EXPECTED.forEach((name, expected) -> {
            if (!expected.equals(got.get(name))) {
                wrong.add(name + ": expected " + expected + ", got " + got.get(name));
            }
        });
        assertEquals(List.of(), wrong, "cases answered otherwise than the spec says");
        assertEquals(EXPECTED.keySet(), got.keySet(), "every case ran once");

        // nothing refused was half done: the past-end write left the file's last bytes as they were,
        // the oversize write the big file's first
        assertArrayEquals(new byte[512], bytes("/disk", size - 512, 512), "the refused past-end write wrote nothing");
        assertArrayEquals(new byte[4096], bytes("/big", 0, 4096), "the refused oversize write wrote nothing");
    }

    private byte[] bytes(String path, long offset, int n) throws Exception {
        try (FileHandle f = volume.open(path, EnumSet.of(StandardOpenOption.READ))) {
            ByteBuffer b = ByteBuffer.allocate(n);
            while (b.hasRemaining() && f.read(b, offset + b.position()) > 0) {
                // all of it
            }
            return b.array();
        }
    }

    /** Whether nbdsh runs and its python has the bindings ({@link Tools#have} would not put /usr/bin first). */
    private static boolean haveNbdsh(String path) {
        try {
            nbdsh(path, "pass");
            return true;
        } catch (Exception | AssertionError e) {
            return false;
        }
    }

    /** Runs nbdsh (no implicit handle) with one Python statement, the system python first on PATH. */
    private static String nbdsh(String path, String statement) throws Exception {
        return Tools.run("env", "PATH=" + path, "nbdsh", "-n", "-c", statement);
    }
}
