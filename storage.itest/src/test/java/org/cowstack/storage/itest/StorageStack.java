package org.cowstack.storage.itest;

import static org.ops4j.pax.exam.CoreOptions.bundle;
import static org.ops4j.pax.exam.CoreOptions.cleanCaches;
import static org.ops4j.pax.exam.CoreOptions.frameworkProperty;
import static org.ops4j.pax.exam.CoreOptions.junitBundles;
import static org.ops4j.pax.exam.CoreOptions.systemPackages;

import java.io.File;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import org.ops4j.pax.exam.Option;

/**
 * The Pax Exam configuration of the storage stack: real Felix, SCR, Config Admin, Log,
 * Metatype and Gogo, and every storage bundle as built by this reactor (copied to
 * {@code target/bundles} at pre-integration-test). The framework settings mirror
 * {@code cnf/run.bnd}, which configures the executable jar.
 */
final class StorageStack {
    private StorageStack() {
    }

    static File bundlesDir() {
        String dir = System.getProperty("storage.bundles");
        if (dir == null) {
            throw new IllegalStateException("storage.bundles is not set: run the integration tests with mvn verify");
        }
        return new File(dir);
    }

    static Option[] options() {
        List<Option> options = new ArrayList<>();
        options.add(cleanCaches(true));
        // As in cnf/run.bnd: the JDK packages the storage bundles import optionally.
        options.add(systemPackages("com.sun.nio.file", "jdk.nio.mapmode", "sun.misc"));
        // As in cnf/run.bnd: Gogo's own console stays quiet (JLine's side is set for the
        // whole test JVM in the failsafe configuration).
        options.add(frameworkProperty("gosh.args").value("--nointeractive"));
        options.add(frameworkProperty("ds.loglevel").value("warn"));
        File[] jars = bundlesDir().listFiles((d, name) -> name.endsWith(".jar"));
        if (jars == null || jars.length == 0) {
            throw new IllegalStateException("no bundles in " + bundlesDir());
        }
        Arrays.sort(jars);
        for (File jar : jars) {
            // A fragment is attached, never started.
            boolean fragment = jar.getName().startsWith("storage.console");
            options.add(bundle(jar.toURI().toString()).start(!fragment));
        }
        options.add(junitBundles());
        return options.toArray(new Option[0]);
    }
}
