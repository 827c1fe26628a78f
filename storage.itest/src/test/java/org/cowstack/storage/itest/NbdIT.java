package org.cowstack.storage.itest;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;
import static org.junit.Assume.assumeTrue;
import static org.cowstack.storage.itest.Programs.eventually;
import static org.cowstack.storage.itest.Programs.freePort;
import static org.cowstack.storage.itest.Programs.have;
import static org.cowstack.storage.itest.Programs.run;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Dictionary;
import java.util.Hashtable;

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
 * An NBD export in real Felix (issue 20, first part): a factory configuration of
 * {@code org.cowstack.storage.nbd.export} through Config Admin serves a file of a
 * mounted volume to qemu-img and qemu-io; an update of {@code storage.nbd} brings the
 * export back from its configuration; deleting the configuration ends it.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class NbdIT {
    @Inject
    private CommandProcessor gogo;

    @Inject
    private ConfigurationAdmin configAdmin;

    @Inject
    private BundleContext context;

    @Configuration
    public Option[] config() {
        return StorageStack.options();
    }

    private String session(String command) throws Exception {
        return new InFramework(context, gogo).session(command);
    }

    /** An export made through Config Admin alone, as a management agent would (TLS credentials or null). */
    private org.osgi.service.cm.Configuration configureExport(String volume, String path, String name, int port,
            String tlsCreds) throws IOException {
        org.osgi.service.cm.Configuration c = configAdmin.createFactoryConfiguration("org.cowstack.storage.nbd.export",
                "?");
        Dictionary<String, Object> p = new Hashtable<>();
        p.put("volume", volume);
        p.put("path", path);
        p.put("name", name);
        p.put("port", port);
        if (tlsCreds != null) {
            p.put("tlsCreds", tlsCreds);
        }
        c.update(p);
        return c;
    }

    @Test
    public void aConfiguredExportServesQemuAndComesBackAfterAnUpdate() throws Exception {
        assumeTrue("qemu-img and qemu-io are not installed (qemu-utils): the NBD test is skipped",
                have("qemu-img") && have("qemu-io"));
        session("storage:mkfs --size 64m mem:nbdit; storage:mount nb mem:nbdit");
        session("storage:io nb /disk 'truncate 4m' 'pwrite -S 0xab 1m 1m' fsync");
        int port = freePort();
        org.osgi.service.cm.Configuration c = configureExport("nb", "/disk", "vm", port, null);
        String uri = "nbd://127.0.0.1:" + port + "/vm";

        Object[] info = eventually("qemu-img", "info", "--output=json", uri);
        assertEquals(String.valueOf(info[1]), 0, info[0]);
        assertTrue(String.valueOf(info[1]), String.valueOf(info[1]).contains("\"virtual-size\": 4194304"));
        Object[] io = run("qemu-io", "-f", "raw", "-c", "read -P 0xab 1M 1M", "-c", "write -P 0x5a 0 64k", "-c",
                "flush", uri);
        assertEquals(String.valueOf(io[1]), 0, io[0]);
        assertTrue(String.valueOf(io[1]), String.valueOf(io[1]).contains("read 1048576/1048576 bytes at offset 1048576"));
        assertEquals("read 65536/65536 bytes at offset 0", session("storage:io nb /disk 'pread -P 0x5a 0 64k'"));

        // an update of storage.nbd: the export comes back from its configuration
        Bundle nbd = new InFramework(context, gogo).bundle("storage.nbd");
        nbd.stop();
        nbd.update();
        nbd.start();
        Object[] again = eventually("qemu-io", "-r", "-f", "raw", "-c", "read -P 0x5a 0 64k", uri);
        assertEquals(String.valueOf(again[1]), 0, again[0]);

        // the configuration deleted: the export is gone
        c.delete();
        Thread.sleep(500);
        Object[] gone = run("qemu-img", "info", uri);
        assertTrue(String.valueOf(gone[1]), (int) gone[0] != 0);
        session("storage:umount nb");
    }

    @Test
    public void aTlsExportServesTlsClientsOnly() throws Exception {
        assumeTrue("qemu-img or openssl is not installed: the NBD TLS test is skipped", have("qemu-img")
                && haveOpenssl());
        Path creds = Files.createTempDirectory("nbdit-tls");
        Path server = Files.createDirectories(creds.resolve("server"));
        Path client = Files.createDirectories(creds.resolve("client"));
        // one self-signed certificate: the server's, and the CA its clients trust (no client certificates)
        Object[] made = run("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj",
                "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost", "-keyout",
                server.resolve("server-key.pem").toString(), "-out", server.resolve("server-cert.pem").toString());
        assertEquals(String.valueOf(made[1]), 0, made[0]);
        Files.copy(server.resolve("server-cert.pem"), client.resolve("ca-cert.pem"));
        session("storage:mkfs --size 64m mem:nbdtls; storage:mount nt mem:nbdtls");
        session("storage:io nt /disk 'truncate 4m'");
        int port = freePort();
        org.osgi.service.cm.Configuration c = configureExport("nt", "/disk", "secure", port, server.toString());

        Object[] info = eventually("qemu-img", "info", "--output=json", "--object",
                "tls-creds-x509,id=tls0,endpoint=client,dir=" + client, "--image-opts", "driver=nbd,server.type=inet,"
                        + "server.host=127.0.0.1,server.port=" + port + ",export=secure,tls-creds=tls0");
        assertEquals(String.valueOf(info[1]), 0, info[0]);
        assertTrue(String.valueOf(info[1]), String.valueOf(info[1]).contains("\"virtual-size\": 4194304"));
        Object[] plain = run("qemu-img", "info", "nbd://127.0.0.1:" + port + "/secure");
        assertTrue(String.valueOf(plain[1]), (int) plain[0] != 0 && String.valueOf(plain[1]).contains("TLS"));
        assertTrue(session("storage:nbd list"), session("storage:nbd list").contains(server.toString()));
        assertTrue(failure("storage:nbd export --port " + port + " nt /disk").contains("with the TLS credentials of"));
        assertTrue(failure("storage:nbd export --tls-creds " + creds.resolve("nosuch") + " nt /disk")
                .contains("nosuch: not a directory"));
        c.delete();
        session("storage:umount nt");
        try (java.util.stream.Stream<Path> files = Files.walk(creds)) {
            for (Path f : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(f);
            }
        }
    }

    private static boolean haveOpenssl() throws Exception {
        try {
            return (int) run("openssl", "version")[0] == 0;
        } catch (IOException e) {
            return false;
        }
    }

    private String failure(String command) throws Exception {
        return new InFramework(context, gogo).failure(command);
    }

    @Test
    public void storageNbdExportsListsAndStops() throws Exception {
        session("storage:mkfs --size 64m mem:nbdsh; storage:mount ns mem:nbdsh");
        session("storage:io ns /img 'truncate 2m' 'pwrite -S 0x42 0 1m' fsync");
        int port = freePort();
        assertEquals("exported ns:/img as nbd://127.0.0.1:" + port + "/img",
                session("storage:nbd export --port " + port + " ns /img"));
        assertEquals("exported ns:/img as nbd://127.0.0.1:" + port + "/ro (read-only)",
                session("storage:nbd export --port " + port + " --name ro --ro ns /img"));
        String list = session("storage:nbd list");
        System.out.println("NbdIT storage:nbd list:\n" + list);
        assertTrue(list, list.matches("(?s)EXPORT +VOLUME +PATH +ADDRESS +TLS +STATE +CLIENTS +IN +OUT\\s*\\n.*"));
        assertTrue(list, list.contains("127.0.0.1:" + port) && list.contains("serving, read-only"));
        assertTrue(session("storage:nbd list --json"), session("storage:nbd list --json").startsWith("[{\"export\":"));
        if (have("qemu-io")) {
            Object[] io = run("qemu-io", "-r", "-f", "raw", "-c", "read -P 0x42 0 1M",
                    "nbd://127.0.0.1:" + port + "/ro");
            assertEquals(String.valueOf(io[1]), 0, io[0]);
        }
        assertTrue(failure("storage:nbd export --port " + port + " ns /img").contains("a name no other export uses"));
        assertTrue(failure("storage:nbd export ns /nosuch").contains("/nosuch"));
        assertTrue(failure("storage:nbd export nosuchvol /img").contains("nosuchvol"));
        assertTrue(failure("storage:nbd export --address 192.0.2.1 ns /img").contains("loopback"));
        assertTrue(failure("storage:nbd export --port 70000 ns /img").contains("70000"));
        assertTrue(failure("storage:nbd stop nosuch").contains("nosuch"));
        assertTrue(failure("storage:nbd list ns").startsWith("storage:nbd: expected 0 arguments after list"));
        assertTrue(failure("storage:nbd stop --ro img").contains("--ro is for export only"));
        assertTrue(failure("storage:nbd serve").contains("unknown action serve"));
        // a bitmap exported is busy, as qemu makes it; free again when the export stops
        session("storage:bitmap add ns /img b0");
        assertEquals("exported ns:/img as nbd://127.0.0.1:" + port + "/bm with qemu:dirty-bitmap:b0",
                session("storage:nbd export --port " + port + " --name bm --bitmap b0 ns /img"));
        assertTrue(failure("storage:bitmap clear ns /img b0").contains("is currently in use by another operation"));
        assertTrue(failure("storage:nbd export --port " + port + " --name bm2 --bitmap b0 ns /img")
                .contains("in use"));
        assertTrue(failure("storage:nbd export --port " + port + " --name bm3 --bitmap nosuch ns /img")
                .contains("nosuch"));
        assertEquals("stopped export bm", session("storage:nbd stop bm"));
        session("storage:bitmap clear ns /img b0");
        assertEquals("stopped export img", session("storage:nbd stop img"));
        assertEquals("stopped export ro", session("storage:nbd stop ro"));
        assertTrue(session("storage:nbd list").contains("EXPORT"));
        if (have("qemu-img")) {
            Object[] gone = run("qemu-img", "info", "nbd://127.0.0.1:" + port + "/img");
            assertTrue(String.valueOf(gone[1]), (int) gone[0] != 0);
        }
        session("storage:umount ns");
    }
}
