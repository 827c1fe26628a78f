package org.cowstack.storage.s3.client;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Random;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The client against a real S3 server (s3proxy on loopback), requests as a device makes them. */
class S3ClientTest {
    @TempDir
    static Path dir;
    static S3Proxy server;
    static S3Client s3;

    @BeforeAll
    static void start() throws Exception {
        server = S3Proxy.start(dir);
        s3 = server.client("vol");
        s3.createBucket();
        s3.createBucket(); // ours already: fine
    }

    @AfterAll
    static void stop() throws Exception {
        server.close();
    }

    private static byte[] bytes(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    @Test
    void putGetRangesHeadDeleteAndList() throws IOException {
        byte[] data = bytes(1 << 20, 1);
        String etag = s3.put("t/a/0001", data, S3Client.Condition.NONE);
        assertTrue(!etag.isEmpty());
        assertArrayEquals(data, s3.get("t/a/0001"));
        byte[] part = s3.get("t/a/0001", 4096, 8192);
        assertArrayEquals(java.util.Arrays.copyOfRange(data, 4096, 4096 + 8192), part);
        assertEquals(100, s3.get("t/a/0001", (1 << 20) - 100, 4096).length, "a range past the end stops at it");
        assertEquals(1 << 20, s3.head("t/a/0001").size());
        assertNull(s3.get("t/a/none"));
        assertNull(s3.head("t/a/none"));
        s3.put("t/a/0002", bytes(10, 2), S3Client.Condition.NONE);
        s3.put("t/b/0001", bytes(10, 3), S3Client.Condition.NONE);
        assertEquals(List.of("t/a/0001", "t/a/0002"), s3.list("t/a/").stream().map(S3Client.ObjectInfo::key).toList());
        s3.delete("t/a/0002");
        s3.delete("t/a/0002"); // gone already: fine, as S3 answers
        assertEquals(List.of("t/a/0001"), s3.list("t/a/").stream().map(S3Client.ObjectInfo::key).toList());
    }

    @Test
    void conditionalPutsFenceASecondWriter() throws IOException {
        String first = s3.put("c/manifest", bytes(100, 4), S3Client.Condition.ABSENT);
        S3Exception again = assertThrows(S3Exception.class,
                () -> s3.put("c/manifest", bytes(100, 5), S3Client.Condition.ABSENT));
        assertTrue(again.preconditionFailed(), again.getMessage());
        String second = s3.put("c/manifest", bytes(100, 6), S3Client.Condition.ifMatch(first));
        assertNotEquals(first, second);
        S3Exception stale = assertThrows(S3Exception.class,
                () -> s3.put("c/manifest", bytes(100, 7), S3Client.Condition.ifMatch(first)));
        assertTrue(stale.preconditionFailed(), stale.getMessage());
        assertArrayEquals(bytes(100, 6), s3.get("c/manifest"));
    }

    @Test
    void refusedCredentialsGiveOneClearError() {
        S3Client wrong = new S3Client(server.endpoint(), "us-east-1", "vol", new Credentials("cowstack-test", "nope"),
                new S3Client.Retry(2, Duration.ofMillis(10), Duration.ofMillis(10)));
        S3Exception e = assertThrows(S3Exception.class, () -> wrong.get("t/a/0001"));
        assertTrue(e.accessDenied(), e.getMessage());
        assertTrue(e.getMessage().startsWith("S3 GET vol/t/a/0001: 403"), e.getMessage());
        assertTrue(e.getMessage().lines().count() == 1);
    }

    @Test
    void aServerThatIsGoneIsAnIoErrorAfterTheRetries() {
        S3Client nowhere = new S3Client(java.net.URI.create("http://127.0.0.1:9"), "us-east-1", "vol",
                S3Proxy.CREDENTIALS, new S3Client.Retry(3, Duration.ofMillis(10), Duration.ofMillis(20)));
        IOException e = assertThrows(IOException.class, () -> nowhere.get("k"));
        assertTrue(e.getMessage().contains("did not answer"), e.getMessage());
    }
}
