package io.fli.backends;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.UUID;

/**
 * A local Cassandra and a local S3Proxy, each its own child process with its own folder under {@code dir}. Writes
 * {@code dir/backends.env}: the endpoints and credentials as the environment variables {@link CqlConfig} and
 * {@link S3Config} read, so anything can be pointed at these servers by configuration alone.
 */
public final class LocalBackends implements AutoCloseable {
    private final Path dir;
    private final LocalCassandra cassandra;
    private final LocalS3Proxy s3;

    public LocalBackends(Path dir) {
        this.dir = dir;
        this.cassandra = new LocalCassandra(dir.resolve("cassandra"));
        // A fresh random secret per set of servers: never a hard-coded credential.
        this.s3 = new LocalS3Proxy(dir.resolve("s3proxy"), "fli", UUID.randomUUID().toString().replace("-", ""));
    }

    /** Starts both servers (S3Proxy first: it is ready in about a second, Cassandra in 5-10). */
    public LocalBackends start() {
        s3.start();
        cassandra.start();
        try {
            // It holds the S3 secret: owner-only from the moment it exists.
            Secrets.writePrivate(dir.resolve("backends.env"), String.join("\n",
                    "FLI_CQL_CONTACT_POINTS=127.0.0.1:" + cassandra.cqlPort(),
                    "FLI_CQL_DATACENTER=" + cassandra.datacenter(),
                    "FLI_CQL_KEYSPACE=fli",
                    "FLI_CQL_RF=1",
                    "FLI_S3_ENDPOINT=" + s3.endpoint(),
                    "FLI_S3_ACCESS_KEY=" + s3.accessKey(),
                    "FLI_S3_SECRET_KEY=" + s3.secretKey(),
                    "FLI_S3_BUCKET=fli",
                    "FLI_CASSANDRA_PID=" + cassandra.pid(),
                    "FLI_S3PROXY_PID=" + s3.pid(),
                    "") + "\n");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return this;
    }

    public LocalCassandra cassandra() {
        return cassandra;
    }

    public LocalS3Proxy s3() {
        return s3;
    }

    public Path dir() {
        return dir;
    }

    /**
     * The CQL configuration of the local server, with {@code keyspace}; it migrates the schema on connect (the server
     * is this process's own).
     */
    public CqlConfig cql(String keyspace) {
        return new CqlConfig(java.util.List.of(new java.net.InetSocketAddress("127.0.0.1", cassandra.cqlPort())),
                cassandra.datacenter(), keyspace, 1, null, null, false, Duration.ofSeconds(4), true);
    }

    /** The S3 configuration of the local server, with {@code bucket}. */
    public S3Config s3(String bucket) {
        return new S3Config(s3.endpoint(), s3.accessKey(), s3.secretKey(), bucket, Duration.ofSeconds(4));
    }

    @Override
    public void close() {
        cassandra.close();
        s3.close();
    }
}
