package org.cowstack.storage.itest;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;
import static org.cowstack.storage.itest.Programs.run;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Dictionary;
import java.util.List;
import java.util.UUID;

import javax.inject.Inject;

import org.apache.felix.service.command.CommandProcessor;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.service.cm.ConfigurationAdmin;

/**
 * Volumes on S3 in real Felix (issue 22): a real S3 server (s3proxy, started by
 * {@link #config()} outside the framework, its endpoint in a system property), a store
 * configured with {@code storage:s3 add} (a Config Admin factory configuration whose
 * secret key is a password field and shows nowhere), mkfs, write, remount and read back;
 * a second framework — the executable jar, another process with its own home — mounts
 * the volume read-only and reads the committed data; of two writers, the one whose flush
 * comes second is refused with one line, and the other's data stays; an update of
 * {@code storage.s3} under a mounted volume brings the store back from its configuration
 * and the volume with it, its writes kept.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class S3IT {
    @Inject
    private CommandProcessor gogo;

    @Inject
    private BundleContext context;

    @Inject
    private ConfigurationAdmin configAdmin;

    /** Runs outside the framework (Pax Exam's driver): starts the S3 server once per JVM. */
    @Configuration
    public Option[] config() throws Exception {
        S3Endpoint.start();
        return StorageStack.options();
    }

    private InFramework in() {
        return new InFramework(context, gogo);
    }

    private String session(String command) throws Exception {
        return in().session(command);
    }

    private static String endpoint() {
        return System.getProperty(S3Endpoint.PROPERTY);
    }

    /** A file holding the test server's secret key, as {@code --secret-key-file} reads it. */
    private static Path secretFile(String secret) throws Exception {
        Path f = Files.createTempFile("s3it-secret", ".txt");
        Files.writeString(f, secret + "\n");
        return f;
    }

    /** {@code storage:s3 add} of a store on the test server under {@code prefix}. */
    private String add(String name, String prefix) throws Exception {
        return session("storage:s3 add --create-bucket --access-key " + S3Endpoint.ACCESS_KEY
                + " --secret-key-file " + secretFile(S3Endpoint.SECRET_KEY) + " --object-size 64k --cache-size 2m"
                + " --prefix " + prefix + " " + name + " " + endpoint() + " itest");
    }

    @Test
    public void aVolumeOnS3RemountsAndASecondFrameworkReadsItReadOnly() throws Exception {
        String prefix = "a-" + UUID.randomUUID();
        assertTrue(add("a", prefix), add("b0", prefix + "-other").startsWith("added store b0"));
        String stores = session("storage:s3 stores");
        assertTrue(stores, stores.matches("(?s).*\\na +" + java.util.regex.Pattern.quote(endpoint())
                + " +itest +" + prefix + "/ +0 +0 .*"));
        session("storage:s3 remove b0");
        String left = session("storage:s3 stores");
        assertFalse(left, java.util.regex.Pattern.compile("(?m)^b0 ").matcher(left).find()); // a UUID may hold "b0"

        // the secret is a password field of the configuration, and shows nowhere else
        org.osgi.service.cm.Configuration[] configs = configAdmin.listConfigurations(
                "(&(service.factoryPid=org.cowstack.storage.s3.store)(name=a))");
        assertEquals(1, configs.length);
        Dictionary<String, Object> props = configs[0].getProperties();
        assertEquals(S3Endpoint.SECRET_KEY, props.get("secretKey"));

        session("storage:mkfs --size 32m s3:a/vol; storage:mount v s3:a/vol");
        session("storage:io v /f 'pwrite -S 0xab 0 1m' 'pwrite -S 0xcd 3m 256k' fsync");
        String md5 = session("storage:io v /f md5sum");
        for (String shown : List.of(session("storage:volumes"), session("storage:s3 stores --json"),
                session("storage:devices"))) {
            assertFalse(shown, shown.contains(S3Endpoint.SECRET_KEY));
        }
        assertEquals("unmounted v", session("storage:umount v"));
        String check = session("storage:check s3:a/vol");
        assertTrue(check, check.contains("clean: generation"));
        session("storage:mount v s3:a/vol");
        assertEquals(md5, session("storage:io v /f md5sum"));
        String used = session("storage:s3 stores");
        assertTrue(used, used.matches("(?s).*\\na +\\S+ +itest +" + prefix + "/ +1 +[1-9][0-9]* .*"));

        // a second framework, another process with its own home, mounts it read-only
        Path home = Files.createTempDirectory("s3it-home");
        Object[] r = jar(home, "storage:s3 add --access-key " + S3Endpoint.ACCESS_KEY + " --secret-key-file "
                + secretFile(S3Endpoint.SECRET_KEY) + " --prefix " + prefix + " a " + endpoint() + " itest; "
                + "storage:mount --ro r s3:a/vol; storage:io r /f md5sum; storage:volumes");
        assertEquals(String.valueOf(r[1]), 0, r[0]);
        assertTrue(String.valueOf(r[1]), String.valueOf(r[1]).contains(md5));
        assertTrue(String.valueOf(r[1]), String.valueOf(r[1]).matches("(?s).*\\nr +s3:a/vol +READ_ONLY .*"));

        // the jar with a home of its own: the store and the volume it mounted come back at its next start
        Path own = Files.createTempDirectory("s3it-restart");
        String prefix2 = prefix + "-jar";
        Object[] first = jar(own, "storage:s3 add --access-key " + S3Endpoint.ACCESS_KEY + " --secret-key-file "
                + secretFile(S3Endpoint.SECRET_KEY) + " --prefix " + prefix2 + " j " + endpoint() + " itest; "
                + "storage:mkfs --size 16m s3:j/vol; storage:mount jv s3:j/vol; storage:io jv /a 'pwrite -S 0x77 0 64k'");
        assertEquals(String.valueOf(first[1]), 0, first[0]);
        Object[] second = jar(own, "storage:io jv /a 'pread -P 0x77 0 64k'; storage:s3 stores");
        assertEquals(String.valueOf(second[1]), 0, second[0]);
        assertTrue(String.valueOf(second[1]), String.valueOf(second[1]).contains("read 65536/65536 bytes at offset 0"));
        assertFalse(String.valueOf(second[1]), String.valueOf(second[1]).contains(S3Endpoint.SECRET_KEY));

        // a reader in this framework (another store name on the same prefix) refreshes to the writer's newer commit
        add("ar", prefix);
        session("storage:mount --ro r2 s3:ar/vol");
        session("storage:io v /f 'pwrite -S 0xee 0 64k' fsync");
        assertTrue(in().failure("storage:io r2 /f 'pread -P 0xee 0 64k'").contains("0xee"));
        assertTrue(session("storage:remount --refresh r2"), session("storage:remount --refresh r2")
                .matches("refreshed r2: generation [0-9]+ \\(READ_ONLY\\)"));
        assertEquals("read 65536/65536 bytes at offset 0", session("storage:io r2 /f 'pread -P 0xee 0 64k'"));
        assertTrue(in().failure("storage:remount --refresh v").contains("a volume mounted read-only"));
        session("storage:umount r2");

        // refused credentials: one line at add, nothing configured
        String refused = in().failure("storage:s3 add --access-key nobody --secret-key-file " + secretFile("wrong")
                + " bad " + endpoint() + " itest");
        assertTrue(refused, refused.contains("credentials"));
        assertTrue(in().failure("storage:mount w s3:nosuch/vol").contains("no S3 store nosuch"));
        session("storage:umount v");
    }

    @Test
    public void ofTwoWritersTheOneWhoseFlushComesSecondIsRefused() throws Exception {
        String prefix = "w-" + UUID.randomUUID();
        add("w1", prefix);
        add("w2", prefix); // the same bucket and prefix under another name: two writers that do not know each other
        session("storage:mkfs --size 32m s3:w1/vol; storage:mount one s3:w1/vol");
        session("storage:io one /f 'pwrite -S 0x11 0 64k' fsync");
        session("storage:mount two s3:w2/vol");
        session("storage:io one /f 'pwrite -S 0x22 0 64k' fsync");
        String refused = in().failure("storage:io two /g 'pwrite -S 0x33 0 64k' fsync");
        assertTrue(refused, refused.contains("another writer"));
        assertEquals("read 65536/65536 bytes at offset 0", session("storage:io one /f 'pread -P 0x22 0 64k'"));
        session("storage:io one /f 'pwrite -S 0x44 0 64k' fsync");
        // the refused writer goes without writing: the first one's state is whole
        String volumes = session("storage:volumes");
        assertTrue(volumes, volumes.matches("(?s).*\\ntwo +s3:w2/vol +FAILED: [^\\n]*another writer committed.*"));
        assertEquals("unmounted two", session("storage:umount two"));
        session("storage:umount one; storage:mount one s3:w1/vol");
        assertEquals("read 65536/65536 bytes at offset 0", session("storage:io one /f 'pread -P 0x44 0 64k'"));
        String files = session("storage:ls one /");
        assertTrue(files, files.contains("f") && !files.matches("(?s).*\\bg\\b.*"));
        session("storage:umount one");
    }

    @Test
    public void anUpdateOfTheS3BundleBringsTheStoreBack() throws Exception {
        String prefix = "u-" + UUID.randomUUID();
        add("u", prefix);
        session("storage:mkfs --size 16m s3:u/vol; storage:mount u s3:u/vol");
        session("storage:io u /x 'pwrite -S 0x5a 0 64k'"); // not fsynced: the engine commits before the device goes
        Bundle s3 = in().bundle("storage.s3");
        s3.stop();
        s3.update();
        s3.start();
        InFramework.await("the store is back", () -> session("storage:s3 stores").contains(prefix));
        InFramework.await("the volume is mounted again", () -> session("storage:volumes")
                .matches("(?s).*\\nu +s3:u/vol +MOUNTED .*"));
        assertEquals("read 65536/65536 bytes at offset 0", session("storage:io u /x 'pread -P 0x5a 0 64k'"));
        session("storage:io u /x 'pwrite 0 4k' fsync");
        session("storage:umount u; storage:s3 remove u");
    }

    /** The executable jar with its home at {@code home}, running one command line. */
    private static Object[] jar(Path home, String commands) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String jar = System.getProperty("storage.jar");
        assertTrue("the exported jar exists: " + jar, jar != null && Files.isRegularFile(Path.of(jar)));
        return run(java, "-Dstorage.home=" + home, "-jar", jar, "-c", commands);
    }
}
