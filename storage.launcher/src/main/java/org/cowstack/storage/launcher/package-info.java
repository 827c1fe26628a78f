/**
 * The executable's main thread and everything a user types into it (private to the
 * bundle): {@link org.cowstack.storage.launcher.MainThread} picks the mode,
 * {@link org.cowstack.storage.launcher.Console} is the interactive console (our own JLine
 * loop over a Gogo session, with {@link org.cowstack.storage.launcher.GogoLineParser},
 * {@link org.cowstack.storage.launcher.CommandLine} and
 * {@link org.cowstack.storage.launcher.ConsoleCompleter}),
 * {@link org.cowstack.storage.launcher.ScriptRunner} runs {@code -c}, script files and
 * piped input with an exit status, and
 * {@link org.cowstack.storage.launcher.BundleCommands} are Felix's bundle commands failing
 * like commands.
 */
package org.cowstack.storage.launcher;
