/**
 * What the storage shell offers a console, and what a console tells the shell's
 * commands: the contract between {@code storage.shell} (the commands) and
 * {@code storage.launcher} (the interactive console and the {@code -c}/script runner).
 *
 * <ul>
 * <li>{@link org.cowstack.storage.shell.console.CommandCompletion}, a service the shell
 * registers: candidates for any word of a storage command line, from live services
 * (volume names, paths inside a volume, io sub-commands, option names, installed
 * algorithms, policies, strategies and schemes).</li>
 * <li>{@link org.cowstack.storage.shell.console.ConsoleSession}: the session variables a
 * console sets and the shell's long commands read (cancellation on Ctrl-C or SIGINT,
 * whether progress is drawn in place).</li>
 * </ul>
 */
@Version("1.0.0")
@Export
package org.cowstack.storage.shell.console;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
