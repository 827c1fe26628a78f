package org.cowstack.storage.s3.client;

import java.io.IOException;

/** A request the store answered with an error (after the retries, for transient ones). */
public final class S3Exception extends IOException {
    private static final long serialVersionUID = 1L;
    private final int status;
    private final String code;

    public S3Exception(int status, String code, String message) {
        super(message);
        this.status = status;
        this.code = code;
    }

    /** The HTTP status. */
    public int status() {
        return status;
    }

    /** S3's error code ({@code NoSuchKey}, {@code PreconditionFailed}, {@code SlowDown}...), or "" when none came. */
    public String code() {
        return code;
    }

    /** A conditional write found the object changed (412): another writer was there first. */
    public boolean preconditionFailed() {
        return status == 412 || "PreconditionFailed".equals(code);
    }

    /** The credentials or the signature were refused. */
    public boolean accessDenied() {
        return status == 403;
    }
}
