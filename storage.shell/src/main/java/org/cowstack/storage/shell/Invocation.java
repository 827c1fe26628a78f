package org.cowstack.storage.shell;

import java.util.ArrayList;
import java.util.List;

import org.apache.felix.service.command.CommandSession;
import org.cowstack.storage.shell.cli.CommandSpec;
import org.cowstack.storage.shell.cli.ParsedArgs;

/**
 * How every storage method reads what Gogo passed it: the words as typed (Gogo gives a
 * {@code CharSequence...} parameter the words unconverted, so {@code 010} stays
 * {@code 010}), parsed by the command's declaration in {@link Commands}.
 */
final class Invocation {
    /**
     * Session variable set by {@link StorageLineListener} while a line runs whose storage
     * command lost words to a Gogo comment: a list of the scoped command, the number of
     * words it kept and the word that started the comment.
     */
    static final String DROPPED = "storage.dropped";

    private Invocation() {
    }

    /**
     * @throws org.cowstack.storage.shell.cli.UsageException one line, then the usage
     */
    static ParsedArgs parse(CommandSpec spec, CommandSession session, CharSequence[] args) {
        List<String> words = new ArrayList<>();
        for (int i = 0; args != null && i < args.length; i++) {
            if (args[i] == null) {
                throw spec.error("argument " + (i + 1) + " is null (an unset variable?)");
            }
            words.add(args[i].toString());
        }
        Object dropped = session == null ? null : session.get(DROPPED);
        if (dropped instanceof List && ((List<?>) dropped).size() == 3) {
            List<?> d = (List<?>) dropped;
            if (spec.scoped().equals(d.get(0)) && String.valueOf(words.size()).equals(String.valueOf(d.get(1)))) {
                String word = String.valueOf(d.get(2));
                throw spec.error(word + " starts a Gogo comment, so it and the rest of the line were ignored; write "
                        + "the path with one / (" + word.substring(1) + ") or quote it ('" + word + "')");
            }
        }
        return spec.parse(words);
    }
}
