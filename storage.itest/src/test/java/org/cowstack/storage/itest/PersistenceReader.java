package org.cowstack.storage.itest;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotEquals;

import java.util.Properties;

import javax.inject.Inject;

import org.cowstack.storage.api.volume.MountOptions;
import org.cowstack.storage.api.volume.Volume;
import org.cowstack.storage.api.volume.VolumeManager;
import org.cowstack.storage.api.volume.VolumeState;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;

/**
 * The second half of {@link PersistenceIT}, in a new framework: mounts the image
 * {@link PersistenceWriter} wrote and unmounted in the previous one and finds every byte,
 * stat and the space it reported. Run only by {@link PersistenceIT}.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class PersistenceReader {
    @Inject
    private BundleContext context;

    @Inject
    private VolumeManager manager;

    @Configuration
    public Option[] config() {
        return StorageStack.options();
    }

    @Test
    public void readsEverythingBackInANewFramework() throws Exception {
        Properties note = PersistenceScenario.readNote();
        assertNotEquals("a framework other than the writer's", note.getProperty(PersistenceScenario.FRAMEWORK),
                context.getProperty(Constants.FRAMEWORK_UUID));
        assertFalse("nothing mounted before this test mounts it", manager.volume(PersistenceScenario.NAME).isPresent());

        Volume v = manager.mount(PersistenceScenario.NAME, PersistenceScenario.image(), MountOptions.defaults());
        assertEquals(VolumeState.MOUNTED, v.state());
        assertEquals(note.getProperty(PersistenceScenario.UUID), v.uuid().toString());
        PersistenceScenario.assertHolds(v, true);
        long used = Long.parseLong(note.getProperty(PersistenceScenario.USED));
        assertEquals("the space the writer's volume reported", used, v.space().used());
        manager.unmount(PersistenceScenario.NAME);
    }
}
