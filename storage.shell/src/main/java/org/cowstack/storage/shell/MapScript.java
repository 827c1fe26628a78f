package org.cowstack.storage.shell;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.util.Arrays;

import org.cowstack.storage.api.ByteSize;
import org.cowstack.storage.api.InvalidArgumentException;
import org.cowstack.storage.api.volume.FileHandle;
import org.cowstack.storage.api.volume.FileMapping;
import org.cowstack.storage.api.volume.MapMode;
import org.cowstack.storage.shell.IoScript.IoArgs;
import org.cowstack.storage.shell.cli.Progress;
import org.cowstack.storage.shell.cli.ProgressReporter;

/**
 * The mapping sub-commands of {@code storage:io} (xfs_io's names): one mapping per
 * script, from {@code mmap} to {@code munmap} or the script's end. Offsets are file
 * offsets inside the mapping (xfs_io's {@code -f}). As in xfs_io they print nothing when
 * they succeed, except {@code mread -v} (the bytes) and {@code mmap} alone (the mapping).
 */
final class MapScript {
    private static final int PIECE = 1 << 20;

    private final IoScript script;
    private final FileHandle file;
    private final PrintStream out;
    private final ProgressReporter progress;
    private FileMapping mapping;

    MapScript(IoScript script, FileHandle file, PrintStream out, ProgressReporter progress) {
        this.script = script;
        this.file = file;
        this.out = out;
        this.progress = progress;
    }

    private FileMapping mapping(String command) {
        if (mapping == null) {
            throw new IllegalStateException(command + ": nothing is mapped; mmap OFF LEN first");
        }
        return mapping;
    }

    /** {@code mmap OFF LEN} maps, silently as xfs_io; {@code mmap} alone lists the mapping. */
    void mmap(IoArgs a) throws IOException {
        if (a.args().isEmpty()) {
            if (mapping == null) {
                out.println("no mapped regions, try 'help storage:io'");
            } else {
                out.printf("[000] %s %s (%d : %d) %s%n", mapping.mode() == MapMode.READ_WRITE ? "rw-" : "r--",
                        file.path(), mapping.offset(), mapping.length(),
                        mapping.direct() ? "device memory" : "cache");
            }
            return;
        }
        if (a.args().size() == 1) {
            throw new IllegalArgumentException("mmap: give OFF and LEN, or neither (to list the mapping)");
        }
        long offset = ByteSize.parse("mmap offset", a.arg(0));
        long length = ByteSize.parse("mmap length", a.arg(1));
        close();
        mapping = file.map(offset, length, a.flag("-w") ? MapMode.READ_WRITE : MapMode.READ);
    }

    void mread(IoArgs a) throws IOException {
        FileMapping m = mapping("mread");
        long offset = ByteSize.parse("mread offset", a.arg(0));
        long length = ByteSize.parse("mread length", a.arg(1));
        Integer expect = a.option("-P") == null ? null : IoScript.pattern("mread -P", a.option("-P"));
        script.checkedRead("mread", (dst, at) -> m.read(at, dst), offset, length, expect, a.flag("-v"),
                "end of the mapping or the file");
    }

    void mwrite(IoArgs a) throws IOException {
        FileMapping m = mapping("mwrite");
        int fill = a.option("-S") == null ? 'X' : IoScript.pattern("mwrite -S", a.option("-S"));
        long offset = ByteSize.parse("mwrite offset", a.arg(0));
        long length = ByteSize.parse("mwrite length", a.arg(1));
        if (length > m.length() || offset < m.offset() || offset - m.offset() > m.length() - length) {
            throw new InvalidArgumentException("mwrite range", offset + "+" + length,
                    "inside the mapping " + m.offset() + "+" + m.length());
        }
        byte[] piece = new byte[(int) Math.min(PIECE, Math.max(1, length))];
        Arrays.fill(piece, (byte) fill);
        long done = 0;
        try (Progress p = progress.startIfLarge("mwrite " + file.path(), length)) {
            p.checkpoint();
            while (done < length) {
                int n = (int) Math.min(piece.length, length - done);
                m.write(offset + done, ByteBuffer.wrap(piece, 0, n));
                done += n;
                p.advance(n);
            }
        }
    }

    void msync(IoArgs a) throws IOException {
        FileMapping m = mapping("msync");
        if (a.args().size() == 1) {
            throw new IllegalArgumentException("msync: give OFF and LEN, or neither (the whole mapping)");
        }
        if (a.args().isEmpty()) {
            m.msync();
        } else {
            m.msync(ByteSize.parse("msync offset", a.arg(0)), ByteSize.parse("msync length", a.arg(1)));
        }
    }

    void munmap() throws IOException {
        mapping("munmap");
        close();
    }

    void close() throws IOException {
        if (mapping != null) {
            FileMapping m = mapping;
            mapping = null;
            m.close();
        }
    }
}
