package org.cowstack.storage.nbd;

import static org.cowstack.storage.nbd.Tools.run;
import static org.cowstack.storage.nbd.Tools.works;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicLong;

/**
 * X.509 certificates made with openssl (what CI machines have) for the TLS tests, in the
 * directories qemu's tls-creds-x509 and libnbd's {@code tls-certificates=} read: a
 * server's holds ca-cert.pem, server-cert.pem and server-key.pem; a client's holds
 * ca-cert.pem, client-cert.pem and client-key.pem. Certificates last two days.
 */
final class TestCerts {
    private TestCerts() {
    }

    private static final AtomicLong SERIAL = new AtomicLong(System.currentTimeMillis());

    /** Skips the calling test, saying why, where openssl is missing. */
    static void assumeOpenssl() {
        assumeTrue(works("openssl", "version"), "openssl is not installed: the TLS test that makes its "
                + "certificates with it is skipped");
    }

    /** A new CA in {@code dir}: ca-cert.pem and ca-key.pem. */
    static Path ca(Path dir, String name) throws Exception {
        Files.createDirectories(dir);
        Path ext = extensions(dir, "ca.ext", "basicConstraints=critical,CA:TRUE",
                "keyUsage=critical,keyCertSign,cRLSign", "subjectKeyIdentifier=hash");
        run("openssl", "req", "-new", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=" + name, "-keyout",
                dir.resolve("ca-key.pem").toString(), "-out", dir.resolve("ca.csr").toString());
        run("openssl", "x509", "-req", "-in", dir.resolve("ca.csr").toString(), "-signkey",
                dir.resolve("ca-key.pem").toString(), "-days", "2", "-set_serial", serial(), "-extfile",
                ext.toString(), "-out", dir.resolve("ca-cert.pem").toString());
        return dir;
    }

    /** A server's directory signed by {@code ca}: CN=localhost, for 127.0.0.1 and localhost. */
    static Path server(Path ca, Path dir) throws Exception {
        return signed(ca, dir, "server", "localhost", "serverAuth", "rsa:2048");
    }

    /** A client's directory signed by {@code ca}. */
    static Path client(Path ca, Path dir) throws Exception {
        return signed(ca, dir, "client", "client", "clientAuth", "rsa:2048");
    }

    /**
     * {@code dir} with ca-cert.pem (of {@code ca}), ROLE-cert.pem and ROLE-key.pem (a new
     * PKCS#8 key of {@code newkey}, as {@code openssl req -newkey} names them).
     */
    static Path signed(Path ca, Path dir, String role, String cn, String usage, String newkey) throws Exception {
        Files.createDirectories(dir);
        Files.copy(ca.resolve("ca-cert.pem"), dir.resolve("ca-cert.pem"));
        Path key = dir.resolve(role + "-key.pem");
        Path csr = dir.resolve(role + ".csr");
        run("openssl", "req", "-new", "-newkey", newkey, "-nodes", "-subj", "/CN=" + cn, "-keyout", key.toString(),
                "-out", csr.toString());
        sign(ca, csr, dir.resolve(role + "-cert.pem"), usage);
        Files.delete(csr);
        return dir;
    }

    /** A certificate for the key of {@code csr}, signed by {@code ca}. */
    static void sign(Path ca, Path csr, Path cert, String usage) throws Exception {
        Path ext = extensions(csr.getParent(), csr.getFileName() + ".ext", "basicConstraints=critical,CA:FALSE",
                "keyUsage=critical,digitalSignature,keyEncipherment", "extendedKeyUsage=" + usage,
                "subjectAltName=IP:127.0.0.1,DNS:localhost", "authorityKeyIdentifier=keyid");
        run("openssl", "x509", "-req", "-in", csr.toString(), "-CA", ca.resolve("ca-cert.pem").toString(), "-CAkey",
                ca.resolve("ca-key.pem").toString(), "-days", "2", "-set_serial", serial(), "-extfile",
                ext.toString(), "-out", cert.toString());
        Files.delete(ext);
    }

    private static Path extensions(Path dir, String name, String... lines) throws IOException {
        return Files.writeString(dir.resolve(name), String.join("\n", lines) + "\n");
    }

    private static String serial() {
        return Long.toString(SERIAL.incrementAndGet());
    }
}
