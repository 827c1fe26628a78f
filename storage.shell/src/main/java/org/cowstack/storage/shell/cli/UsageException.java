package org.cowstack.storage.shell.cli;

/**
 * A command line the command cannot run: a wrong argument count, an unknown option, an
 * option without its value. The message is one line saying what was wrong, then the
 * command's usage: {@code storage:df: expected 1 argument, got 2; usage: storage:df NAME}.
 */
public final class UsageException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    public UsageException(String message) {
        super(message);
    }
}
