package org.cowstack.storage.device.fault;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Random;

import org.cowstack.storage.api.MediaErrorException;
import org.cowstack.storage.api.device.BlockDevice;
import org.cowstack.storage.api.device.DeviceProvider;
import org.cowstack.storage.api.device.OpenOptions;
import org.cowstack.storage.device.faulty.FaultControl;
import org.cowstack.storage.device.mem.MemDeviceProvider;
import org.cowstack.storage.testkit.BlockDeviceContract;
import org.cowstack.storage.testkit.Seeds;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Without faults set, faulty: is a device like any other; with them, it fails as told. */
class FaultyDeviceTest extends BlockDeviceContract {
    private final MemDeviceProvider mem = new MemDeviceProvider();
    private final FaultyDeviceProvider provider = new FaultyDeviceProvider(s -> s.equals("mem") ? mem : null);

    @Override
    protected DeviceProvider provider() {
        return provider;
    }

    @Override
    protected URI uri(String name) {
        return URI.create("faulty:mem:" + name);
    }

    @Override
    protected URI withUnknownParameter(URI uri) {
        return URI.create("faulty:nosuchscheme:x");
    }

    @AfterEach
    void stop() throws IOException {
        provider.deactivate();
        mem.deactivate();
    }

    /** The reference target cannot read the annotation, so it repeats the scheme: they must agree. */
    @Test
    void theInnerProviderReferenceExcludesExactlyThisScheme() throws IOException {
        String xml;
        try (java.io.InputStream in = FaultyDeviceProvider.class.getResourceAsStream(
                "/OSGI-INF/" + FaultyDeviceProvider.class.getName() + ".xml")) {
            assertTrue(in != null, "bnd generated the component description");
            xml = new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        }
        String target = "target=\"(!(" + DeviceProvider.SCHEME + "=" + provider.scheme() + "))\"";
        assertTrue(xml.contains(target), "the component description has " + target + ":\n" + xml);
    }

    private static byte[] read(BlockDevice d, long offset, int length) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(length);
        d.read(b, offset);
        return b.array();
    }

    /** A failed mkfs on faulty:mem:... removes the RAM disk the wrapped open created, as it would without the wrapper. */
    @Test
    void closingRemovingWhatWasCreatedReachesTheWrappedDevice() throws IOException {
        BlockDevice d = open(URI.create("faulty:mem:made"), OpenOptions.create(SIZE));
        d.closeAndRemoveCreated();
        assertThrows(java.nio.file.NoSuchFileException.class,
                () -> mem.open(URI.create("mem:made"), OpenOptions.readWrite()));
        open(URI.create("faulty:mem:plain"), OpenOptions.create(SIZE)).close();
        mem.open(URI.create("mem:plain"), OpenOptions.readWrite()).close();
    }

    @Test
    void failsTheNthWriteAndRangesAsTold() throws IOException {
        BlockDevice d = create("nth");
        FaultControl f = (FaultControl) d;
        f.failWrite(2);
        d.write(ByteBuffer.allocate(512), 0);
        assertThrows(MediaErrorException.class, () -> d.write(ByteBuffer.allocate(512), 512));
        d.write(ByteBuffer.allocate(512), 1024);
        assertEquals(3, f.writes());
        f.failRange(4096, 512, true, false);
        assertThrows(MediaErrorException.class, () -> d.read(ByteBuffer.allocate(1024), 3584));
        d.write(ByteBuffer.allocate(512), 4096); // writes to the range still work
        f.clearFaults();
        d.read(ByteBuffer.allocate(1024), 3584);
    }

    @Test
    void poisonIsToldToTheListenerAtOnceFailsReadsAndIsClearedByAWriteOverIt() throws IOException {
        BlockDevice d = create("poison");
        FaultControl f = (FaultControl) d;
        java.util.List<long[]> told = new java.util.ArrayList<>();
        ((org.cowstack.storage.api.device.MediaErrors) d).onMediaError((offset, length) -> told.add(new long[] {offset, length}));
        f.poison(8192, 1024);
        assertEquals(1, told.size());
        assertEquals(8192, told.get(0)[0]);
        assertEquals(1024, told.get(0)[1]);
        assertThrows(MediaErrorException.class, () -> d.read(ByteBuffer.allocate(512), 8704));
        d.read(ByteBuffer.allocate(512), 7680); // next to it reads
        d.write(ByteBuffer.allocate(512), 8192); // clears the first half only
        d.read(ByteBuffer.allocate(512), 8192);
        assertThrows(MediaErrorException.class, () -> d.read(ByteBuffer.allocate(512), 8704));
        d.write(ByteBuffer.allocate(512), 8704);
        d.read(ByteBuffer.allocate(1024), 8192);
    }

    @Test
    void droppedWritesAreAcknowledgedButLost() throws IOException {
        BlockDevice d = create("drop");
        ((FaultControl) d).dropWrites(true);
        d.write(ByteBuffer.wrap(new byte[] {1, 2, 3, 4}).limit(4).flip().limit(0), 0); // empty write
        byte[] data = new byte[512];
        Arrays.fill(data, (byte) 7);
        d.write(ByteBuffer.wrap(data), 0);
        assertArrayEquals(new byte[512], read(d, 0, 512));
    }

    @Test
    void aPowerCutKeepsEverythingFlushedAndAnySubsetOfTheRest() throws IOException {
        Random r = new Random(Seeds.seed("FaultyDeviceTest.powerCut"));
        for (int round = 0; round < 20; round++) {
            URI uri = uri("cut" + round);
            BlockDevice d = open(uri, OpenOptions.create(SIZE));
            FaultControl f = (FaultControl) d;
            f.seed(r.nextLong());
            byte[] flushed = new byte[8192];
            r.nextBytes(flushed);
            d.write(ByteBuffer.wrap(flushed), 0);
            d.flush();
            byte[][] later = new byte[4][4096];
            for (int i = 0; i < 4; i++) {
                r.nextBytes(later[i]);
                d.write(ByteBuffer.wrap(later[i]), 16384 + i * 4096L);
            }
            f.powerCut();
            assertTrue(f.poweredOff());
            assertThrows(MediaErrorException.class, () -> d.read(ByteBuffer.allocate(512), 0));
            d.close();
            try (BlockDevice after = mem.open(URI.create("mem:cut" + round), OpenOptions.readOnly())) {
                assertArrayEquals(flushed, read(after, 0, 8192), "flushed data survives");
                for (int i = 0; i < 4; i++) {
                    byte[] got = read(after, 16384 + i * 4096L, 4096);
                    for (int s = 0; s < 8; s++) {
                        byte[] sector = Arrays.copyOfRange(got, s * 512, (s + 1) * 512);
                        boolean old = Arrays.equals(sector, new byte[512]);
                        boolean written = Arrays.equals(sector, Arrays.copyOfRange(later[i], s * 512, (s + 1) * 512));
                        assertTrue(old || written, "every sector holds its old or its new content");
                    }
                }
            }
        }
    }
}
