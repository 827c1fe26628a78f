package org.cowstack.storage.itest;

import static org.cowstack.storage.itest.Programs.freePort;
import static org.cowstack.storage.itest.Programs.have;
import static org.cowstack.storage.itest.Programs.run;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;
import static org.junit.Assume.assumeTrue;

import java.lang.ref.WeakReference;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import javax.inject.Inject;

import org.apache.felix.service.command.CommandProcessor;
import org.cowstack.storage.api.volume.Volume;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceReference;

/**
 * Hot swap under an export while a real client writes: qemu-io writes 64 KiB blocks
 * through the NBD export, pausing between them, while the checksum bundle, the engine
 * and {@code storage.nbd} itself are updated under it. Every write completes and is
 * there afterwards: the checksum swap suspends the volume, which holds the requests;
 * the engine update unmounts and mounts the volume again, and requests that meet it
 * wait for the export's volume to come back; the update of the server closes the
 * connection and qemu, told to reconnect ({@code reconnect-delay}), finds the export
 * back from its configuration and sends again what was not answered. The exported
 * bitmap is held busy again on the new engine's mount, and neither replaced engine nor
 * replaced server keeps its class loader alive.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class NbdSwapIT {
    private static final int WRITES = 120;
    private static final int BLOCK = 64 << 10;

    @Inject
    private CommandProcessor gogo;

    @Inject
    private BundleContext context;

    @Configuration
    public Option[] config() {
        return StorageStack.options();
    }

    private InFramework in() {
        return new InFramework(context, gogo);
    }

    private static String pattern(int i) {
        return "0x" + Integer.toHexString(1 + i % 250);
    }

    @Test
    public void aClientWritesThroughSwapsOfAPolicyTheEngineAndTheServerItself() throws Exception {
        assumeTrue("qemu-io is not installed (qemu-utils): the NBD hot swap test is skipped", have("qemu-io"));
        Path dir = Files.createTempDirectory("nbdswap");
        String image = "file:" + dir.resolve("swap.img");
        in().session("storage:mkfs --size 64m " + image + "; storage:mount sw " + image);
        in().session("storage:io sw /vm 'truncate 8m' fsync");
        in().session("storage:bitmap add sw /vm b0");
        int port = freePort();
        in().session("storage:nbd export --port " + port + " --bitmap b0 sw /vm");

        List<String> writer = new ArrayList<>(List.of("qemu-io", "--image-opts",
                "driver=nbd,server.type=inet,server.host=127.0.0.1,server.port=" + port
                        + ",export=vm,reconnect-delay=30"));
        for (int i = 0; i < WRITES; i++) {
            writer.addAll(List.of("-c", "write -P " + pattern(i) + " " + (long) i * BLOCK + " " + BLOCK, "-c",
                    "sleep 40"));
        }
        writer.addAll(List.of("-c", "flush"));
        Process qemu = new ProcessBuilder(writer).redirectErrorStream(true).start();
        CompletableFuture<String> output = CompletableFuture.supplyAsync(() -> {
            try {
                return new String(qemu.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            } catch (java.io.IOException e) {
                return e.toString();
            }
        });

        List<WeakReference<ClassLoader>> replaced = new ArrayList<>();
        Thread.sleep(500);
        in().bundle("storage.csum").update(); // the volume suspends until its algorithm is back
        Thread.sleep(500);
        Bundle engine = in().bundle("storage.cow");
        WeakReference<ClassLoader> oldEngine = Revisions.loaderOf(engine);
        replaced.add(oldEngine);
        engine.update(); // the volume is unmounted and mounted again by the new engine
        InFramework.await("sw mounted by the new engine", () -> {
            ServiceReference<Volume> ref = in().byProperty(Volume.class, Volume.PROP_NAME).get("sw");
            return ref != null && context.getService(ref).getClass().getClassLoader() != oldEngine.get();
        });
        Thread.sleep(300);
        Bundle nbd = in().bundle("storage.nbd");
        replaced.add(Revisions.loaderOf(nbd));
        nbd.update(); // the connection closes; the export comes back from its configuration
        assertTrue("qemu-io was still writing when the last swap was done: lengthen WRITES", qemu.isAlive());

        assertTrue("qemu-io finished", qemu.waitFor(120, TimeUnit.SECONDS));
        String written = output.get(10, TimeUnit.SECONDS);
        assertEquals(written, 0, qemu.exitValue());
        assertEquals(written, WRITES, written.split("wrote " + BLOCK + "/" + BLOCK + " bytes", -1).length - 1);

        List<String> reader = new ArrayList<>(List.of("qemu-io", "-r", "-f", "raw"));
        for (int i = 0; i < WRITES; i++) {
            reader.addAll(List.of("-c", "read -P " + pattern(i) + " " + (long) i * BLOCK + " " + BLOCK));
        }
        reader.add("nbd://127.0.0.1:" + port + "/vm");
        Object[] read = run(reader.toArray(new String[0]));
        String back = String.valueOf(read[1]);
        assertEquals(back, 0, read[0]);
        assertEquals(back, WRITES, back.split("read " + BLOCK + "/" + BLOCK + " bytes", -1).length - 1);
        assertTrue("the exported bitmap is busy again on the new engine's mount",
                in().failure("storage:bitmap clear sw /vm b0").contains("in use"));

        in().session("storage:nbd stop vm");
        in().session("storage:umount sw");
        Revisions.refresh(context);
        Revisions.assertCollected("storage.cow and storage.nbd replaced under a writing NBD client", replaced);
    }
}
