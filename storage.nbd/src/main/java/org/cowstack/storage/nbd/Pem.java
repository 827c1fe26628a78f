package org.cowstack.storage.nbd;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The PEM files of a qemu-style credentials directory, read with the JDK alone (no
 * Bouncy Castle in the framework): certificates, and private keys as openssl and
 * certtool write them — PKCS#8, or the older PKCS#1 (RSA) and SEC 1 (EC) forms, which
 * the JDK's KeyFactory does not read and which are therefore wrapped into PKCS#8 here.
 * Every failure is an IOException of one line that names the file.
 */
final class Pem {
    private Pem() {
    }

    /** One {@code -----BEGIN TYPE-----} block: its type, whether it has headers, its DER bytes. */
    record Block(String type, boolean headers, byte[] der) {
    }

    private static final Pattern BLOCK = Pattern.compile(
            "-----BEGIN ([A-Z0-9 ]+)-----\\r?\\n(.*?)-----END \\1-----", Pattern.DOTALL);
    /** rsaEncryption (1.2.840.113549.1.1.1) as a DER OID. */
    private static final byte[] RSA_OID = {0x06, 0x09, 0x2a, (byte) 0x86, 0x48, (byte) 0x86, (byte) 0xf7, 0x0d, 1, 1,
        1};
    /** id-ecPublicKey (1.2.840.10045.2.1) as a DER OID. */
    private static final byte[] EC_OID = {0x06, 0x07, 0x2a, (byte) 0x86, 0x48, (byte) 0xce, 0x3d, 2, 1};
    private static final byte[] NULL = {0x05, 0x00};
    private static final byte[] VERSION_0 = {0x02, 0x01, 0x00};

    /** The blocks of a file, in order. */
    static List<Block> blocks(Path file) throws IOException {
        String text;
        try {
            text = Files.readString(file, java.nio.charset.StandardCharsets.US_ASCII);
        } catch (NoSuchFileException e) {
            throw new IOException(file + ": no such file");
        } catch (IOException e) {
            throw new IOException(file + ": cannot be read: " + e.getMessage());
        }
        List<Block> out = new ArrayList<>();
        Matcher m = BLOCK.matcher(text);
        while (m.find()) {
            String body = m.group(2);
            boolean headers = body.contains(":");
            if (headers) {
                body = body.substring(body.indexOf("\n\n") < 0 ? body.length() : body.indexOf("\n\n"));
            }
            try {
                out.add(new Block(m.group(1), headers, Base64.getMimeDecoder().decode(body)));
            } catch (IllegalArgumentException e) {
                throw new IOException(file + ": the " + m.group(1) + " block is not base64");
            }
        }
        if (out.isEmpty()) {
            throw new IOException(file + ": not a PEM file (no -----BEGIN ...----- block)");
        }
        return out;
    }

    /** Every certificate of a file (a leaf and its chain, or CAs), in order. */
    static List<X509Certificate> certificates(Path file) throws IOException {
        List<X509Certificate> out = new ArrayList<>();
        try {
            CertificateFactory f = CertificateFactory.getInstance("X.509");
            for (Block b : blocks(file)) {
                if (b.type().equals("CERTIFICATE")) {
                    out.add((X509Certificate) f.generateCertificate(new ByteArrayInputStream(b.der())));
                }
            }
        } catch (GeneralSecurityException e) {
            throw new IOException(file + ": a certificate that cannot be read: " + e.getMessage());
        }
        if (out.isEmpty()) {
            throw new IOException(file + ": no -----BEGIN CERTIFICATE----- block");
        }
        return out;
    }

    /**
     * The first private key of a file, as a key of {@code algorithm} (the certificate's:
     * RSA, EC, Ed25519...). Encrypted keys are refused: the server has nobody to ask for
     * a password.
     */
    static PrivateKey privateKey(Path file, String algorithm) throws IOException {
        for (Block b : blocks(file)) {
            byte[] pkcs8;
            switch (b.type()) {
                case "PRIVATE KEY":
                    pkcs8 = b.der();
                    break;
                case "RSA PRIVATE KEY":
                    pkcs8 = unencrypted(file, b, RSA_OID, NULL);
                    break;
                case "EC PRIVATE KEY":
                    pkcs8 = unencrypted(file, b, EC_OID, curveOf(file, b.der()));
                    break;
                case "ENCRYPTED PRIVATE KEY":
                    throw encrypted(file);
                default:
                    continue;
            }
            try {
                return KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(pkcs8));
            } catch (GeneralSecurityException e) {
                throw new IOException(file + ": not a " + algorithm + " private key (the certificate's): "
                        + e.getMessage());
            }
        }
        throw new IOException(file + ": no -----BEGIN PRIVATE KEY----- (or RSA/EC PRIVATE KEY) block");
    }

    private static IOException encrypted(Path file) {
        return new IOException(file + ": the private key is encrypted; give it unencrypted (openssl pkey -in KEY "
                + "-out " + file.getFileName() + ")");
    }

    /** A PKCS#1 or SEC 1 key wrapped as PKCS#8: version 0, its algorithm, the key as an octet string. */
    private static byte[] unencrypted(Path file, Block b, byte[] oid, byte[] parameters) throws IOException {
        if (b.headers()) {
            throw encrypted(file); // "Proc-Type: 4,ENCRYPTED" and its DEK-Info
        }
        return der(0x30, VERSION_0, der(0x30, oid, parameters), der(0x04, b.der()));
    }

    /** The named curve of a SEC 1 key: the OID in its {@code [0] parameters}. */
    private static byte[] curveOf(Path file, byte[] sec1) throws IOException {
        try {
            int[] seq = header(sec1, 0, 0x30);
            int p = seq[0];
            while (p < seq[0] + seq[1]) {
                int tag = sec1[p] & 0xff;
                int[] h = header(sec1, p, tag);
                if (tag == 0xa0) {
                    return java.util.Arrays.copyOfRange(sec1, h[0], h[0] + h[1]);
                }
                p = h[0] + h[1];
            }
        } catch (IndexOutOfBoundsException e) {
            // falls through to the error below
        }
        throw new IOException(file + ": an EC PRIVATE KEY without its named curve");
    }

    /** The start and length of the contents of the DER element at {@code p}, which must have tag {@code tag}. */
    private static int[] header(byte[] d, int p, int tag) {
        if ((d[p] & 0xff) != tag) {
            throw new IndexOutOfBoundsException("tag");
        }
        int len = d[p + 1] & 0xff;
        int start = p + 2;
        if (len > 0x80) {
            int n = len & 0x7f;
            len = 0;
            for (int i = 0; i < n; i++) {
                len = (len << 8) | (d[start++] & 0xff);
            }
        }
        if (start + len > d.length) {
            throw new IndexOutOfBoundsException("length");
        }
        return new int[] {start, len};
    }

    /** A DER element: tag, length, the contents given (already encoded parts, concatenated). */
    private static byte[] der(int tag, byte[]... parts) {
        ByteArrayOutputStream contents = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            contents.writeBytes(p);
        }
        int n = contents.size();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(tag);
        if (n < 0x80) {
            out.write(n);
        } else {
            int bytes = n < 0x100 ? 1 : n < 0x10000 ? 2 : n < 0x1000000 ? 3 : 4;
            out.write(0x80 | bytes);
            for (int i = bytes - 1; i >= 0; i--) {
                out.write(n >>> (8 * i));
            }
        }
        out.writeBytes(contents.toByteArray());
        return out.toByteArray();
    }
}
