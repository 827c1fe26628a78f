package org.cowstack.storage.itest;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.util.Properties;

import javax.inject.Inject;

import org.cowstack.storage.api.volume.FormatOptions;
import org.cowstack.storage.api.volume.FormatResult;
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
 * The first half of {@link PersistenceIT}, in a framework of its own: formats the image,
 * writes the files and checks that the volume shows them, unmounts (which commits),
 * mounts again to check them as committed, unmounts, and notes what the volume
 * reported. Not an integration test by itself (its name is not one failsafe
 * runs): {@link PersistenceIT} runs it, then {@link PersistenceReader}.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class PersistenceWriter {
    @Inject
    private BundleContext context;

    @Inject
    private VolumeManager manager;

    @Configuration
    public Option[] config() {
        return StorageStack.options();
    }

    @Test
    public void writesChecksAndUnmounts() throws Exception {
        assertFalse("no image from an earlier run", PersistenceScenario.imageFile().exists());
        FormatResult formatted = manager.mkfs(PersistenceScenario.image(),
                FormatOptions.defaults().size(PersistenceScenario.SIZE).label(PersistenceScenario.LABEL));
        assertEquals(PersistenceScenario.LABEL, formatted.label());
        assertEquals(PersistenceScenario.SIZE, formatted.size());
        Volume v = manager.mount(PersistenceScenario.NAME, PersistenceScenario.image(), MountOptions.defaults());
        assertEquals(VolumeState.MOUNTED, v.state());
        assertEquals(formatted.uuid(), v.uuid());
        long usedEmpty = v.space().used();

        PersistenceScenario.write(v);
        PersistenceScenario.assertHolds(v, false);
        manager.unmount(PersistenceScenario.NAME); // which commits what is still dirty
        assertFalse("unmounted", manager.volume(PersistenceScenario.NAME).isPresent());

        // As committed: mounted again in this framework, with the allocations.
        Volume again = manager.mount(PersistenceScenario.NAME, PersistenceScenario.image(), MountOptions.defaults());
        assertEquals(formatted.uuid(), again.uuid());
        PersistenceScenario.assertHolds(again, true);
        long used = again.space().used();
        assertTrue("writing used space: " + usedEmpty + " -> " + used, used > usedEmpty);
        Properties note = new Properties();
        note.setProperty(PersistenceScenario.FRAMEWORK, context.getProperty(Constants.FRAMEWORK_UUID));
        note.setProperty(PersistenceScenario.UUID, again.uuid().toString());
        note.setProperty(PersistenceScenario.USED, Long.toString(used));
        manager.unmount(PersistenceScenario.NAME);
        assertFalse("unmounted", manager.volume(PersistenceScenario.NAME).isPresent());
        PersistenceScenario.writeNote(note);
    }
}
