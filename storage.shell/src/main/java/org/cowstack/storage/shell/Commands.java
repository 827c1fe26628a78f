package org.cowstack.storage.shell;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.cowstack.storage.shell.cli.CommandSpec;
import org.cowstack.storage.shell.cli.Values;

/**
 * Every storage command, declared once: name, group, one-line description, options and
 * positional arguments with what each completes from. The Gogo methods parse their
 * arguments by these declarations ({@link Invocation}), {@code help} prints them, and
 * {@link StorageCompletion} completes from them; a new command is one entry here plus
 * its method.
 *
 * <p>The descriptions are constants because each is also the {@code @Descriptor} of its
 * Gogo method (so that {@code felix:help storage:mkfs} says the same).
 */
final class Commands {
    static final String SCOPE = "storage";

    static final String VOLUMES = "volumes";
    static final String FILES = "files";
    static final String POLICIES = "policies";
    static final String BITMAPS = "bitmaps";
    static final String DEVICES = "devices";
    static final String SHELL = "shell";
    /** The groups in the order {@code help} lists them. */
    static final List<String> GROUPS = List.of(VOLUMES, FILES, BITMAPS, POLICIES, DEVICES, SHELL);

    /** The {@code @Descriptor} of every method's arguments. */
    static final String ARGS = "options and arguments, as 'help storage:NAME' shows them";

    static final String CSUM_TEXT = "list the checksum algorithms installed: name, on-disk id, digest bytes, "
            + "providing bundle";
    static final String DEVICES_TEXT = "list the device URI schemes installed (file:, mem:, dax:, ...) and their bundles";
    static final String MKFS_TEXT = "create an empty volume on a device (the device is created when --size is given)";
    static final String MOUNT_TEXT = "mount the volume on a device under a name, and mount it again at the next start";
    static final String REMOUNT_TEXT = "switch a volume between read-only and read-write in place (open files stay "
            + "open), or refresh a read-only one";
    static final String UMOUNT_TEXT = "commit and unmount a volume, and remove it from the configuration (it is not "
            + "mounted at the next start)";
    static final String VOLUMES_TEXT = "list the mounted and configured volumes: name, device, state, checksum, "
            + "size, used";
    static final String DF_TEXT = "space of a volume: size, used, reserved for accepted writes, free, shared";
    static final String CACHE_TEXT = "page cache of mounted volumes (or one): limit, cached, shared, pinned, dirty, "
            + "hits, misses, hit%, read-ahead";
    static final String LS_TEXT = "list a directory of a volume (the root by default), or show one file";
    static final String MKDIR_TEXT = "create a directory";
    static final String RM_TEXT = "remove a file or an empty directory";
    static final String MV_TEXT = "rename a file or directory (replacing a file or empty directory of the target name)";
    static final String IO_TEXT = "open a file (creating it, like xfs_io -f) and run xfs_io-style commands on it in "
            + "order";
    static final String CP_TEXT = "copy a file within a volume: its data (holes stay holes), or with --reflink its "
            + "blocks, shared";
    static final String OWNERS_TEXT = "who references a physical block: files with their offsets, metadata trees, "
            + "or the reserved area";
    static final String DIO_TEXT = "list the DIO fallback strategies installed, or show or set the one a volume uses";
    static final String ALLOC_TEXT = "list the allocation policies installed, or show or set the one a volume uses";
    static final String HELP_TEXT = "list the storage commands, or describe one";
    static final String SCRUB_TEXT = "scrub a volume in the background: read and verify every allocated block, "
            + "repair bad copies";
    static final String NBD_TEXT = "export files of mounted volumes over NBD (qemu, nbdinfo, nbdcopy), list the "
            + "exports, stop one";
    static final String S3_TEXT = "S3 stores that s3:NAME[/VOLUME] devices live on: list them with their use, add one, "
            + "remove one";
    static final String HEALTH_TEXT = "health of a volume: damaged file ranges, device error counters, last scrub";
    static final String CHECK_TEXT = "check the consistency of a mounted volume (its last commit) or of an image on a "
            + "device, changing nothing";
    static final String BITMAP_TEXT = "dirty bitmaps of a file, with qemu's states: add, remove, clear, enable, disable, "
            + "merge, list, dump";
    static final String BACKUP_TEXT = "back up a file to a new image: all of it, or the ranges its bitmap marks "
            + "dirty (incremental)";
    static final String RESTORE_TEXT = "rebuild a file from a full backup and then its incrementals, in order";

    static final String JSON = "--json";
    private static final String JSON_TEXT = "print the rows as JSON: one array of objects, keys = column names";
    private static final String NAME_TEXT = "volume name, as storage:volumes lists them";

    static final CommandSpec CSUM = command("csum", POLICIES, CSUM_TEXT)
            .flag(JSON, JSON_TEXT)
            .build();

    static final CommandSpec DEVICES_COMMAND = command("devices", DEVICES, DEVICES_TEXT)
            .flag(JSON, JSON_TEXT)
            .build();

    static final CommandSpec MKFS = command("mkfs", VOLUMES, MKFS_TEXT)
            .option("--csum", "NAME", "checksum algorithm, as storage:csum lists them (default crc32c)", Values.CHECKSUM)
            .option("--block-size", "SIZE", "block size, a power of two from 512 to 64k (default 4k)")
            .option("--size", "SIZE", "volume size, such as 64m or 1g (default: the whole device); "
                    + "a missing device is created this large")
            .option("--label", "L", "label")
            .option("--data", "PROFILE", "copies of file data: single (default) or dup (two copies on the device)",
                    Values.words("single", "dup"))
            .option("--metadata", "PROFILE", "copies of metadata: single or dup (default)",
                    Values.words("single", "dup"))
            .argument("URI", "device URI, such as file:vol.img, mem:disk1 or dax:pmem.img (quote one with "
                    + "options: 'file:v.img?direct=true&dsync=true')", Values.DEVICE)
            .build();

    static final CommandSpec MOUNT = command("mount", VOLUMES, MOUNT_TEXT)
            .flag("--ro", "mount read-only")
            .option("--alloc", "POLICY", "allocation policy, as storage:alloc lists them (default first-fit)",
                    Values.ALLOCATION_POLICY)
            .option("--dio", "STRATEGY", "DIO fallback strategy, as storage:dio lists them (default buffered)",
                    Values.DIO_STRATEGY)
            .option("--commit-interval", "T", "how long dirty data may wait for a commit without an fsync, such "
                    + "as 30 (seconds), 500ms, 5s, 2m or 1h (default 30s)")
            .option("--suspend-timeout", "T", "how long an operation waits for a missing service (checksum, "
                    + "policy, strategy, device backend) before it fails, such as 10 (seconds), 500ms or 0 "
                    + "(default 10s)")
            .argument("NAME", "volume name", Values.NONE)
            .argument("URI", "device URI, such as file:vol.img or mem:disk1", Values.DEVICE)
            .note("Mounting NAME again on the same device changes nothing; on another device it is refused.")
            .build();

    static final CommandSpec REMOUNT = command("remount", VOLUMES, REMOUNT_TEXT)
            .flag("--ro", "make it read-only: it commits, then refuses every change")
            .flag("--rw", "make it read-write again")
            .flag("--refresh", "a read-only volume: mount it again from its device, to see what another process or "
                    + "machine committed there (s3:); its open files are closed")
            .oneOf("--ro", "--rw", "--refresh")
            .argument("NAME", NAME_TEXT, Values.VOLUME)
            .note("The mode is recorded in the volume's configuration.")
            .build();

    static final CommandSpec UMOUNT = command("umount", VOLUMES, UMOUNT_TEXT)
            .argument("NAME", NAME_TEXT, Values.VOLUME)
            .build();

    static final CommandSpec VOLUMES_COMMAND = command("volumes", VOLUMES, VOLUMES_TEXT)
            .flag(JSON, JSON_TEXT)
            .note("The state is MOUNTED, READ_ONLY, SUSPENDED or OFFLINE (with what the volume waits for), or "
                    + "FAILED with the reason.")
            .build();

    static final CommandSpec DF = command("df", VOLUMES, DF_TEXT)
            .flag(JSON, JSON_TEXT)
            .argument("NAME", NAME_TEXT, Values.VOLUME)
            .build();

    static final CommandSpec CACHE = command("cache", VOLUMES, CACHE_TEXT)
            .flag(JSON, JSON_TEXT)
            .optional("NAME", NAME_TEXT + " (default: every mounted volume)", Values.VOLUME)
            .note("Sizes in bytes; hits and misses count file-system blocks read since mount; read-ahead is the bytes "
                    + "read ahead of sequential reads. The size limit is the engine's configuration (PID "
                    + "org.cowstack.storage.engine, property cacheSize; default a quarter of the maximum heap).")
            .build();

    static final CommandSpec LS = command("ls", FILES, LS_TEXT)
            .flag(JSON, JSON_TEXT)
            .argument("NAME", NAME_TEXT, Values.VOLUME)
            .optional("PATH", "path inside the volume, such as /dir (default /)", Values.pathIn(0))
            .build();

    static final CommandSpec MKDIR = command("mkdir", FILES, MKDIR_TEXT)
            .argument("NAME", NAME_TEXT, Values.VOLUME)
            .argument("PATH", "path of the new directory", Values.pathIn(0))
            .build();

    static final CommandSpec RM = command("rm", FILES, RM_TEXT)
            .argument("NAME", NAME_TEXT, Values.VOLUME)
            .argument("PATH", "path of the file or empty directory", Values.pathIn(0))
            .build();

    static final CommandSpec MV = command("mv", FILES, MV_TEXT)
            .argument("NAME", NAME_TEXT, Values.VOLUME)
            .argument("FROM", "path", Values.pathIn(0))
            .argument("TO", "new path", Values.pathIn(0))
            .build();

    static final CommandSpec IO = command("io", FILES, IO_TEXT)
            .argument("NAME", NAME_TEXT, Values.VOLUME)
            .argument("PATH", "file path, created if missing (read-only volumes: opened for reading)",
                    Values.pathIn(0))
            .repeated("\"CMD ARGS\"", "io commands, each quoted with its arguments, such as \"pwrite 0 4k\"",
                    Values.ioCommandIn(0))
            .build();

    static final CommandSpec CP = command("cp", FILES, CP_TEXT)
            .flag("--reflink", "share the blocks instead of copying the data (metadata only, like "
                    + "cp --reflink=always)")
            .argument("NAME", NAME_TEXT, Values.VOLUME)
            .argument("FROM", "source file", Values.pathIn(0))
            .argument("TO", "target file, created or replaced", Values.pathIn(0))
            .build();

    static final CommandSpec OWNERS = command("owners", FILES, OWNERS_TEXT)
            .flag(JSON, JSON_TEXT)
            .argument("NAME", NAME_TEXT, Values.VOLUME)
            .argument("BLOCK", "physical block number, in file-system blocks (fiemap's physical address / block "
                    + "size)", Values.NONE)
            .build();

    static final CommandSpec DIO = command("dio", POLICIES, DIO_TEXT)
            .flag(JSON, JSON_TEXT + " (the list only)")
            .optional("NAME", NAME_TEXT, Values.VOLUME)
            .optional("STRATEGY", "buffered, bounce, nodatasum, verify, direct or one a bundle adds; it applies "
                    + "from the next direct write", Values.DIO_STRATEGY)
            .note("Without NAME: the strategies installed, with the volumes using each.")
            .build();

    static final CommandSpec ALLOC = command("alloc", POLICIES, ALLOC_TEXT)
            .flag(JSON, JSON_TEXT + " (the list only)")
            .optional("NAME", NAME_TEXT, Values.VOLUME)
            .optional("POLICY", "first-fit, best-fit, next-fit or one a bundle adds; it applies from the next "
                    + "allocation", Values.ALLOCATION_POLICY)
            .note("Without NAME: the policies installed, with the volumes using each.")
            .build();

    /** The actions of {@code storage:scrub}, each with its options and arguments. */
    static final Map<String, String> SCRUB_ACTIONS = actions("start", "[--readonly] [--limit RATE] [--wait] [--json] NAME",
            "status", "[--watch] [--json] NAME", "pause", "NAME", "resume", "NAME", "cancel", "NAME", "limit", "NAME RATE");

    static final CommandSpec SCRUB = scrubCommand();

    private static CommandSpec scrubCommand() {
        CommandSpec.Builder b = command("scrub", VOLUMES, SCRUB_TEXT)
                .flag("--readonly", "start: only report, rewrite nothing (needed on a read-only volume)")
                .option("--limit", "RATE", "start: read at most RATE bytes per second, such as 50M or 1G (0: no "
                        + "limit, the default)")
                .flag("--wait", "start: stay in the foreground with its progress, then print the report")
                .flag("--watch", "status: show the progress until the scrub stops, then the report")
                .flag(JSON, "start, status: the report as one JSON object")
                .argument("ACTION", String.join(", ", SCRUB_ACTIONS.keySet()), Values.words(SCRUB_ACTIONS.keySet().toArray(new String[0])))
                .argument("NAME", NAME_TEXT, Values.VOLUME)
                .optional("RATE", "limit: bytes per second, such as 50M or 1G; 0 for no limit", Values.NONE);
        return usages(b, "scrub", SCRUB_ACTIONS).note("One scrub per volume. pause keeps its position (also across an unmount or a restart); "
                + "resume continues it; an unmount pauses a running scrub. Interrupting start --wait or status "
                + "--watch leaves the scrub running.")
                .build();
    }

    /** Actions and what each takes, in order: {@code actions("list", "", "stop", "EXPORT")}. */
    private static Map<String, String> actions(String... pairs) {
        Map<String, String> m = new LinkedHashMap<>();
        for (int i = 0; i < pairs.length; i += 2) {
            m.put(pairs[i], pairs[i + 1]);
        }
        return java.util.Collections.unmodifiableMap(m);
    }

    /** One note per action of a command made of actions: its usage line. */
    private static CommandSpec.Builder usages(CommandSpec.Builder b, String command, Map<String, String> actions) {
        actions.forEach((action, takes) -> b.note(SCOPE + ":" + command + " " + action
                + (takes.isEmpty() ? "" : " " + takes)));
        return b;
    }

    /** The actions of {@code storage:nbd}, with what each takes. */
    static final Map<String, String> NBD_ACTIONS = actions("export", "NAME PATH", "list", "", "stop", "EXPORT");

    static final CommandSpec NBD = nbdCommand();

    private static CommandSpec nbdCommand() {
        CommandSpec.Builder b = command("nbd", FILES, NBD_TEXT)
                .option("--port", "PORT", "export: the TCP port (default 10809)")
                .option("--name", "EXPORT", "export: the name clients ask for (default: PATH without its /)")
                .option("--address", "ADDRESS", "export: where to listen (default 127.0.0.1; other addresses "
                        + "need --tls-creds)")
                .option("--tls-creds", "DIR", "export: require TLS with the X.509 credentials in DIR, as qemu's "
                        + "--tls-creds: ca-cert.pem (clients need a certificate it signed), server-cert.pem, "
                        + "server-key.pem; shared by the exports of one address and port")
                .flag("--ro", "export: refuse writes, trims and zeroes (EPERM)")
                .option("--bitmap", "B[,B...]", "export: dirty bitmaps of the file to offer as qemu:dirty-bitmap:B "
                        + "(busy while exported)")
                .flag(JSON, "list: one JSON array")
                .argument("ACTION", String.join(", ", NBD_ACTIONS.keySet()), Values.words(NBD_ACTIONS.keySet().toArray(new String[0])))
                .optional("NAME|EXPORT", "export: the volume; stop: the export", Values.VOLUME)
                .optional("PATH", "export: the file in the volume", Values.pathIn(1));
        return usages(b, "nbd", NBD_ACTIONS).note("An export is a configuration (org.cowstack.storage.nbd.export): it survives restarts as mounts "
                + "do, and follows its volume across unmount and mount. Clients: nbd://127.0.0.1:PORT/EXPORT, or with TLS "
                + "nbds://HOST:PORT/EXPORT?tls-certificates=DIR (libnbd) or qemu's --object tls-creds-x509.")
                .build();
    }

    /** The actions of {@code storage:s3}, with what each takes. */
    static final Map<String, String> S3_ACTIONS = actions("stores", "", "add", "NAME ENDPOINT BUCKET", "remove", "NAME");

    static final CommandSpec S3 = s3Command();

    private static CommandSpec s3Command() {
        CommandSpec.Builder b = command("s3", DEVICES, S3_TEXT)
                .option("--region", "REGION", "add: the region requests are signed for (default us-east-1)")
                .option("--prefix", "PREFIX", "add: the key prefix of the store's devices (default: none)")
                .option("--object-size", "SIZE", "add: bytes per object, a power of two from 4k to 1g (default 4m)")
                .option("--cache-size", "SIZE", "add: local cache per open device (default 256m)")
                .option("--access-key", "KEY", "add: the access key id (default: $AWS_ACCESS_KEY_ID)")
                .option("--secret-key-file", "FILE", "add: a file whose first line is the secret key (default: "
                        + "$AWS_SECRET_ACCESS_KEY); never given on the command line")
                .flag("--create-bucket", "add: create the bucket if it does not exist")
                .flag(JSON, "stores: one JSON array")
                .argument("ACTION", String.join(", ", S3_ACTIONS.keySet()), Values.words(S3_ACTIONS.keySet().toArray(new String[0])))
                .optional("NAME", "add, remove: the store's name, as in s3:NAME", Values.NONE)
                .optional("ENDPOINT", "add: the server's URL, http(s)://host[:port]", Values.NONE)
                .optional("BUCKET", "add: the bucket", Values.NONE);
        return usages(b, "s3", S3_ACTIONS).note("A store is a configuration (org.cowstack.storage.s3.store, its secret key a password field): it "
                + "survives restarts. Devices: s3:NAME for the store's prefix, s3:NAME/VOLUME for several devices in one "
                + "store. stores lists each store's objects and bytes (a LIST of its prefix), its open devices, their "
                + "cache hit rate and requests.")
                .build();
    }

    static final CommandSpec HEALTH = command("health", VOLUMES, HEALTH_TEXT)
            .flag("--reset", "set the device error counters back to zero")
            .flag(JSON, "the report as one JSON object")
            .argument("NAME", NAME_TEXT, Values.VOLUME)
            .note("Counters: read, write and flush errors of the device, checksum errors, generation errors (lost "
                    + "or misdirected writes), and bad copies repaired; kept across restarts until reset.")
            .build();

    static final CommandSpec CHECK = command("check", VOLUMES, CHECK_TEXT)
            .flag(JSON, "the report as one JSON object")
            .argument("NAME|URI", NAME_TEXT + ", or the device URI of an image that is not mounted, such as "
                    + "file:vol.img (opened read-only)", Values.VOLUME_OR_DEVICE)
            .note("Every node of every tree is read from the device and verified, then the trees, reference counts, "
                    + "back references and free space against each other. Prints one line per problem and a summary; "
                    + "when problems are found the command fails with 'check found N problems' after them. A URI on "
                    + "which a volume is mounted checks that volume.")
            .build();

    static final CommandSpec HELP = command("help", SHELL, HELP_TEXT)
            .optional("COMMAND", "a command, such as storage:mkfs or mkfs; any other name is looked up among "
                    + "Gogo's commands", Values.HELP_TOPIC)
            .build();

    /** The actions of {@code storage:bitmap}, each with the arguments after NAME PATH. */
    static final Map<String, String> BITMAP_ACTIONS = new LinkedHashMap<>();

    static {
        BITMAP_ACTIONS.put("add", "[--granularity G] [--disabled] [--transient] [--mode transactional|qemu] NAME PATH "
                + "BITMAP");
        BITMAP_ACTIONS.put("remove", "NAME PATH BITMAP");
        BITMAP_ACTIONS.put("clear", "NAME PATH BITMAP");
        BITMAP_ACTIONS.put("enable", "NAME PATH BITMAP");
        BITMAP_ACTIONS.put("disable", "NAME PATH BITMAP");
        BITMAP_ACTIONS.put("merge", "NAME PATH SOURCE TARGET");
        BITMAP_ACTIONS.put("list", "[--json] NAME PATH");
        BITMAP_ACTIONS.put("dump", "NAME PATH BITMAP");
    }

    static final CommandSpec BITMAP = bitmapCommand();

    private static CommandSpec bitmapCommand() {
        CommandSpec.Builder b = command("bitmap", BITMAPS, BITMAP_TEXT)
                .flag(JSON, JSON_TEXT + " (list only)")
                .option("--granularity", "G", "add: bytes per bit, a power of two from 512 to 2g (default 64k)")
                .flag("--disabled", "add: do not record writes until enabled")
                .flag("--transient", "add: keep it in memory only, until unmount")
                .option("--mode", "MODE", "add: transactional (default: its bits are committed with the data, "
                        + "exact after any crash) or qemu (stored at clean unmount; inconsistent after a crash)",
                        Values.words("transactional", "qemu"))
                .argument("ACTION", String.join(", ", BITMAP_ACTIONS.keySet()),
                        Values.words(BITMAP_ACTIONS.keySet().toArray(new String[0])))
                .argument("NAME", NAME_TEXT, Values.VOLUME)
                .argument("PATH", "the file, such as /vm.img", Values.pathIn(1))
                .optional("BITMAP", "bitmap name (merge: the source)", Values.NONE)
                .optional("TARGET", "merge: the bitmap that receives the source's bits", Values.NONE);
        for (Map.Entry<String, String> a : BITMAP_ACTIONS.entrySet()) {
            b.note(SCOPE + ":bitmap " + a.getKey() + " " + a.getValue());
        }
        return b.note("list shows each bitmap's granularity, dirty bytes, mode and states (recording, busy, "
                + "persistent, inconsistent, readonly); dump prints the dirty ranges as OFFSET LENGTH in bytes.")
                .build();
    }

    static final CommandSpec BACKUP = command("backup", BITMAPS, BACKUP_TEXT)
            .option("--to", "URI", "the new image: file:PATH (a raw image on the host) or volume:NAME/PATH (a file "
                    + "in a mounted volume); required, never overwritten")
            .option("--bitmap", "B", "the bitmap to copy by (--sync bitmap) and to synchronise at the end")
            .option("--sync", "MODE", "full (every byte; the default without --bitmap) or bitmap (the dirty ranges; "
                    + "the default with it)", Values.words("full", "bitmap"))
            .option("--bitmap-mode", "MODE", "what the bitmap keeps at the end: on-success (default: cleared if the "
                    + "backup succeeded), always (cleared of what was copied) or never",
                    Values.words("on-success", "always", "never"))
            .argument("NAME", NAME_TEXT, Values.VOLUME)
            .argument("PATH", "the file to back up", Values.pathIn(0))
            .note("Writes during the backup go on and are recorded in the bitmap; the backup copies the file as it "
                    + "was when it started. A manifest, URI.manifest, says what the image holds.")
            .build();

    static final CommandSpec RESTORE = command("restore", BITMAPS, RESTORE_TEXT)
            .argument("NAME", NAME_TEXT, Values.VOLUME)
            .argument("PATH", "the file to create or replace", Values.pathIn(0))
            .repeated("URI", "backup images: the full one first, then incrementals oldest first", Values.NONE)
            .note("The file is built beside PATH and renamed over it when complete: a failure leaves PATH as it was.")
            .build();

    /** Every storage command, in the order {@code help} lists them within their groups. */
    static final List<CommandSpec> ALL = List.of(MKFS, MOUNT, REMOUNT, UMOUNT, VOLUMES_COMMAND, DF, CACHE, SCRUB, HEALTH,
            CHECK, LS, MKDIR, RM, MV, CP, IO, OWNERS, BITMAP, BACKUP, RESTORE, NBD, CSUM, ALLOC, DIO, DEVICES_COMMAND,
            S3, HELP);

    private static final Map<String, CommandSpec> BY_NAME = new LinkedHashMap<>();

    static {
        for (CommandSpec c : ALL) {
            BY_NAME.put(c.name(), c);
        }
    }

    private Commands() {
    }

    private static CommandSpec.Builder command(String name, String group, String text) {
        return CommandSpec.command(SCOPE, name).group(group).describe(text);
    }

    /** The command named {@code name}, scoped ({@code storage:mkfs}) or not ({@code mkfs}). */
    static Optional<CommandSpec> find(String name) {
        if (name == null) {
            return Optional.empty();
        }
        String plain = name.startsWith(SCOPE + ":") ? name.substring(SCOPE.length() + 1) : name;
        return Optional.ofNullable(BY_NAME.get(plain));
    }

    /** The commands of one group, in table order. */
    static List<CommandSpec> group(String group) {
        List<CommandSpec> in = new ArrayList<>();
        for (CommandSpec c : ALL) {
            if (c.group().equals(group)) {
                in.add(c);
            }
        }
        return in;
    }
}
