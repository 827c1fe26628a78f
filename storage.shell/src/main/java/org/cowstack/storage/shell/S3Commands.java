package org.cowstack.storage.shell;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.apache.felix.service.command.CommandSession;
import org.apache.felix.service.command.Descriptor;
import org.apache.felix.service.command.annotations.GogoCommand;
import org.cowstack.storage.api.ByteSize;
import org.cowstack.storage.api.s3.S3StoreInfo;
import org.cowstack.storage.api.s3.S3StoreSettings;
import org.cowstack.storage.api.s3.S3Stores;
import org.cowstack.storage.shell.cli.ParsedArgs;
import org.cowstack.storage.shell.cli.UsageException;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;

/** {@code storage:s3 stores|add|remove} over the S3 bundle's {@link S3Stores}. */
@Component(service = S3Commands.class, immediate = true)
@GogoCommand(scope = Commands.SCOPE, function = {"s3"})
public final class S3Commands {
    private static final Actions ACTIONS = new Actions(Commands.S3, Commands.S3_ACTIONS, options());

    private static java.util.Map<String, String> options() {
        java.util.Map<String, String> m = Actions.only("add", List.of("--region", "--prefix", "--object-size",
                "--cache-size", "--access-key", "--secret-key-file", "--create-bucket"));
        m.put(Commands.JSON, "stores");
        return m;
    }

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    private volatile S3Stores s3;

    private S3Stores service() {
        S3Stores s = s3;
        if (s == null) {
            throw new IllegalStateException("the S3 device provider (bundle storage.s3) is not running");
        }
        return s;
    }

    @Descriptor(Commands.S3_TEXT)
    public Object s3(CommandSession session, @Descriptor(Commands.ARGS) CharSequence... args) throws IOException {
        ParsedArgs a = Invocation.parse(Commands.S3, session, args);
        String action = ACTIONS.check(a);
        switch (action) {
            case "add": {
                long objectSize = ByteSize.parse("object-size", a.option("--object-size",
                        Integer.toString(S3StoreSettings.DEFAULT_OBJECT_SIZE)));
                long cacheSize = ByteSize.parse("cache-size", a.option("--cache-size",
                        Long.toString(S3StoreSettings.DEFAULT_CACHE_BYTES)));
                if (objectSize > 1 << 30) {
                    throw actionError(action, "--object-size " + a.option("--object-size", "") + " is over 1g");
                }
                String accessKey = a.option("--access-key", env("AWS_ACCESS_KEY_ID"));
                String secret = secret(action, a.option("--secret-key-file", ""));
                if (accessKey.isEmpty() || secret.isEmpty()) {
                    throw actionError(action, "credentials needed: --access-key (or $AWS_ACCESS_KEY_ID) and "
                            + "--secret-key-file (or $AWS_SECRET_ACCESS_KEY)");
                }
                S3StoreInfo s = service().add(new S3StoreSettings(a.arg(1), a.arg(2), a.option("--region", ""),
                        a.arg(3), a.option("--prefix", ""), (int) objectSize, cacheSize, accessKey, secret),
                        a.has("--create-bucket"));
                return "added store " + s.name() + ": " + s.endpoint() + " bucket " + s.bucket()
                        + (s.prefix().isEmpty() ? "" : " prefix " + s.prefix()) + ", objects of "
                        + ByteSize.format(s.objectSize()) + "; devices: s3:" + s.name() + "[/VOLUME]";
            }
            case "remove":
                service().remove(a.arg(1));
                return "removed store " + a.arg(1);
            default:
                return Table.of(service().stores())
                        .column("store", S3StoreInfo::name)
                        .column("endpoint", S3StoreInfo::endpoint)
                        .column("bucket", S3StoreInfo::bucket)
                        .column("prefix", r -> r.prefix().isEmpty() ? "-" : r.prefix(), S3StoreInfo::prefix)
                        .number("devices", S3StoreInfo::devices)
                        .number("objects", r -> r.objects() < 0 ? "-" : r.objects(),
                                r -> r.objects() < 0 ? null : r.objects())
                        .number("bytes", r -> r.bytes() < 0 ? "-" : ByteSize.format(r.bytes()),
                                r -> r.bytes() < 0 ? null : r.bytes())
                        .number("cache hits", r -> r.cacheHitRate() < 0 ? "-"
                                : String.format("%.1f%%", 100 * r.cacheHitRate()),
                                r -> r.cacheHitRate() < 0 ? null : r.cacheHitRate())
                        .number("puts", S3StoreInfo::puts)
                        .number("gets", S3StoreInfo::gets)
                        .column("error", r -> r.error().isEmpty() ? "-" : r.error(), S3StoreInfo::error)
                        .whenEmpty("no S3 stores (storage:s3 add NAME ENDPOINT BUCKET adds one)")
                        .build()
                        .as(a.json());
        }
    }

    private static String env(String name) {
        String v = System.getenv(name);
        return v == null ? "" : v.strip();
    }

    /** The secret key: the first line of the file, else the environment's. */
    private static String secret(String action, String file) {
        if (file.isEmpty()) {
            return env("AWS_SECRET_ACCESS_KEY");
        }
        try {
            List<String> lines = Files.readAllLines(Path.of(file));
            return lines.isEmpty() ? "" : lines.get(0).strip();
        } catch (IOException | java.nio.file.InvalidPathException e) {
            throw actionError(action, "--secret-key-file " + file + " cannot be read: " + e.getMessage());
        }
    }

    private static UsageException actionError(String action, String what) {
        return ACTIONS.error(action, what);
    }
}
