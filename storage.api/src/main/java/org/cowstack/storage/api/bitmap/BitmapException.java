package org.cowstack.storage.api.bitmap;

import org.cowstack.storage.api.StorageException;

/**
 * A bitmap operation refused, with qemu's sentence: the bitmap is missing, busy,
 * read-only, inconsistent, or the request is malformed. Nothing was changed.
 */
public class BitmapException extends StorageException {
    private static final long serialVersionUID = 1L;

    /** Why it was refused. */
    public enum Reason {
        NOT_FOUND, EXISTS, BUSY, READ_ONLY, INCONSISTENT, INVALID
    }

    private final Reason reason;
    private final String hint;

    public BitmapException(Reason reason, String message, String hint) {
        super(message);
        this.reason = reason;
        this.hint = hint;
    }

    public Reason reason() {
        return reason;
    }

    /** What the user can do about it, or null: {@code Try storage:bitmap remove to delete this bitmap}. */
    public String hint() {
        return hint;
    }

    /** {@code Dirty bitmap 'B' not found}. */
    public static BitmapException notFound(String name) {
        return new BitmapException(Reason.NOT_FOUND, "Dirty bitmap '" + name + "' not found", null);
    }

    /** {@code Bitmap 'B' is currently in use by another operation and cannot be used}. */
    public static BitmapException busy(String name) {
        return new BitmapException(Reason.BUSY, "Bitmap '" + name
                + "' is currently in use by another operation and cannot be used", null);
    }

    /** {@code Bitmap 'B' is readonly and cannot be modified}. */
    public static BitmapException readOnly(String name) {
        return new BitmapException(Reason.READ_ONLY, "Bitmap '" + name + "' is readonly and cannot be modified", null);
    }

    /** {@code Bitmap 'B' is inconsistent and cannot be used}, with the hint to remove it. */
    public static BitmapException inconsistent(String name) {
        return new BitmapException(Reason.INCONSISTENT, "Bitmap '" + name + "' is inconsistent and cannot be used",
                "Try storage:bitmap remove to delete this bitmap");
    }
}
