package org.cowstack.storage.cow.format;

import org.cowstack.storage.api.NotSupportedException;

/**
 * How many copies of each block a volume keeps on its device, for data and for
 * metadata separately (btrfs's block-group profiles). The byte values are on-disk
 * format: never reuse one.
 */
public enum Profile {
    /** One copy. */
    SINGLE(0, "single"),
    /** Two copies on the same device, far apart: what self-healing reads repair from. */
    DUP(1, "dup");

    private final int code;
    private final String label;

    Profile(int code, String label) {
        this.code = code;
        this.label = label;
    }

    /** The byte stored in the superblock. */
    public int code() {
        return code;
    }

    @Override
    public String toString() {
        return label;
    }

    /** Whether this engine can read and write volumes with this profile. */
    public boolean supported() {
        return true;
    }

    /** Copies of each block. */
    public int copies() {
        return this == DUP ? 2 : 1;
    }

    /** The profile named {@code label} ("single", "dup"), or null. */
    public static Profile named(String label) {
        for (Profile p : values()) {
            if (p.label.equals(label)) {
                return p;
            }
        }
        return null;
    }

    /**
     * The profile stored as {@code code} for {@code what} ("data", "metadata"), if this
     * engine supports it.
     *
     * @throws NotSupportedException for a profile this engine does not know or cannot
     *         serve yet, naming it
     */
    public static Profile decode(int code, String what, String device) throws NotSupportedException {
        for (Profile p : values()) {
            if (p.code == code) {
                if (!p.supported()) {
                    throw new NotSupportedException(device + ": its " + what + " profile is " + p
                            + ", which this engine cannot serve yet (it reads " + SINGLE + " only)");
                }
                return p;
            }
        }
        throw new NotSupportedException(device + ": its " + what + " profile has code " + code
                + ", unknown to this engine (a newer engine made this volume)");
    }
}
