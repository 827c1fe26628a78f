package org.cowstack.storage.shell.console;

import java.util.List;
import java.util.Set;

import org.osgi.annotation.versioning.ProviderType;

/**
 * Completion of the storage commands' arguments from live services, as Karaf's
 * completers do: registered by {@code storage.shell} as a service, asked by the
 * console for every word of a line whose command is one of {@link #commands()}.
 *
 * <p>Thread safety: called from the console's thread while commands may run; answers
 * from a snapshot of what is installed and mounted, never blocks on a volume's
 * operations for long, and never throws (no candidates is the answer to anything it
 * cannot complete).
 */
@ProviderType
public interface CommandCompletion {
    /** The commands this completes, scoped ({@code storage:mkfs}); a console also accepts them unscoped. */
    Set<String> commands();

    /**
     * The candidates for word {@code index} of a command line.
     *
     * @param words the words of the command as the console split them, quotes removed:
     *              {@code words.get(0)} is the command (scoped or not), and
     *              {@code words.get(index)} the word being completed, possibly empty or
     *              partial (for {@code storage:io}, a quoted sub-command such as
     *              {@code "pwrite -S 0xab 0"} is one word)
     * @param index the word being completed, at least 1
     * @return candidates that start with the partial word (for a quoted io sub-command,
     *         whole sub-command words that start with it), best first; empty when none
     */
    List<Completion> complete(List<String> words, int index);
}
