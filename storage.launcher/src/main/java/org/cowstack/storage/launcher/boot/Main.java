package org.cowstack.storage.launcher.boot;

import java.io.IOException;
import java.lang.reflect.InvocationTargetException;
import java.net.URISyntaxException;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.CodeSource;

/**
 * The executable jar's {@code Main-Class}, in front of the bnd launcher's
 * ({@code aQute.launcher.pre.EmbeddedLauncher}), which it then calls with the same
 * arguments. It does what has to happen before the framework exists, because the bnd
 * launcher creates and initialises Felix (opening its cache) before any bundle runs:
 *
 * <ol>
 * <li>finds {@code STORAGE_HOME}: the system property {@value #HOME}, else the
 * environment variable {@code STORAGE_HOME}, else {@code ./data};</li>
 * <li>takes the home's {@link HomeLock}, or prints
 * {@code STORAGE_HOME <path> is in use by process <pid>} and exits 1, having written
 * nothing;</li>
 * <li>puts all state there, unless given otherwise on the command line: the framework
 * cache ({@code launch.storage.dir} = HOME/framework), Config Admin's files
 * ({@code felix.cm.dir} = HOME/config) and {@value #HOME} for the bundles (default
 * volumes go to HOME/volumes); the bnd launcher lets system properties override its
 * {@code launcher.properties};</li>
 * <li>names the executable jar in {@value #EXECUTABLE}, so that bundles installed from
 * inside it can be updated from it.</li>
 * </ol>
 *
 * Plain Java without OSGi: {@code storage.bndrun} copies this package into the root of
 * the exported jar and names this class in its manifest.
 */
public final class Main {
    /** System and framework property: the absolute STORAGE_HOME. */
    public static final String HOME = "storage.home";
    /** System and framework property: the absolute path of the executable jar, when run from one. */
    public static final String EXECUTABLE = "storage.executable";
    static final String ENVIRONMENT = "STORAGE_HOME";
    static final String DEFAULT_HOME = "data";
    private static final String BND_LAUNCHER = "aQute.launcher.pre.EmbeddedLauncher";

    /** Held until the process ends: the operating system releases it then. */
    @SuppressWarnings("unused")
    private static HomeLock lock;

    private Main() {
    }

    public static void main(String[] args) throws Throwable {
        Path home = home(System.getProperty(HOME), System.getenv(ENVIRONMENT));
        try {
            Files.createDirectories(home);
            lock = HomeLock.acquire(home);
        } catch (HomeLock.InUseException e) {
            System.err.println(e.getMessage());
            System.exit(1);
        } catch (AccessDeniedException e) {
            System.err.println("error: STORAGE_HOME " + home + ": permission denied");
            System.exit(1);
        } catch (IOException e) {
            System.err.println("error: cannot take STORAGE_HOME " + home + ": " + e);
            System.exit(1);
        }
        System.setProperty(HOME, home.toString());
        setIfAbsent("launch.storage.dir", home.resolve("framework"));
        setIfAbsent("felix.cm.dir", home.resolve("config"));
        Path jar = executable();
        if (jar != null) {
            setIfAbsent(EXECUTABLE, jar);
        }
        try {
            // loadClass, not Class.forName: bnd would make the bundle import the launcher's package.
            Main.class.getClassLoader().loadClass(BND_LAUNCHER).getMethod("main", String[].class)
                    .invoke(null, (Object) args);
        } catch (InvocationTargetException e) {
            throw e.getCause();
        }
    }

    /** STORAGE_HOME as an absolute, normalised path. */
    static Path home(String property, String environment) {
        String home = property != null && !property.isBlank() ? property
                : environment != null && !environment.isBlank() ? environment : DEFAULT_HOME;
        return Path.of(home).toAbsolutePath().normalize();
    }

    private static void setIfAbsent(String key, Path value) {
        if (System.getProperty(key) == null) {
            System.setProperty(key, value.toString());
        }
    }

    /** The jar this class was loaded from, or null when it was not loaded from a jar file. */
    private static Path executable() {
        CodeSource source = Main.class.getProtectionDomain().getCodeSource();
        if (source == null) {
            return null;
        }
        try {
            Path path = Path.of(source.getLocation().toURI());
            return Files.isRegularFile(path) ? path : null;
        } catch (URISyntaxException | IllegalArgumentException e) {
            return null;
        }
    }
}
