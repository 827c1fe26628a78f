package org.cowstack.storage.device.mem;

import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.file.NoSuchFileException;

import org.cowstack.storage.api.BusyException;
import org.cowstack.storage.api.OfflineException;
import org.cowstack.storage.api.device.BlockDevice;
import org.cowstack.storage.api.device.DeviceProvider;
import org.cowstack.storage.api.device.OpenOptions;
import org.cowstack.storage.testkit.BlockDeviceContract;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class MemDeviceTest extends BlockDeviceContract {
    private final MemDeviceProvider provider = new MemDeviceProvider();

    @Override
    protected DeviceProvider provider() {
        return provider;
    }

    @Override
    protected URI uri(String name) {
        return URI.create("mem:" + name);
    }

    @AfterEach
    void stop() throws IOException {
        provider.deactivate();
    }

    @Test
    void deactivationClosesDevicesAndFreesDisks() throws IOException {
        BlockDevice d = create("bye");
        provider.deactivate();
        assertThrows(OfflineException.class, () -> d.read(ByteBuffer.allocate(512), 0));
        assertThrows(BusyException.class, () -> provider.open(uri("other"), OpenOptions.create(SIZE)));
    }

    @Test
    void aDiskThisOpenCreatedIsForgottenWhenClosedRemovingWhatItCreated() throws IOException {
        BlockDevice d = open(uri("failed-mkfs"), OpenOptions.create(SIZE));
        d.write(ByteBuffer.wrap(new byte[512]), 0);
        d.closeAndRemoveCreated();
        assertThrows(NoSuchFileException.class, () -> provider.open(uri("failed-mkfs"), OpenOptions.readWrite()));
    }

    @Test
    void aDiskThatExistedIsKeptAndAPlainCloseRemovesNothing() throws IOException {
        create("kept").close();
        BlockDevice d = open(uri("kept"), OpenOptions.readWrite());
        d.closeAndRemoveCreated();
        open(uri("kept"), OpenOptions.readWrite()).close();
        BlockDevice discarded = open(uri("discarded"), OpenOptions.create(SIZE));
        discarded.discard(0, discarded.size());
        discarded.close();
        open(uri("discarded"), OpenOptions.readWrite()).close();
    }

    @Test
    void aReadOnlyOpenCreatesNothing() {
        assertThrows(NoSuchFileException.class,
                () -> provider.open(URI.create("mem:probe?size=64k"), OpenOptions.readOnly()));
        assertThrows(NoSuchFileException.class, () -> provider.open(uri("probe"), OpenOptions.readWrite()));
    }

    @Test
    void sizeParameterCreates() throws IOException {
        BlockDevice d = open(URI.create("mem:sized?size=64k"), OpenOptions.readWrite());
        org.junit.jupiter.api.Assertions.assertEquals(64 * 1024, d.size());
    }
}
