package org.cowstack.storage.shell;

import java.util.ArrayList;
import java.util.List;

import org.apache.felix.service.command.CommandSession;
import org.cowstack.storage.shell.cli.ArgSpec;
import org.cowstack.storage.shell.cli.CommandSpec;
import org.cowstack.storage.shell.cli.OptionSpec;
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
        return notEmpty(spec, spec.parse(words));
    }

    /**
     * Options whose value may be empty, and arguments the engine refuses empty itself in
     * qemu's words ({@code Bitmap name cannot be empty}).
     */
    private static final java.util.Set<String> MAY_BE_EMPTY = java.util.Set.of("--label", "BITMAP", "TARGET");

    /**
     * An empty word ({@code ''}, or an unset variable in quotes) is no volume, path, size or
     * name: refused here, naming the argument, rather than by a message that shows nothing
     * where the word was.
     */
    private static ParsedArgs notEmpty(CommandSpec spec, ParsedArgs a) {
        for (int i = 0; i < a.count(); i++) {
            String name = spec.argumentAt(i).map(ArgSpec::name).orElse("argument " + (i + 1));
            if (a.arg(i).isEmpty() && !MAY_BE_EMPTY.contains(name)) {
                throw spec.error(name + " is empty ('')");
            }
        }
        for (OptionSpec o : spec.options()) {
            if (!o.isFlag() && "".equals(a.option(o.name(), null)) && !MAY_BE_EMPTY.contains(o.name())) {
                throw spec.error("option " + o.name() + " is empty ('')");
            }
        }
        return a;
    }
}
