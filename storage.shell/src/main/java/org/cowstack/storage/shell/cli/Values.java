package org.cowstack.storage.shell.cli;

import java.util.List;

/**
 * What a word completes from: the live services or the fixed words a completer offers
 * for an option's value or a positional argument.
 *
 * @param kind           the source
 * @param volumeArgument for {@link Kind#PATH} and {@link Kind#IO_COMMAND}: the positional
 *                       argument (from 0) that names the volume the paths are in
 * @param words          for {@link Kind#WORDS}: the words themselves
 */
public record Values(Kind kind, int volumeArgument, List<String> words) {
    /** The sources. */
    public enum Kind {
        /** Nothing to offer (numbers, sizes, labels). */
        NONE,
        /** The names of the mounted and configured volumes. */
        VOLUME,
        /** Paths inside a volume, listed directory by directory as they are typed. */
        PATH,
        /** Device URIs: the schemes installed, the devices of configured volumes, image files. */
        DEVICE,
        /** A volume name or a device URI: both of the above. */
        VOLUME_OR_DEVICE,
        /** The checksum algorithms installed. */
        CHECKSUM,
        /** The allocation policies installed. */
        ALLOCATION_POLICY,
        /** The DIO fallback strategies installed. */
        DIO_STRATEGY,
        /** A quoted {@code storage:io} sub-command with its options and arguments. */
        IO_COMMAND,
        /** The topics of {@code help}: the storage commands. */
        HELP_TOPIC,
        /** A fixed list of words. */
        WORDS
    }

    public Values {
        words = List.copyOf(words);
    }

    public static final Values NONE = new Values(Kind.NONE, -1, List.of());
    public static final Values VOLUME = new Values(Kind.VOLUME, -1, List.of());
    public static final Values DEVICE = new Values(Kind.DEVICE, -1, List.of());
    public static final Values VOLUME_OR_DEVICE = new Values(Kind.VOLUME_OR_DEVICE, -1, List.of());
    public static final Values CHECKSUM = new Values(Kind.CHECKSUM, -1, List.of());
    public static final Values ALLOCATION_POLICY = new Values(Kind.ALLOCATION_POLICY, -1, List.of());
    public static final Values DIO_STRATEGY = new Values(Kind.DIO_STRATEGY, -1, List.of());
    public static final Values HELP_TOPIC = new Values(Kind.HELP_TOPIC, -1, List.of());

    /** Paths inside the volume that positional argument {@code volumeArgument} names. */
    public static Values pathIn(int volumeArgument) {
        return new Values(Kind.PATH, volumeArgument, List.of());
    }

    /** {@code storage:io} sub-commands on a file of the volume that positional argument {@code volumeArgument} names. */
    public static Values ioCommandIn(int volumeArgument) {
        return new Values(Kind.IO_COMMAND, volumeArgument, List.of());
    }

    /** One of these words. */
    public static Values words(String... words) {
        return new Values(Kind.WORDS, -1, List.of(words));
    }
}
