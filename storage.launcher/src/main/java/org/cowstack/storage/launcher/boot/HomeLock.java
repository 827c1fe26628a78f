package org.cowstack.storage.launcher.boot;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * The exclusive lock that makes one process the owner of a {@code STORAGE_HOME}: an
 * operating-system lock ({@code fcntl}) on the file {@value #NAME} in it, holding the
 * owner's process id. The lock is released when the process ends, however it ends, so
 * a crashed owner never leaves a stale lock behind; the pid in the file is only there
 * to name the owner in the refusal.
 */
public final class HomeLock implements AutoCloseable {
    /** The lock file's name in STORAGE_HOME. */
    public static final String NAME = "lock";
    /** How long a refused process waits for the owner to write its pid (it locks, then writes). */
    private static final long PID_WAIT_MS = 2_000;

    private final FileChannel channel;
    private final FileLock lock;

    private HomeLock(FileChannel channel, FileLock lock) {
        this.channel = channel;
        this.lock = lock;
    }

    /** Thrown when another process holds the home; its message is the one line to print. */
    public static final class InUseException extends IOException {
        private static final long serialVersionUID = 1L;
        private final String owner;

        InUseException(Path home, String owner) {
            super("STORAGE_HOME " + home + " is in use by " + (owner == null ? "another process" : "process " + owner));
            this.owner = owner;
        }

        /** The owner's pid as its lock file says, or null when it did not say in time. */
        public String owner() {
            return owner;
        }
    }

    /**
     * Takes the home, or says who has it. Touches nothing of an owner: the file is opened
     * without truncation and written only once the lock is ours.
     *
     * @throws InUseException another process holds it
     * @throws IOException    the file cannot be created or locked (the message names it)
     */
    public static HomeLock acquire(Path home) throws IOException {
        Path file = home.resolve(NAME);
        FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ,
                StandardOpenOption.WRITE);
        boolean success = false;
        try {
            FileLock lock;
            try {
                lock = channel.tryLock();
            } catch (OverlappingFileLockException e) {
                lock = null; // this JVM holds it already: in use all the same
            }
            if (lock == null) {
                throw new InUseException(home, owner(channel));
            }
            byte[] pid = (ProcessHandle.current().pid() + "\n").getBytes(StandardCharsets.US_ASCII);
            channel.truncate(0);
            channel.write(ByteBuffer.wrap(pid), 0);
            channel.force(false);
            success = true;
            return new HomeLock(channel, lock);
        } finally {
            if (!success) {
                channel.close();
            }
        }
    }

    /**
     * The pid the owner wrote. It writes just after it locks, so a racing reader may see
     * nothing yet, or the pid of a previous owner that has ended: it waits a little for a
     * live one.
     */
    private static String owner(FileChannel channel) throws IOException {
        long deadline = System.nanoTime() + PID_WAIT_MS * 1_000_000;
        do {
            ByteBuffer buffer = ByteBuffer.allocate(32);
            channel.read(buffer, 0);
            String text = new String(buffer.array(), 0, buffer.position(), StandardCharsets.US_ASCII);
            if (text.endsWith("\n") && text.strip().matches("\\d{1,18}")
                    && ProcessHandle.of(Long.parseLong(text.strip())).map(ProcessHandle::isAlive).orElse(false)) {
                return text.strip();
            }
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return null;
            }
        } while (System.nanoTime() < deadline);
        return null;
    }

    @Override
    public void close() throws IOException {
        try {
            lock.release();
        } finally {
            channel.close();
        }
    }
}
