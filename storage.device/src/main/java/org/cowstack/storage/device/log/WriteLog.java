package org.cowstack.storage.device.log;

import java.util.ArrayList;
import java.util.List;

/**
 * What a {@code log:} device saw, in order: every write (with a copy of its bytes and
 * whether it was forced to media), every flush and discard, and the marks a test placed
 * (as dm-log-writes does for xfstests generic/455, 457 and 482). The device starts as
 * zeros of {@link #deviceSize()} bytes; a {@link Replayer} rebuilds it at any point.
 */
public final class WriteLog {
    /** What an entry records. */
    public enum Kind {
        WRITE, FLUSH, DISCARD, MARK
    }

    /** One entry; {@code data} is the bytes written (zeros for a discard, none otherwise). */
    public record Entry(Kind kind, long offset, byte[] data, boolean fua, String label) {
        public int length() {
            return data == null ? 0 : data.length;
        }
    }

    private final long deviceSize;
    private final int blockSize;
    private final List<Entry> entries = new ArrayList<>();
    private long bytes;

    public WriteLog(long deviceSize, int blockSize) {
        this.deviceSize = deviceSize;
        this.blockSize = blockSize;
    }

    public long deviceSize() {
        return deviceSize;
    }

    public int blockSize() {
        return blockSize;
    }

    synchronized void write(long offset, byte[] data, boolean fua) {
        entries.add(new Entry(Kind.WRITE, offset, data, fua, null));
        bytes += data.length;
    }

    synchronized void discard(long offset, long length) {
        entries.add(new Entry(Kind.DISCARD, offset, new byte[Math.toIntExact(length)], false, null));
    }

    synchronized void flush() {
        entries.add(new Entry(Kind.FLUSH, 0, null, false, null));
    }

    /** Places a mark after everything logged so far; returns its index. */
    public synchronized int mark(String label) {
        entries.add(new Entry(Kind.MARK, 0, null, false, label));
        return entries.size() - 1;
    }

    /** Entries logged so far. */
    public synchronized int size() {
        return entries.size();
    }

    public synchronized Entry get(int index) {
        return entries.get(index);
    }

    /** Bytes of every write logged so far. */
    public synchronized long bytesWritten() {
        return bytes;
    }

    /** Indexes of the entries of this kind. */
    public synchronized List<Integer> indexes(Kind kind) {
        List<Integer> found = new ArrayList<>();
        for (int i = 0; i < entries.size(); i++) {
            if (entries.get(i).kind() == kind) {
                found.add(i);
            }
        }
        return found;
    }

    /**
     * A device that passes I/O to {@code inner} and records it here: for a test that logs
     * a device it opened itself (with {@link Replayer#Replayer(WriteLog, byte[])} starting
     * from what the device held). The device closes {@code inner} when closed.
     */
    public org.cowstack.storage.api.device.BlockDevice record(org.cowstack.storage.api.device.BlockDevice inner) {
        return new LogDevice(inner.uri(), inner, this);
    }

    /** Forgets every entry, as if the device were new and zeroed; for logs reused between runs. */
    public synchronized void clear() {
        entries.clear();
        bytes = 0;
    }
}
