package org.cowstack.storage.s3.client;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Instant;
import java.util.Map;
import java.util.TreeMap;

import org.junit.jupiter.api.Test;

class SigV4Test {
    /** The S3 API reference's worked example "GET Object" (a range of examplebucket/test.txt). */
    @Test
    void signsTheReferenceGetObjectExample() {
        SigV4 signer = new SigV4(new Credentials("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"),
                "us-east-1", "s3");
        Map<String, String> headers = new TreeMap<>();
        headers.put("Host", "examplebucket.s3.amazonaws.com");
        headers.put("Range", "bytes=0-9");
        Map<String, String> signed = signer.sign("GET", "/test.txt", Map.of(), headers, SigV4.EMPTY_SHA256,
                Instant.parse("2013-05-24T00:00:00Z"));
        assertEquals("AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,"
                + "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,"
                + "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41", signed.get("Authorization"));
        assertEquals("20130524T000000Z", signed.get("x-amz-date"));
    }

    @Test
    void encodesAsSigV4Wants() {
        assertEquals("a/b%20c/%C3%A9~_-.", SigV4.encodePath("a/b c/é~_-."));
        assertEquals("a%2Fb", SigV4.encode("a/b", false));
        assertEquals("list-type=2&prefix=v%2F0", SigV4.canonicalQuery(Map.of("prefix", "v/0", "list-type", "2")));
    }

    @Test
    void theSecretNeverShows() {
        assertEquals("Credentials[ak, secret hidden]", new Credentials("ak", "very-secret").toString());
    }
}
