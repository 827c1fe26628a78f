package org.cowstack.storage.nbd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;

import org.cowstack.storage.alloc.FirstFit;
import org.cowstack.storage.api.device.BlockDevice;
import org.cowstack.storage.api.device.OpenOptions;
import org.cowstack.storage.api.volume.FallocateMode;
import org.cowstack.storage.api.volume.FileHandle;
import org.cowstack.storage.api.volume.FormatOptions;
import org.cowstack.storage.api.volume.MountOptions;
import org.cowstack.storage.cow.bind.VolumeServices;
import org.cowstack.storage.cow.fs.CowVolume;
import org.cowstack.storage.csum.Crc32c;
import org.cowstack.storage.device.mem.MemDeviceProvider;
import org.cowstack.storage.dio.Bounce;
import org.cowstack.storage.dio.Buffered;
import org.cowstack.storage.dio.Direct;
import org.cowstack.storage.dio.NoDataSum;
import org.cowstack.storage.dio.Verify;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A volume with one 4 MiB file (data at 1..2 MiB, holes around it) served as {@code disk} and {@code ro};
 * a test that needs room (fio) asks for a sparse {@code /big} file, served as {@code big}, with {@link #bigMiB}.
 */
abstract class ServerFixture {
    static final int MIB = 1 << 20;
    private static final VolumeServices SERVICES = VolumeServices.of(List.of(new Crc32c()), List.of(new FirstFit()),
            List.of(new Buffered(), new Bounce(), new NoDataSum(), new Verify(), new Direct()));
    private static final URI DISK = URI.create("mem:nbd");

    /**
     * MiB of the extra file {@code /big} (0: none). The device grows by four times that, so that
     * copy-on-write rewrites of all of it still find free space before the old extents are freed.
     */
    int bigMiB() {
        return 0;
    }
    private final MemDeviceProvider mem = new MemDeviceProvider();
    final List<String> log = new ArrayList<>();
    /** The volume mounted now (a test may unmount it and mount it again, as an engine update does). */
    volatile CowVolume volume;
    NbdServer server;

    @BeforeEach
    void start() throws IOException {
        try (BlockDevice d = mem.open(DISK, OpenOptions.create((64L + 4L * bigMiB()) << 20))) {
            CowVolume.format(d, FormatOptions.defaults(), SERVICES, "first-fit");
        }
        mountAgain();
        try (FileHandle f = volume.open("/disk", EnumSet.of(StandardOpenOption.CREATE, StandardOpenOption.READ,
                StandardOpenOption.WRITE))) {
            f.truncate(4L * MIB);
            f.write(ByteBuffer.wrap(filled(MIB, 0xab)), MIB); // data at 1..2 MiB, holes around it
        }
        if (bigMiB() > 0) {
            try (FileHandle f = volume.open("/big", EnumSet.of(StandardOpenOption.CREATE, StandardOpenOption.WRITE))) {
                f.truncate((long) bigMiB() * MIB);
            }
        }
        server = new NbdServer(new InetSocketAddress("127.0.0.1", 0), this::export,
                () -> java.util.stream.Stream.of("disk", "ro", "big").map(this::export)
                        .filter(java.util.Objects::nonNull).toList(), line -> {
                    synchronized (log) {
                        log.add(line);
                    }
                }, tls()).start();
    }

    /** The export of a name on the volume mounted now, looked up at each connection as NbdExports does. */
    Export export(String name) {
        switch (name) {
            case "disk":
                return new Export("disk", "the test disk", volume, "/disk", false, List.of("b0"));
            case "ro":
                return new Export("ro", "read-only", volume, "/disk", true, List.of());
            case "one": // not listed: for the test of multiConn off
                return new Export("one", "one connection", volume, "/disk", false, List.of(), false);
            case "big":
                return bigMiB() > 0 ? new Export("big", "room for fio", volume, "/big", false, List.of()) : null;
            default:
                return null;
        }
    }

    /** Mounts the test volume (again, after a test unmounted it). */
    CowVolume mountAgain() throws IOException {
        volume = CowVolume.mount("v", DISK, mem.open(DISK, OpenOptions.readWrite()), SERVICES,
                MountOptions.defaults(), 16 << 20);
        return volume;
    }

    /** The credentials the server requires TLS with; none here (TLS tests give theirs). */
    TlsCredentials tls() throws IOException {
        return null;
    }

    @AfterEach
    void stop() throws IOException {
        server.close();
        volume.unmount();
        mem.deactivate();
    }

    static byte[] filled(int n, int value) {
        byte[] b = new byte[n];
        java.util.Arrays.fill(b, (byte) value);
        return b;
    }

}
