package io.fli.backends;

import java.nio.file.Path;

/**
 * Where a command's CQL and S3 servers are: started by it on this machine ({@link #local}), or named by the
 * {@code FLI_CQL_*} and {@code FLI_S3_*} environment variables ({@link #fromEnvironment}).
 *
 * @param servers the servers started, to be closed by the caller; null for servers named by the environment
 */
public record Endpoints(CqlConfig cql, S3Config s3, LocalBackends servers) {
    /** Starts Cassandra and S3Proxy under {@code dir}, with keyspace and bucket {@code name}. */
    public static Endpoints local(Path dir, String name) {
        return local(dir, name, false);
    }

    /** As {@link #local(Path, String)}; with {@code secure}, the secure profile (TLS, roles, the writer's role). */
    public static Endpoints local(Path dir, String name, boolean secure) {
        return local(dir, name, secure, 1);
    }

    /** As {@link #local(Path, String, boolean)}, with {@code nodes} Cassandra nodes (a cluster when more than one). */
    public static Endpoints local(Path dir, String name, boolean secure, int nodes) {
        LocalBackends s = new LocalBackends(dir, secure, nodes).start();
        return new Endpoints(s.cql(name), s.s3(name), s);
    }

    /** The servers the environment names. */
    public static Endpoints fromEnvironment() {
        return new Endpoints(CqlConfig.fromEnvironment(System.getenv()), S3Config.fromEnvironment(System.getenv()),
                null);
    }
}
