package org.cowstack.storage.s3.client;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.HexFormat;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.stream.Collectors;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * AWS Signature Version 4 for S3 requests (header form): the canonical request, the
 * string to sign and the derived key, as the S3 API reference describes them. The body
 * is signed by its SHA-256 ({@code x-amz-content-sha256}).
 */
public final class SigV4 {
    private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'")
            .withZone(ZoneOffset.UTC);
    private static final HexFormat HEX = HexFormat.of();
    /** The SHA-256 of nothing: the payload hash of a request without a body. */
    public static final String EMPTY_SHA256 = sha256Hex(new byte[0]);

    private final Credentials credentials;
    private final String region;
    private final String service;

    public SigV4(Credentials credentials, String region, String service) {
        this.credentials = credentials;
        this.region = region;
        this.service = service;
    }

    /**
     * The headers that sign a request: {@code x-amz-date}, {@code x-amz-content-sha256}
     * and {@code Authorization}. {@code headers}: the other headers to sign, with
     * {@code host} among them (names in any case).
     *
     * @param path  the absolute path, not yet encoded
     * @param query the query parameters, not yet encoded
     */
    public Map<String, String> sign(String method, String path, Map<String, String> query,
            Map<String, String> headers, String payloadSha256, Instant now) {
        String stamp = STAMP.format(now);
        String day = stamp.substring(0, 8);
        SortedMap<String, String> signed = new TreeMap<>();
        headers.forEach((k, v) -> signed.put(k.toLowerCase(java.util.Locale.ROOT), v.trim().replaceAll(" +", " ")));
        signed.put("x-amz-date", stamp);
        signed.put("x-amz-content-sha256", payloadSha256);
        String names = String.join(";", signed.keySet());
        String canonical = method + "\n" + encodePath(path) + "\n" + canonicalQuery(query) + "\n"
                + signed.entrySet().stream().map(e -> e.getKey() + ":" + e.getValue() + "\n")
                        .collect(Collectors.joining())
                + "\n" + names + "\n" + payloadSha256;
        String scope = day + "/" + region + "/" + service + "/aws4_request";
        String toSign = "AWS4-HMAC-SHA256\n" + stamp + "\n" + scope + "\n"
                + sha256Hex(canonical.getBytes(StandardCharsets.UTF_8));
        byte[] key = hmac(("AWS4" + credentials.secretKey()).getBytes(StandardCharsets.UTF_8), day);
        key = hmac(key, region);
        key = hmac(key, service);
        key = hmac(key, "aws4_request");
        String signature = HEX.formatHex(hmac(key, toSign));
        Map<String, String> out = new TreeMap<>();
        out.put("x-amz-date", stamp);
        out.put("x-amz-content-sha256", payloadSha256);
        out.put("Authorization", "AWS4-HMAC-SHA256 Credential=" + credentials.accessKey() + "/" + scope
                + ",SignedHeaders=" + names + ",Signature=" + signature);
        return out;
    }

    static String canonicalQuery(Map<String, String> query) {
        return new TreeMap<>(query.entrySet().stream().collect(Collectors.toMap(e -> encode(e.getKey(), false),
                e -> encode(e.getValue(), false)))).entrySet().stream().map(e -> e.getKey() + "=" + e.getValue())
                .collect(Collectors.joining("&"));
    }

    /** The path with every byte but the unreserved ones and {@code /} percent-encoded (S3 encodes once). */
    public static String encodePath(String path) {
        return encode(path, true);
    }

    /** RFC 3986 encoding as SigV4 wants it: unreserved characters kept, the rest %XX in upper case. */
    public static String encode(String s, boolean keepSlash) {
        StringBuilder out = new StringBuilder();
        for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
            char c = (char) (b & 0xff);
            if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_'
                    || c == '.' || c == '~' || (keepSlash && c == '/')) {
                out.append(c);
            } else {
                out.append('%').append(Character.toUpperCase(Character.forDigit((c >> 4) & 0xf, 16)))
                        .append(Character.toUpperCase(Character.forDigit(c & 0xf, 16)));
            }
        }
        return out.toString();
    }

    public static String sha256Hex(byte[] data) {
        try {
            return HEX.formatHex(MessageDigest.getInstance("SHA-256").digest(data));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("the JDK has no SHA-256", e);
        }
    }

    private static byte[] hmac(byte[] key, String data) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            return mac.doFinal(data.getBytes(StandardCharsets.UTF_8));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("the JDK has no HmacSHA256", e);
        }
    }
}
