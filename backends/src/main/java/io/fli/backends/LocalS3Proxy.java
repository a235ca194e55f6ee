package io.fli.backends;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * S3Proxy (the S3 API over a local folder: the stand-in for MinIO) as a child JVM on 127.0.0.1, with AWS v4
 * authentication. It survives a killed process but does not fsync, so not a machine crash.
 */
public final class LocalS3Proxy extends LocalServer {
    private int port;
    private final boolean portChosen;
    private final String accessKey;
    private final String secretKey;
    private final LocalTls tls;

    /** On a port chosen here (chosen again if it is taken before the first start binds it). */
    public LocalS3Proxy(Path dir, String accessKey, String secretKey) {
        this(dir, accessKey, secretKey, null);
    }

    /** HTTPS (non-null {@code tls}) or plain HTTP on a port chosen here. */
    public LocalS3Proxy(Path dir, String accessKey, String secretKey, LocalTls tls) {
        this(dir, freePort(), accessKey, secretKey, tls, true);
    }

    public LocalS3Proxy(Path dir, int port, String accessKey, String secretKey) {
        this(dir, port, accessKey, secretKey, null);
    }

    /** With {@code tls} non-null: HTTPS only, with {@code tls}'s server certificate (no plain-HTTP endpoint). */
    public LocalS3Proxy(Path dir, int port, String accessKey, String secretKey, LocalTls tls) {
        this(dir, port, accessKey, secretKey, tls, false);
    }

    private LocalS3Proxy(Path dir, int port, String accessKey, String secretKey, LocalTls tls, boolean portChosen) {
        super(dir);
        this.portChosen = portChosen;
        this.port = port;
        this.accessKey = accessKey;
        this.secretKey = secretKey;
        this.tls = tls;
    }

    @Override
    public String name() {
        return "s3proxy";
    }

    @Override
    protected boolean choosePortsAgain() {
        if (!portChosen) {
            return false;
        }
        port = freePort();
        return true;
    }

    public String endpoint() {
        return (tls == null ? "http" : "https") + "://127.0.0.1:" + port;
    }

    public String accessKey() {
        return accessKey;
    }

    public String secretKey() {
        return secretKey;
    }

    @Override
    public int readyPort() {
        return port;
    }

    @Override
    protected Duration startTimeout() {
        return Duration.ofSeconds(60);
    }

    /** The folder S3Proxy keeps objects in: {@code <dataDir>/<bucket>/<key>}, one file per object. */
    public Path dataDir() {
        return dir.resolve("blobs");
    }

    @Override
    protected List<String> command() throws IOException {
        Path data = dataDir();
        Files.createDirectories(data);
        Path props = dir.resolve("s3proxy.properties");
        List<String> listen = tls == null ? List.of("s3proxy.endpoint=" + endpoint()) : List.of(
                "s3proxy.secure-endpoint=" + endpoint(),
                "s3proxy.keystore-path=" + tls.serverKeystore(),
                "s3proxy.keystore-password=" + tls.storePassword());
        // It holds the credential (and the keystore's password): owner-only.
        Secrets.writePrivate(props, String.join("\n",
                String.join("\n", listen),
                "s3proxy.authorization=aws-v4",
                "s3proxy.identity=" + accessKey,
                "s3proxy.credential=" + secretKey,
                "jclouds.provider=filesystem",
                "jclouds.filesystem.basedir=" + data,
                "") + "\n");
        // S3Proxy holds a whole object in memory while it serves a PUT or GET of it: with 256 MB, a merged segment
        // of ~90 MB (3.2M logs) met OutOfMemoryError under concurrent traffic, every retry of it too, and a 50M-log
        // local build spent minutes in that loop. A gigabyte holds the largest segment (maxSegmentLogs) several times.
        return List.of(java(), "-Xmx1g", "-jar", serversDir().resolve("s3proxy").resolve("s3proxy.jar").toString(),
                "--properties", props.toString());
    }
}
