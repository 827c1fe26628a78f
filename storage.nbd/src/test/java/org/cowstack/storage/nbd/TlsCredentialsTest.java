package org.cowstack.storage.nbd;

import static java.nio.file.StandardCopyOption.REPLACE_EXISTING;
import static org.cowstack.storage.nbd.Tools.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Credentials directories as openssl writes them: the key forms it produces (PKCS#8,
 * PKCS#1 with {@code -traditional}, SEC 1 for EC) load, and every wrong file is one line
 * that names it.
 */
class TlsCredentialsTest {
    @TempDir
    static Path shared;
    private static Path ca;
    @TempDir
    Path dir;

    @BeforeAll
    static void authority() throws Exception {
        TestCerts.assumeOpenssl();
        ca = TestCerts.ca(shared.resolve("ca"), "pem test CA");
    }

    private Path server() throws Exception {
        return TestCerts.server(ca, dir.resolve("server"));
    }

    /** Rewrites the server's key with openssl ({@code openssl rsa -traditional}, {@code pkey -aes256}...). */
    private static void rewriteKey(Path server, String... command) throws Exception {
        Path key = server.resolve(TlsCredentials.KEY);
        Path out = server.resolve("rewritten.pem");
        String[] full = new String[command.length + 4];
        System.arraycopy(command, 0, full, 0, command.length);
        System.arraycopy(new String[] {"-in", key.toString(), "-out", out.toString()}, 0, full, command.length, 4);
        run(full);
        Files.move(out, key, REPLACE_EXISTING);
    }

    private static String header(Path server) throws IOException {
        return Files.readAllLines(server.resolve(TlsCredentials.KEY)).get(0);
    }

    /** The load fails with one line that holds every part. */
    private static void refused(Path credentials, String... parts) {
        IOException e = assertThrows(IOException.class, () -> TlsCredentials.load(credentials));
        System.out.println("TlsCredentialsTest: " + e.getMessage());
        assertFalse(e.getMessage().contains("\n"), e.getMessage());
        for (String p : parts) {
            assertTrue(e.getMessage().contains(p), e.getMessage());
        }
    }

    @Test
    void aPkcs8KeyLoadsAndTheCaMakesClientsShowACertificate() throws Exception {
        Path server = server();
        assertEquals("-----BEGIN PRIVATE KEY-----", header(server));
        TlsCredentials tls = TlsCredentials.load(server);
        assertEquals(server, tls.dir());
        assertTrue(tls.verifiesClients());
        Files.delete(server.resolve(TlsCredentials.CA));
        assertFalse(TlsCredentials.load(server).verifiesClients(), "without a CA no client certificate is asked");
    }

    @Test
    void aPkcs1RsaKeyLoads() throws Exception {
        Path server = server();
        rewriteKey(server, "openssl", "rsa", "-traditional");
        assertEquals("-----BEGIN RSA PRIVATE KEY-----", header(server));
        assertTrue(TlsCredentials.load(server).verifiesClients());
    }

    @Test
    void anEcKeyInSec1FormLoads() throws Exception {
        Path server = Files.createDirectories(dir.resolve("ec"));
        Files.copy(ca.resolve("ca-cert.pem"), server.resolve(TlsCredentials.CA));
        Path key = server.resolve(TlsCredentials.KEY);
        run("openssl", "ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", key.toString());
        assertEquals("-----BEGIN EC PRIVATE KEY-----", header(server));
        Path csr = server.resolve("server.csr");
        run("openssl", "req", "-new", "-key", key.toString(), "-subj", "/CN=localhost", "-out", csr.toString());
        TestCerts.sign(ca, csr, server.resolve(TlsCredentials.CERT), "serverAuth");
        assertTrue(TlsCredentials.load(server).verifiesClients());
    }

    @Test
    void encryptedKeysAreRefusedInOneLine() throws Exception {
        Path server = server();
        rewriteKey(server, "openssl", "pkey", "-aes256", "-passout", "pass:secret");
        assertEquals("-----BEGIN ENCRYPTED PRIVATE KEY-----", header(server));
        refused(server, server.resolve(TlsCredentials.KEY).toString(), "encrypted");
        Path traditional = TestCerts.server(ca, dir.resolve("traditional"));
        rewriteKey(traditional, "openssl", "rsa", "-traditional", "-aes256", "-passout", "pass:secret");
        refused(traditional, traditional.resolve(TlsCredentials.KEY).toString(), "encrypted");
    }

    @Test
    void missingOrWrongFilesAreNamed() throws Exception {
        refused(dir.resolve("nosuch"), "nosuch", "not a directory");
        Path server = server();
        Path other = TestCerts.server(ca, dir.resolve("other"));
        Files.copy(other.resolve(TlsCredentials.KEY), server.resolve(TlsCredentials.KEY), REPLACE_EXISTING);
        refused(server, "server-key.pem", "not the key of the certificate");
        Files.delete(server.resolve(TlsCredentials.KEY));
        refused(server, server.resolve(TlsCredentials.KEY) + ": no such file");
        Files.writeString(server.resolve(TlsCredentials.CERT), "not a certificate\n");
        refused(server, server.resolve(TlsCredentials.CERT) + ": not a PEM file");
        Files.writeString(other.resolve(TlsCredentials.CA),
                "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n");
        refused(other, other.resolve(TlsCredentials.CA) + ": a certificate that cannot be read");
    }
}
