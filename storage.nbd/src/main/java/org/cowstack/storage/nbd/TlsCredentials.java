package org.cowstack.storage.nbd;

import java.io.IOException;
import java.math.BigInteger;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.cert.X509Certificate;
import java.security.interfaces.RSAPrivateKey;
import java.security.interfaces.RSAPublicKey;
import java.util.Arrays;
import java.util.List;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;

/**
 * The X.509 credentials of a TLS server, from a directory laid out as qemu's
 * {@code tls-creds-x509} (and so {@code qemu-nbd --tls-creds} and libnbd's
 * {@code tls-certificates=}) expect: {@value #CERT} (the server's certificate, then
 * any intermediates), {@value #KEY} (its unencrypted private key) and {@value #CA}.
 * As qemu's server endpoint verifies peers by default, a directory with a
 * {@value #CA} makes clients present a certificate that CA signed; without one any
 * client that completes the handshake is served. The files are read once, when the
 * server starts: replacing them takes a new export configuration or a restart.
 */
public final class TlsCredentials {
    static final String CA = "ca-cert.pem";
    static final String CERT = "server-cert.pem";
    static final String KEY = "server-key.pem";
    /** TLS 1.2 is the spec's minimum; 1.3 first. */
    private static final List<String> PROTOCOLS = List.of("TLSv1.3", "TLSv1.2");
    /** The in-memory key store's password: it never leaves this object. */
    private static final char[] PASSWORD = "nbd".toCharArray();

    private final Path dir;
    private final SSLContext context;
    private final boolean verifyPeer;

    private TlsCredentials(Path dir, SSLContext context, boolean verifyPeer) {
        this.dir = dir;
        this.context = context;
        this.verifyPeer = verifyPeer;
    }

    /**
     * Reads a credentials directory.
     *
     * @throws IOException of one line naming the file that is missing, unreadable or wrong
     */
    public static TlsCredentials load(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            throw new IOException(dir + ": not a directory of TLS credentials (" + CA + ", " + CERT + ", " + KEY
                    + ")");
        }
        List<X509Certificate> chain = Pem.certificates(dir.resolve(CERT));
        PublicKey publicKey = chain.get(0).getPublicKey();
        PrivateKey key = Pem.privateKey(dir.resolve(KEY), publicKey.getAlgorithm());
        if (!belong(key, publicKey)) {
            throw new IOException(dir.resolve(KEY) + ": not the key of the certificate in " + dir.resolve(CERT));
        }
        Path ca = dir.resolve(CA);
        List<X509Certificate> authorities = Files.exists(ca) ? Pem.certificates(ca) : List.of();
        try {
            KeyStore keys = KeyStore.getInstance("PKCS12");
            keys.load(null, null);
            keys.setKeyEntry("server", key, PASSWORD, chain.toArray(new X509Certificate[0]));
            KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(keys, PASSWORD);
            TrustManager[] trust = null;
            if (!authorities.isEmpty()) {
                KeyStore cas = KeyStore.getInstance("PKCS12");
                cas.load(null, null);
                for (int i = 0; i < authorities.size(); i++) {
                    cas.setCertificateEntry("ca" + i, authorities.get(i));
                }
                TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
                tmf.init(cas);
                trust = tmf.getTrustManagers();
            }
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(kmf.getKeyManagers(), trust, null);
            return new TlsCredentials(dir, context, !authorities.isEmpty());
        } catch (GeneralSecurityException e) {
            throw new IOException(dir + ": TLS credentials the JDK cannot use: " + e.getMessage());
        }
    }

    /**
     * Whether the private key is the certificate's: a mismatch would otherwise show only
     * as every client's handshake failing. Checked by signing for the key types whose
     * public half the private key does not show.
     */
    private static boolean belong(PrivateKey key, PublicKey cert) throws IOException {
        if (key instanceof RSAPrivateKey rsa && cert instanceof RSAPublicKey pub) {
            return rsa.getModulus().equals(pub.getModulus());
        }
        String algorithm = switch (key.getAlgorithm()) {
            case "EC" -> "SHA256withECDSA";
            case "Ed25519", "Ed448", "EdDSA" -> key.getAlgorithm();
            default -> null;
        };
        if (algorithm == null) {
            return true; // the handshake will tell
        }
        try {
            byte[] probe = BigInteger.valueOf(System.nanoTime()).toByteArray();
            Signature s = Signature.getInstance(algorithm);
            s.initSign(key);
            s.update(probe);
            byte[] signature = s.sign();
            s.initVerify(cert);
            s.update(probe);
            return s.verify(signature);
        } catch (GeneralSecurityException e) {
            return false;
        }
    }

    /** The directory read. */
    public Path dir() {
        return dir;
    }

    /** The JDK's TLS context of these credentials (tests make clients of it). */
    SSLContext context() {
        return context;
    }

    /** Whether clients must present a certificate signed by {@value #CA}. */
    public boolean verifiesClients() {
        return verifyPeer;
    }

    /**
     * Makes a connection TLS as its server, after {@code NBD_OPT_STARTTLS} was acknowledged:
     * the handshake is done when this returns (each read of it bounded by {@code millis}).
     * Closing the returned socket closes the connection.
     */
    SSLSocket upgrade(Socket plain, int millis) throws IOException {
        SSLSocket s = (SSLSocket) context.getSocketFactory().createSocket(plain, null, plain.getPort(), true);
        s.setUseClientMode(false);
        s.setEnabledProtocols(PROTOCOLS.stream().filter(Arrays.asList(s.getSupportedProtocols())::contains)
                .toArray(String[]::new));
        s.setNeedClientAuth(verifyPeer);
        s.setSoTimeout(millis);
        s.startHandshake();
        return s;
    }
}
