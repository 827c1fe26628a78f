package org.cowstack.storage.nbd;

import static java.nio.file.StandardCopyOption.REPLACE_EXISTING;
import static org.cowstack.storage.nbd.Tools.fails;
import static org.cowstack.storage.nbd.Tools.have;
import static org.cowstack.storage.nbd.Tools.run;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.Socket;
import java.net.SocketException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.EnumSet;

import javax.net.ssl.SSLSocket;

import org.cowstack.storage.api.volume.FileHandle;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The server with TLS credentials (TLS-only, the spec's FORCEDTLS) against the clients
 * that will use it — libnbd's nbdinfo and qemu's qemu-io and qemu-img, which speak TLS
 * through GnuTLS and check the server's certificate against its address — and against a
 * client written here that checks the option rules byte by byte over the JDK's TLS 1.2.
 * Certificates are made with openssl once per class; tests skip, saying so, where a tool
 * is missing.
 */
class TlsTest extends ServerFixture {
    @TempDir
    static Path certs;
    private static Path serverDir;
    private static Path clientDir;
    /** A client whose certificate another CA signed. */
    private static Path strangerDir;
    /** A client that trusts the server but has no certificate. */
    private static Path anonymousDir;
    /** The client's certificate and key under the names {@link TlsCredentials} reads, for the Java client. */
    private static Path javaDir;

    @BeforeAll
    static void certificates() throws Exception {
        TestCerts.assumeOpenssl();
        Path ca = TestCerts.ca(certs.resolve("ca"), "nbd test CA");
        serverDir = TestCerts.server(ca, certs.resolve("server"));
        clientDir = TestCerts.client(ca, certs.resolve("client"));
        Path otherCa = TestCerts.ca(certs.resolve("other-ca"), "another CA");
        strangerDir = TestCerts.client(otherCa, certs.resolve("stranger"));
        Files.copy(ca.resolve("ca-cert.pem"), strangerDir.resolve("ca-cert.pem"), REPLACE_EXISTING);
        anonymousDir = Files.createDirectories(certs.resolve("anonymous"));
        Files.copy(ca.resolve("ca-cert.pem"), anonymousDir.resolve("ca-cert.pem"));
        javaDir = Files.createDirectories(certs.resolve("java"));
        Files.copy(ca.resolve("ca-cert.pem"), javaDir.resolve(TlsCredentials.CA));
        Files.copy(clientDir.resolve("client-cert.pem"), javaDir.resolve(TlsCredentials.CERT));
        Files.copy(clientDir.resolve("client-key.pem"), javaDir.resolve(TlsCredentials.KEY));
    }

    @Override
    TlsCredentials tls() throws IOException {
        return TlsCredentials.load(serverDir);
    }

    private String nbds(String export, Path credentials) {
        return "nbds://127.0.0.1:" + server.port() + "/" + export + "?tls-certificates=" + credentials;
    }

    @Test
    void nbdinfoListsAndMapsTheExportsOverTls() throws Exception {
        assumeTrue(have("nbdinfo"), "nbdinfo is not installed (libnbd-bin): the libnbd TLS test is skipped");
        String info = run("nbdinfo", nbds("disk", clientDir));
        System.out.println("TlsTest: nbdinfo over TLS:\n" + info.strip());
        assertTrue(info.contains("export-size: 4194304"), info);
        String list = run("nbdinfo", "--list", nbds("", clientDir));
        assertTrue(list.contains("export=\"disk\"") && list.contains("export=\"ro\""), list);
        // structured replies and meta contexts negotiated after STARTTLS
        String map = run("nbdinfo", "--map", nbds("disk", clientDir));
        assertTrue(map.lines().anyMatch(l -> l.strip().replaceAll("\\s+", " ").equals("1048576 1048576 0 data")), map);
    }

    @Test
    void qemuReadsAndWritesOverTls() throws Exception {
        assumeTrue(have("qemu-img") && have("qemu-io"), "qemu-img and qemu-io are not installed (qemu-utils): "
                + "the qemu TLS test is skipped");
        String object = "tls-creds-x509,id=tls0,endpoint=client,dir=" + clientDir;
        String image = "driver=nbd,server.type=inet,server.host=127.0.0.1,server.port=" + server.port()
                + ",export=disk,tls-creds=tls0";
        String info = run("qemu-img", "info", "--output=json", "--object", object, "--image-opts", image);
        assertTrue(info.contains("\"virtual-size\": 4194304"), info);
        String io = run("qemu-io", "--object", object, "--image-opts", image, "-c", "write -P 0x5a 0 64k",
                "-c", "read -P 0x5a 0 64k", "-c", "flush", "-c", "read -P 0xab 1M 1M");
        System.out.println("TlsTest: qemu-io over TLS:\n" + io.strip());
        assertTrue(io.contains("wrote 65536/65536 bytes at offset 0"), io);
        assertTrue(io.contains("read 1048576/1048576 bytes at offset 1048576"), io);
        assertTrue(!io.contains("Pattern verification failed"), io);
        try (FileHandle f = volume.open("/disk", EnumSet.of(StandardOpenOption.READ))) {
            ByteBuffer b = ByteBuffer.allocate(64 << 10);
            while (b.hasRemaining() && f.read(b, b.position()) > 0) {
                // all of it
            }
            assertArrayEquals(filled(64 << 10, 0x5a), b.array(), "the volume's file holds what qemu-io wrote");
        }
    }

    @Test
    void clientsWithoutTlsAreToldItIsRequiredAndTheServerGoesOn() throws Exception {
        assumeTrue(have("nbdinfo"), "nbdinfo is not installed (libnbd-bin): the libnbd TLS test is skipped");
        String plain = fails("nbdinfo", "nbd://127.0.0.1:" + server.port() + "/disk");
        System.out.println("TlsTest: nbdinfo without TLS: " + plain.strip());
        // libnbd 1.14 words NBD_REP_ERR_TLS_REQD to GO as ENOTSUP; qemu names it
        assertTrue(plain.contains("opt_go") && plain.contains("without TLS"), plain);
        if (have("qemu-img")) {
            String qemu = fails("qemu-img", "info", "nbd://127.0.0.1:" + server.port() + "/disk");
            System.out.println("TlsTest: qemu-img without TLS: " + qemu.strip());
            assertTrue(qemu.contains("TLS negotiation required"), qemu);
        }
        assertTrue(run("nbdinfo", nbds("disk", clientDir)).contains("export-size: 4194304"));
    }

    @Test
    void clientsWithoutACertificateOfTheCaAreRefused() throws Exception {
        assumeTrue(have("nbdinfo"), "nbdinfo is not installed (libnbd-bin): the libnbd TLS test is skipped");
        String stranger = fails("nbdinfo", nbds("disk", strangerDir));
        System.out.println("TlsTest: nbdinfo with another CA's certificate: " + stranger.strip());
        awaitLog("TLS handshake failed");
        fails("nbdinfo", nbds("disk", anonymousDir));
        assertTrue(run("nbdinfo", nbds("disk", clientDir)).contains("export-size: 4194304"));
    }

    @Test
    void beforeStartTlsEveryOptionButAbortIsRefusedAndStartTlsIsChecked() throws Exception {
        try (Raw c = new Raw()) {
            for (int option : new int[] {Nbd.OPT_LIST, Nbd.OPT_STRUCTURED_REPLY, Nbd.OPT_INFO, Nbd.OPT_GO,
                Nbd.OPT_LIST_META_CONTEXT, 99}) {
                c.option(option, option == Nbd.OPT_INFO || option == Nbd.OPT_GO ? go("disk") : new byte[0]);
                assertEquals(Nbd.REP_ERR_TLS_REQD, c.reply(option), "option " + option + " before STARTTLS");
            }
            c.option(Nbd.OPT_STARTTLS, new byte[] {1});
            assertEquals(Nbd.REP_ERR_INVALID, c.reply(Nbd.OPT_STARTTLS), "STARTTLS with data");
            c.option(Nbd.OPT_STARTTLS, new byte[0]);
            assertEquals(Nbd.REP_ACK, c.reply(Nbd.OPT_STARTTLS));
            c.startTls(); // TLS 1.2 here; the GnuTLS clients above take 1.3
            c.option(Nbd.OPT_STARTTLS, new byte[0]);
            assertEquals(Nbd.REP_ERR_INVALID, c.reply(Nbd.OPT_STARTTLS), "STARTTLS twice");
            c.option(Nbd.OPT_GO, go("disk"));
            int type;
            while ((type = c.reply(Nbd.OPT_GO)) == Nbd.REP_INFO) {
                // the export's size, flags and block sizes
            }
            assertEquals(Nbd.REP_ACK, type, "GO over TLS");
        }
        try (Raw c = new Raw()) {
            c.option(Nbd.OPT_ABORT, new byte[0]);
            assertEquals(Nbd.REP_ACK, c.reply(Nbd.OPT_ABORT), "ABORT before STARTTLS");
        }
    }

    @Test
    void exportNameBeforeTlsOrGarbageForAClientHelloEndsThatConnectionOnly() throws Exception {
        try (Raw c = new Raw()) {
            c.option(Nbd.OPT_EXPORT_NAME, "disk".getBytes(StandardCharsets.UTF_8));
            c.assertClosed(); // the option has no error reply
        }
        awaitLog("NBD_OPT_EXPORT_NAME before NBD_OPT_STARTTLS");
        try (Raw c = new Raw()) {
            c.option(Nbd.OPT_STARTTLS, new byte[0]);
            assertEquals(Nbd.REP_ACK, c.reply(Nbd.OPT_STARTTLS));
            c.out.write("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            c.out.flush();
            c.assertClosed();
        }
        awaitLog("TLS handshake failed");
        try (Raw c = new Raw()) {
            c.option(Nbd.OPT_STARTTLS, new byte[0]);
            assertEquals(Nbd.REP_ACK, c.reply(Nbd.OPT_STARTTLS));
            c.startTls();
            c.option(Nbd.OPT_LIST, new byte[0]);
            assertEquals(Nbd.REP_SERVER, c.reply(Nbd.OPT_LIST), "the server goes on");
        }
    }

    /** The data of NBD_OPT_INFO or NBD_OPT_GO for an export, without information requests. */
    private static byte[] go(String export) {
        byte[] name = export.getBytes(StandardCharsets.UTF_8);
        return ByteBuffer.allocate(4 + name.length + 2).putInt(name.length).put(name).putShort((short) 0).array();
    }

    private void awaitLog(String text) throws InterruptedException {
        long deadline = System.currentTimeMillis() + 10_000;
        while (System.currentTimeMillis() < deadline) {
            synchronized (log) {
                if (log.stream().anyMatch(l -> l.contains(text))) {
                    return;
                }
            }
            Thread.sleep(20);
        }
        synchronized (log) {
            throw new AssertionError("no log line with '" + text + "' in " + log);
        }
    }

    /**
     * A client of the negotiation only, which can turn TLS on mid-stream (NbdServerTest's
     * client covers transmission and cannot).
     */
    private final class Raw implements AutoCloseable {
        private Socket socket;
        private DataInputStream in;
        private DataOutputStream out;

        Raw() throws IOException {
            socket = new Socket("127.0.0.1", server.port());
            socket.setSoTimeout(10_000);
            streams();
            assertEquals(Nbd.NBDMAGIC, in.readLong());
            assertEquals(Nbd.IHAVEOPT, in.readLong());
            assertEquals(Nbd.FLAG_FIXED_NEWSTYLE | Nbd.FLAG_NO_ZEROES, in.readUnsignedShort());
            out.writeInt(Nbd.CLIENT_FIXED_NEWSTYLE | Nbd.CLIENT_NO_ZEROES);
        }

        private void streams() throws IOException {
            in = new DataInputStream(socket.getInputStream());
            out = new DataOutputStream(socket.getOutputStream());
        }

        void option(int option, byte[] data) throws IOException {
            out.writeLong(Nbd.IHAVEOPT);
            out.writeInt(option);
            out.writeInt(data.length);
            out.write(data);
            out.flush();
        }

        /** One option reply's type (its payload skipped). */
        int reply(int option) throws IOException {
            assertEquals(Nbd.OPTION_REPLY_MAGIC, in.readLong());
            assertEquals(option, in.readInt());
            int type = in.readInt();
            in.readFully(new byte[in.readInt()]);
            return type;
        }

        /** TLS 1.2 as the client, with the certificate the server's CA signed. */
        void startTls() throws IOException {
            SSLSocket s = (SSLSocket) TlsCredentials.load(javaDir).context().getSocketFactory().createSocket(socket,
                    "localhost", socket.getPort(), true);
            s.setUseClientMode(true);
            s.setEnabledProtocols(new String[] {"TLSv1.2"});
            s.startHandshake();
            socket = s;
            streams();
        }

        /** The server closes the connection (perhaps after an alert) and sends nothing more that matters. */
        void assertClosed() throws IOException {
            try {
                in.readAllBytes();
            } catch (SocketException reset) {
                // closed with unread data: a reset
            }
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }
}
