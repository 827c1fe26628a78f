package org.cowstack.storage.testkit;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * A real S3 server for tests and benchmarks: s3proxy (Maven Central,
 * {@code jar-with-dependencies}) as a process on a loopback port, storing objects in a
 * directory (its filesystem backend), with signature V4 required. {@link #kill()} is a
 * crash; {@link #start} again on the same directory brings the objects back (on a new
 * port). The jar's path comes from the {@code s3proxy.jar} system property, which the
 * modules that use this set from Maven's dependency:properties.
 */
public final class S3ProxyServer implements AutoCloseable {
    public static final String ACCESS_KEY = "cowstack-test";
    public static final String SECRET_KEY = "cowstack-test-secret";
    public static final String REGION = "us-east-1";
    private final Process process;
    private final URI endpoint;
    private final Path dir;

    private S3ProxyServer(Process process, URI endpoint, Path dir) {
        this.process = process;
        this.endpoint = endpoint;
        this.dir = dir;
    }

    /** Starts s3proxy on a free port with its objects under {@code dir}; waits until it answers. */
    public static S3ProxyServer start(Path dir) throws IOException, InterruptedException {
        String jar = System.getProperty("s3proxy.jar");
        if (jar == null || !Files.isRegularFile(Path.of(jar))) {
            throw new IllegalStateException("no s3proxy jar (the s3proxy.jar property the build sets): " + jar);
        }
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        Path blobs = Files.createDirectories(dir.resolve("blobs"));
        Path properties = dir.resolve("s3proxy.properties");
        Files.write(properties, List.of(
                "s3proxy.endpoint=http://127.0.0.1:" + port,
                "s3proxy.authorization=aws-v2-or-v4",
                "s3proxy.identity=" + ACCESS_KEY,
                "s3proxy.credential=" + SECRET_KEY,
                "jclouds.provider=filesystem",
                "jclouds.filesystem.basedir=" + blobs));
        Path log = dir.resolve("s3proxy.log");
        Process p = new ProcessBuilder(javaBinary(), "-Xmx256m", "-jar", jar, "--properties", properties.toString())
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        URI endpoint = URI.create("http://127.0.0.1:" + port);
        long deadline = System.nanoTime() + 60_000_000_000L;
        while (System.nanoTime() < deadline) {
            if (!p.isAlive()) {
                throw new IOException("s3proxy exited at start: " + Files.readString(log));
            }
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("127.0.0.1", port), 200);
                return new S3ProxyServer(p, endpoint, dir);
            } catch (IOException notYet) {
                Thread.sleep(100);
            }
        }
        p.destroyForcibly();
        throw new IOException("s3proxy did not listen on port " + port + " within 60 s");
    }

    private static String javaBinary() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    public URI endpoint() {
        return endpoint;
    }

    public Path dir() {
        return dir;
    }

    /** Kills the server at once (SIGKILL), as a crash would. */
    public void kill() throws InterruptedException {
        process.destroyForcibly().waitFor();
    }

    @Override
    public void close() throws InterruptedException {
        kill();
    }
}
