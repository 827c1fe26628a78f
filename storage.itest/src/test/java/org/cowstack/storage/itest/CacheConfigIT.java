package org.cowstack.storage.itest;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertSame;
import static org.junit.Assert.assertTrue;

import java.nio.ByteBuffer;
import java.nio.file.StandardOpenOption;
import java.util.EnumSet;
import java.util.Hashtable;

import javax.inject.Inject;

import org.apache.felix.service.command.CommandProcessor;
import org.cowstack.storage.api.volume.FileHandle;
import org.cowstack.storage.api.volume.Volume;
import org.cowstack.storage.api.volume.VolumeManager;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerMethod;
import org.osgi.framework.BundleContext;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;

/**
 * The cache size as Config Admin configuration in real Felix: the engine's configuration
 * ({@value VolumeManager#ENGINE_PID}, property {@code cacheSize}) changes the read cache
 * of a mounted volume without remounting it, {@code storage:cache} shows it, and a file
 * read twice comes from the cache the second time.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerMethod.class)
public class CacheConfigIT {
    @Inject
    private BundleContext context;

    @Inject
    private CommandProcessor gogo;

    @Inject
    private VolumeManager manager;

    @Inject
    private ConfigurationAdmin configAdmin;

    @org.ops4j.pax.exam.Configuration
    public Option[] config() {
        return StorageStack.options();
    }

    private String session(String command) throws Exception {
        return new InFramework(context, gogo).session(command);
    }

    @Test
    public void theCacheSizeIsConfigurationAppliedToAMountedVolume() throws Exception {
        session("storage:mkfs --size 32m mem:cachecfg; storage:mount c mem:cachecfg");
        Volume v = manager.volume("c").orElseThrow();
        session("storage:io c /f 'pwrite -S 0x5a 0 1m'");
        Configuration engine = configAdmin.getConfiguration(VolumeManager.ENGINE_PID, "?");
        Hashtable<String, Object> p = new Hashtable<>();
        p.put("cacheSize", "8m");
        engine.update(p);
        InFramework.await("the new size applied", () -> v.cache().sizeLimit() == 8L << 20);
        assertSame("the same volume, not remounted", v, manager.volume("c").orElseThrow());
        session("storage:umount c; storage:mount c mem:cachecfg");
        Volume again = manager.volume("c").orElseThrow();
        assertEquals("a new mount gets the configured size", 8L << 20, again.cache().sizeLimit());
        try (FileHandle f = again.open("/f", EnumSet.of(StandardOpenOption.READ))) {
            f.read(ByteBuffer.allocate(1 << 20), 0);
            long misses = again.cache().misses();
            assertTrue("the first read came from the device", misses > 0);
            f.read(ByteBuffer.allocate(1 << 20), 0);
            assertEquals("read twice: the second time from the cache", misses, again.cache().misses());
        }
        String json = session("storage:cache --json c");
        assertTrue(json, json.contains("\"limit\":8388608") || json.contains("\"limit\": 8388608"));
        String table = session("storage:cache");
        assertTrue(table, table.matches("(?si)volume +limit +cached +shared +pinned +dirty +hits +misses +hit% +readahead\\s*\\n"
                + ".*\\bc +8388608 .*"));
        engine.delete();
        session("storage:umount c");
    }
}
