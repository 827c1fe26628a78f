package org.cowstack.storage.s3.client;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ThreadLocalRandom;

import javax.xml.XMLConstants;
import javax.xml.parsers.DocumentBuilderFactory;

import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

/**
 * The few S3 requests a block device needs, signed with {@link SigV4} and sent with the
 * JDK's {@link HttpClient} (path-style addressing: {@code endpoint/bucket/key}): put
 * (with {@code If-Match} or {@code If-None-Match: *}), ranged get, head, delete, list.
 * Throttling (503 SlowDown), server errors and lost connections are retried with
 * exponential backoff and full jitter; an error that outlasts the retries is thrown as
 * {@link S3Exception} (the store's answer) or {@link IOException} (no answer).
 */
public final class S3Client {
    /** How often and how long to retry. */
    public record Retry(int attempts, Duration base, Duration cap) {
        public static Retry defaults() {
            return new Retry(6, Duration.ofMillis(100), Duration.ofSeconds(5));
        }
    }

    /** An object's version as the store names it, and its size. */
    public record ObjectInfo(String key, long size, String etag) {
    }

    /** The condition of a put: none, the object must still be {@code etag}, or must not exist. */
    public record Condition(String ifMatch, boolean ifNoneMatch) {
        public static final Condition NONE = new Condition(null, false);
        public static final Condition ABSENT = new Condition(null, true);

        public static Condition ifMatch(String etag) {
            return new Condition(etag, false);
        }
    }

    private final HttpClient http;
    private final URI endpoint;
    private final String bucket;
    private final SigV4 signer;
    private final Retry retry;
    private final Clock clock;
    private final Duration timeout;

    public S3Client(URI endpoint, String region, String bucket, Credentials credentials, Retry retry) {
        this.endpoint = endpoint;
        this.bucket = bucket;
        this.signer = new SigV4(credentials, region, "s3");
        this.retry = retry;
        this.clock = Clock.systemUTC();
        this.timeout = Duration.ofSeconds(60);
        this.http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(10)).build();
    }

    public String bucket() {
        return bucket;
    }

    /** Creates the bucket; one that exists and is ours is fine. */
    public void createBucket() throws IOException {
        try {
            send("PUT", "", Map.of(), Map.of(), new byte[0], false);
        } catch (S3Exception e) {
            if (!"BucketAlreadyOwnedByYou".equals(e.code())) {
                throw e;
            }
        }
    }

    /** Whether the bucket exists (HEAD bucket); refused credentials are an {@link S3Exception}. */
    public boolean bucketExists() throws IOException {
        return send("HEAD", "", Map.of(), Map.of(), null, true).statusCode() != 404;
    }

    /** Stores {@code body} at {@code key}; returns the new ETag. A failed condition is a 412 {@link S3Exception}. */
    public String put(String key, byte[] body, Condition condition) throws IOException {
        Map<String, String> headers = new TreeMap<>();
        headers.put("Content-Type", "application/octet-stream");
        if (condition.ifMatch() != null) {
            headers.put("If-Match", condition.ifMatch());
        }
        if (condition.ifNoneMatch()) {
            headers.put("If-None-Match", "*");
        }
        HttpResponse<byte[]> r = send("PUT", key, Map.of(), headers, body, false);
        return r.headers().firstValue("ETag").orElse("");
    }

    /** Bytes {@code [offset, offset + length)} of the object, fewer at its end; null when there is no such object. */
    public byte[] get(String key, long offset, int length) throws IOException {
        HttpResponse<byte[]> r = send("GET", key, Map.of(),
                Map.of("Range", "bytes=" + offset + "-" + (offset + length - 1)), null, true);
        return r.statusCode() == 404 ? null : r.body();
    }

    /** The whole object, or null. */
    public byte[] get(String key) throws IOException {
        HttpResponse<byte[]> r = send("GET", key, Map.of(), Map.of(), null, true);
        return r.statusCode() == 404 ? null : r.body();
    }

    /** An object's content and the ETag that names this version of it. */
    public record Versioned(byte[] body, String etag) {
    }

    /** The whole object with its ETag (the condition of a later put), or null. */
    public Versioned getVersioned(String key) throws IOException {
        HttpResponse<byte[]> r = send("GET", key, Map.of(), Map.of(), null, true);
        return r.statusCode() == 404 ? null : new Versioned(r.body(), r.headers().firstValue("ETag").orElse(""));
    }

    /** The object's size and ETag, or null when there is none. */
    public ObjectInfo head(String key) throws IOException {
        HttpResponse<byte[]> r = send("HEAD", key, Map.of(), Map.of(), null, true);
        if (r.statusCode() == 404) {
            return null;
        }
        return new ObjectInfo(key, r.headers().firstValueAsLong("Content-Length").orElse(0),
                r.headers().firstValue("ETag").orElse(""));
    }

    public void delete(String key) throws IOException {
        send("DELETE", key, Map.of(), Map.of(), null, true);
    }

    /** Every object under {@code prefix}, in key order (ListObjectsV2, page by page). */
    public List<ObjectInfo> list(String prefix) throws IOException {
        List<ObjectInfo> out = new ArrayList<>();
        String token = null;
        do {
            Map<String, String> query = new LinkedHashMap<>();
            query.put("list-type", "2");
            query.put("prefix", prefix);
            if (token != null) {
                query.put("continuation-token", token);
            }
            Document doc = xml(send("GET", "", query, Map.of(), null, false).body());
            NodeList contents = doc.getElementsByTagName("Contents");
            for (int i = 0; i < contents.getLength(); i++) {
                Element c = (Element) contents.item(i);
                out.add(new ObjectInfo(text(c, "Key"), Long.parseLong(text(c, "Size")), text(c, "ETag")));
            }
            token = "true".equals(text(doc.getDocumentElement(), "IsTruncated"))
                    ? text(doc.getDocumentElement(), "NextContinuationToken") : null;
        } while (token != null && !token.isEmpty());
        return out;
    }

    private HttpResponse<byte[]> send(String method, String key, Map<String, String> query,
            Map<String, String> headers, byte[] body, boolean notFoundIsAnswer) throws IOException {
        IOException last = null;
        for (int attempt = 0; attempt < retry.attempts(); attempt++) {
            if (attempt > 0) {
                pause(attempt);
            }
            try {
                HttpResponse<byte[]> r = http.send(request(method, key, query, headers, body),
                        HttpResponse.BodyHandlers.ofByteArray());
                int status = r.statusCode();
                if (status < 300 || (status == 404 && notFoundIsAnswer) || (status == 206)) {
                    return r;
                }
                S3Exception e = error(method, key, r);
                if (!retryable(e)) {
                    throw e;
                }
                last = e;
            } catch (S3Exception e) {
                throw e;
            } catch (java.net.ConnectException | java.net.http.HttpTimeoutException e) {
                last = new IOException("S3 endpoint " + endpoint + " did not answer: " + e, e);
            } catch (IOException e) {
                last = new IOException("S3 " + method + " " + where(key) + ": " + e.getMessage(), e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException("S3 " + method + " " + where(key) + " interrupted");
            }
        }
        throw last;
    }

    private String where(String key) {
        return bucket + (key.isEmpty() ? "" : "/" + key);
    }

    private static boolean retryable(S3Exception e) {
        return e.status() >= 500 || e.status() == 429 || "SlowDown".equals(e.code())
                || "RequestTimeout".equals(e.code());
    }

    private void pause(int attempt) throws InterruptedIOException {
        long cap = Math.min(retry.cap().toMillis(), retry.base().toMillis() << Math.min(attempt, 20));
        try {
            Thread.sleep(ThreadLocalRandom.current().nextLong(cap + 1)); // full jitter
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("S3 retry interrupted");
        }
    }

    private HttpRequest request(String method, String key, Map<String, String> query, Map<String, String> headers,
            byte[] body) {
        String path = "/" + bucket + (key.isEmpty() ? "" : "/" + key);
        String host = endpoint.getPort() == -1 ? endpoint.getHost() : endpoint.getHost() + ":" + endpoint.getPort();
        Map<String, String> toSign = new TreeMap<>(headers);
        toSign.put("host", host);
        Map<String, String> auth = signer.sign(method, path, query,
                toSign, body == null ? SigV4.EMPTY_SHA256 : SigV4.sha256Hex(body), clock.instant());
        String q = SigV4.canonicalQuery(query);
        URI uri = URI.create(endpoint.getScheme() + "://" + host + SigV4.encodePath(path) + (q.isEmpty() ? "" : "?" + q));
        HttpRequest.Builder b = HttpRequest.newBuilder(uri).timeout(timeout)
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofByteArray(body));
        headers.forEach(b::header);
        auth.forEach(b::header);
        return b.build();
    }

    private S3Exception error(String method, String key, HttpResponse<byte[]> r) {
        String code = "";
        String message = "";
        byte[] body = r.body();
        if (body != null && body.length > 0) {
            try {
                Element root = xml(body).getDocumentElement();
                code = text(root, "Code");
                message = text(root, "Message");
            } catch (IOException | RuntimeException e) {
                message = new String(body, 0, Math.min(body.length, 200), StandardCharsets.UTF_8).strip();
            }
        }
        return new S3Exception(r.statusCode(), code, "S3 " + method + " " + where(key) + ": " + r.statusCode()
                + (code.isEmpty() ? "" : " " + code) + (message.isEmpty() ? "" : " (" + message + ")"));
    }

    private static Document xml(byte[] body) throws IOException {
        try {
            DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
            f.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
            f.setFeature(XMLConstants.FEATURE_SECURE_PROCESSING, true);
            f.setExpandEntityReferences(false);
            return f.newDocumentBuilder().parse(new ByteArrayInputStream(body));
        } catch (javax.xml.parsers.ParserConfigurationException | org.xml.sax.SAXException e) {
            throw new IOException("S3 answered with XML that does not parse: " + e.getMessage(), e);
        }
    }

    private static String text(Element parent, String tag) {
        NodeList l = parent.getElementsByTagName(tag);
        return l.getLength() == 0 ? "" : l.item(0).getTextContent();
    }
}
