package org.cowstack.storage.s3.client;

/** An access key and its secret; the secret never appears in {@link #toString()}. */
public record Credentials(String accessKey, String secretKey) {
    public Credentials {
        if (accessKey == null || accessKey.isBlank() || secretKey == null || secretKey.isEmpty()) {
            throw new IllegalArgumentException("S3 credentials need an access key and a secret key");
        }
    }

    @Override
    public String toString() {
        return "Credentials[" + accessKey + ", secret hidden]";
    }
}
