package org.cowstack.storage.launcher;

import java.io.IOException;
import java.io.InputStream;
import java.net.MalformedURLException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;

import org.apache.felix.service.command.CommandSession;
import org.apache.felix.service.command.Descriptor;
import org.apache.felix.service.command.Parameter;
import org.cowstack.storage.launcher.boot.Main;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleException;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;

/**
 * Felix's {@code start}, {@code stop}, {@code update}, {@code install} and
 * {@code uninstall}, with gogo.command's syntax and in its scope ({@code felix}), ranked
 * above its own, so that {@code stop 17} and {@code felix:stop 17} both run these. They
 * differ in what a Felix user would ask of them in a script: a failure is a failure.
 * gogo.command's print the problem and return normally, so a script went on and exited
 * 0 after {@code stop 9999}; these do everything they can, then throw one exception
 * naming every bundle that failed and why, which ends a {@code -c} or script run with one
 * {@code error:} line and status 1, and is one line in the console.
 *
 * <p>A bundle is named by its id, its symbolic name or its location (as gogo.jline's
 * converter names bundles for {@code headers} and {@code inspect}).
 *
 * <p>{@code update ID} works on the bundles inside the executable jar: the bnd launcher
 * installs them with locations such as {@code jar/storage.csum-0.1.0-SNAPSHOT.jar}, which
 * are no URLs, so Felix cannot reopen them ({@code MalformedURLException}). Such a bundle
 * is updated from that entry of the executable jar as it is on disk now (so a rebuilt jar
 * brings its new bundles in without a restart); {@code update ID URL} reads the URL, as
 * gogo.command's does.
 */
@Component(service = BundleCommands.class, property = {
        "osgi.command.scope=felix",
        "osgi.command.function=start",
        "osgi.command.function=stop",
        "osgi.command.function=update",
        "osgi.command.function=install",
        "osgi.command.function=uninstall",
        "service.ranking:Integer=1"})
public final class BundleCommands {
    private final BundleContext context;

    @Activate
    public BundleCommands(BundleContext context) {
        this.context = context;
    }

    /** Something to do to one bundle. */
    private interface Action {
        void apply(Bundle bundle) throws Exception;
    }

    @Descriptor("start bundles")
    public void start(
            @Descriptor("start bundle transiently") @Parameter(names = {"-t", "--transient"}, presentValue = "true",
                    absentValue = "false") boolean transiently,
            @Descriptor("use declared activation policy") @Parameter(names = {"-p", "--policy"},
                    presentValue = "true", absentValue = "false") boolean policy,
            @Descriptor("target bundles: ids, symbolic names, or URLs to install and start") String[] bundles)
            throws BundleException {
        int options = (transiently ? Bundle.START_TRANSIENT : 0) | (policy ? Bundle.START_ACTIVATION_POLICY : 0);
        Failures failures = new Failures("start", bundles, "start [-t] [-p] ID|NAME|URL ...");
        for (String spec : failures.specs()) {
            try {
                Bundle bundle = isUrl(spec) ? installFrom(spec) : find(spec);
                if (bundle == null) {
                    failures.add(spec, "no such bundle");
                } else {
                    failures.attempt(bundle, b -> b.start(options));
                }
            } catch (BundleException | RuntimeException e) {
                failures.add(spec, reason(e));
            }
        }
        failures.check();
    }

    @Descriptor("stop bundles")
    public void stop(
            @Descriptor("stop bundle transiently") @Parameter(names = {"-t", "--transient"}, presentValue = "true",
                    absentValue = "false") boolean transiently,
            @Descriptor("target bundles: ids or symbolic names") String[] bundles) throws BundleException {
        int options = transiently ? Bundle.STOP_TRANSIENT : 0;
        each("stop", bundles, "stop [-t] ID|NAME ...", b -> b.stop(options));
    }

    @Descriptor("uninstall bundles")
    public void uninstall(@Descriptor("target bundles: ids or symbolic names") String[] bundles)
            throws BundleException {
        each("uninstall", bundles, "uninstall ID|NAME ...", Bundle::uninstall);
    }

    @Descriptor("update bundle from its location (a bundle inside the executable jar: from the jar)")
    public void update(@Descriptor("target bundle: id or symbolic name") String bundle) throws BundleException {
        each("update", new String[] {bundle}, "update ID|NAME [URL]", this::updateFromLocation);
    }

    @Descriptor("update bundle from URL")
    public void update(@Descriptor("command session") CommandSession session,
            @Descriptor("target bundle: id or symbolic name") String bundle,
            @Descriptor("URL from where to retrieve bundle") String location) throws BundleException {
        String url = resolve(session, location);
        each("update", new String[] {bundle}, "update ID|NAME [URL]", b -> {
            try (InputStream in = new URL(url).openStream()) {
                b.update(in);
            } catch (MalformedURLException e) {
                throw new BundleException("not a URL: " + location);
            } catch (IOException e) {
                throw new BundleException("cannot read " + url + ": " + message(e));
            }
        });
    }

    @Descriptor("install bundle using URLs")
    public String install(@Descriptor("command session") CommandSession session,
            @Descriptor("target URLs") String[] urls) throws BundleException {
        Failures failures = new Failures("install", urls, "install URL ...");
        List<String> ids = new ArrayList<>();
        for (String url : failures.specs()) {
            try {
                ids.add(Long.toString(context.installBundle(resolve(session, url)).getBundleId()));
            } catch (BundleException | RuntimeException e) {
                failures.add(url, reason(e));
            }
        }
        failures.check();
        return (ids.size() == 1 ? "Bundle ID: " : "Bundle IDs: ") + String.join(", ", ids);
    }

    private void each(String command, String[] specs, String usage, Action action) throws BundleException {
        Failures failures = new Failures(command, specs, usage);
        for (String spec : failures.specs()) {
            Bundle bundle;
            try {
                bundle = find(spec);
            } catch (BundleException e) {
                failures.add(spec, e.getMessage());
                continue;
            }
            if (bundle == null) {
                failures.add(spec, "no such bundle");
            } else {
                failures.attempt(bundle, action);
            }
        }
        failures.check();
    }

    /**
     * Updates a bundle from where it came from: Felix reopens a URL location; a location
     * inside the executable jar is read from the jar.
     */
    private void updateFromLocation(Bundle bundle) throws BundleException, IOException {
        String location = bundle.getLocation();
        if (isUrl(location) || bundle.getBundleId() == 0) {
            bundle.update();
            return;
        }
        String jar = context.getProperty(Main.EXECUTABLE);
        if (jar == null) {
            throw new BundleException("its location " + location + " is no URL and the executable jar it may come"
                    + " from is unknown; give the URL: update " + bundle.getBundleId() + " URL");
        }
        try (JarFile executable = new JarFile(jar)) {
            JarEntry entry = executable.getJarEntry(location);
            if (entry == null) {
                throw new BundleException(jar + " has no " + location + " (any more)");
            }
            try (InputStream in = executable.getInputStream(entry)) {
                bundle.update(in);
            }
        } catch (NoSuchFileException e) {
            throw new BundleException("the executable jar " + jar + " is gone");
        }
    }

    /** The bundle an id, symbolic name or location names, or null. */
    private Bundle find(String spec) throws BundleException {
        if (spec.matches("\\d{1,18}")) {
            return context.getBundle(Long.parseLong(spec));
        }
        Bundle byLocation = context.getBundle(spec);
        if (byLocation != null) {
            return byLocation;
        }
        List<Bundle> named = new ArrayList<>();
        for (Bundle b : context.getBundles()) {
            if (spec.equals(b.getSymbolicName())) {
                named.add(b);
            }
        }
        if (named.size() > 1) {
            throw new BundleException(named.size() + " bundles are named so; give the id");
        }
        return named.isEmpty() ? null : named.get(0);
    }

    private Bundle installFrom(String url) throws BundleException {
        return context.installBundle(url);
    }

    /** Whether a location is a URL (a scheme of two or more letters: not {@code jar/x.jar}, not {@code C:}). */
    static boolean isUrl(String location) {
        int colon = location.indexOf(':');
        return colon > 1 && location.substring(0, colon).matches("[A-Za-z][A-Za-z0-9+.-]*");
    }

    /** A URL as given, or a path resolved against the session's directory, as gogo.command does. */
    private static String resolve(CommandSession session, String location) {
        String trimmed = location.trim();
        if (isUrl(trimmed)) {
            return trimmed;
        }
        Path directory = session == null ? Path.of("") : session.currentDir();
        return directory.toAbsolutePath().resolve(trimmed).normalize().toUri().toString();
    }

    private static String reason(Exception e) {
        String reason = message(e);
        Throwable cause = e.getCause();
        if (cause != null && cause != e) {
            String more = message(cause);
            if (!reason.contains(more)) {
                reason += ": " + more;
            }
        }
        return reason;
    }

    private static String message(Throwable e) {
        String m = e.getMessage();
        return m == null || m.isBlank() ? e.getClass().getSimpleName() : m.strip();
    }

    /** Collects what failed, so every bundle is tried and all failures are told together. */
    private final class Failures {
        private final String command;
        private final String[] specs;
        private final String usage;
        private final List<String> failed = new ArrayList<>();

        Failures(String command, String[] specs, String usage) {
            this.command = command;
            this.specs = specs == null ? new String[0] : specs;
            this.usage = usage;
        }

        String[] specs() throws BundleException {
            if (specs.length == 0) {
                throw new BundleException("usage: " + usage);
            }
            return specs;
        }

        void attempt(Bundle bundle, Action action) {
            try {
                action.apply(bundle);
            } catch (Exception e) {
                failed.add(command + " " + label(bundle) + ": " + reason(e));
            }
        }

        void add(String spec, String reason) {
            failed.add(command + " " + spec + ": " + reason);
        }

        void check() throws BundleException {
            if (!failed.isEmpty()) {
                throw new BundleException(String.join("; ", failed));
            }
        }

        private String label(Bundle bundle) {
            String name = bundle.getSymbolicName();
            return (name == null ? bundle.getLocation() : name) + " [" + bundle.getBundleId() + "]";
        }
    }
}
