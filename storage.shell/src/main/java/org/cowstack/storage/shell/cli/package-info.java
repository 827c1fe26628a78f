/**
 * How the storage shell reads its command lines, private to {@code storage.shell}: a
 * command is declared once as a {@link org.cowstack.storage.shell.cli.CommandSpec} (name,
 * description, options, positional arguments and what each completes from), and parsing,
 * usage lines, {@code help} and completion all read that declaration. Also the pieces
 * every command shares: {@link org.cowstack.storage.shell.cli.Json} output and the
 * {@link org.cowstack.storage.shell.cli.ProgressReporter} of long work with its
 * cancellation point.
 */
package org.cowstack.storage.shell.cli;
