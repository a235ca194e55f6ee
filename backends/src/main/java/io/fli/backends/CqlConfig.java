package io.fli.backends;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * How to reach a CQL cluster (ScyllaDB in production, the local Cassandra in tests). Everything comes from
 * configuration; nothing is hard-coded.
 *
 * @param contactPoints     {@code host:port} of one or more nodes
 * @param localDatacenter   the driver's local data center
 * @param keyspace          the keyspace the index lives in (created by the migration if missing)
 * @param replicationFactor replication factor used when the migration creates the keyspace
 * @param username          user, or null for no authentication
 * @param password          password, or null
 * @param tls               whether to connect with TLS: the server's certificate chain and hostname are verified
 * @param tlsCa             PEM file of the CA certificates to trust, or null for the JVM's default trust store
 * @param requestTimeout    per-request timeout; a conditional write that hits it has an unknown outcome
 * @param migrate           apply pending schema migrations when connecting: only for servers this process started
 *                          (local servers, test containers). Otherwise connecting checks that the schema is current
 *                          and refuses to run on an older one; {@code fli admin migrate} applies migrations, under
 *                          a role allowed to create tables, never the application
 * @param coordinator       the one node every request goes to ({@code host:port} as the cluster names it), or null
 *                          to let the driver spread requests over every node (token-aware). Pinning a client to a
 *                          coordinator makes a partition of that node hit the client's path.
 */
public record CqlConfig(List<InetSocketAddress> contactPoints, String localDatacenter, String keyspace,
                        int replicationFactor, String username, String password, boolean tls,
                        Duration requestTimeout, boolean migrate, java.nio.file.Path tlsCa,
                        InetSocketAddress coordinator) {

    /** A configuration that lets the driver choose coordinators. */
    public CqlConfig(List<InetSocketAddress> contactPoints, String localDatacenter, String keyspace,
                     int replicationFactor, String username, String password, boolean tls, Duration requestTimeout,
                     boolean migrate, java.nio.file.Path tlsCa) {
        this(contactPoints, localDatacenter, keyspace, replicationFactor, username, password, tls, requestTimeout,
                migrate, tlsCa, null);
    }

    /** A configuration trusting the JVM's default CAs. */
    public CqlConfig(List<InetSocketAddress> contactPoints, String localDatacenter, String keyspace,
                     int replicationFactor, String username, String password, boolean tls, Duration requestTimeout,
                     boolean migrate) {
        this(contactPoints, localDatacenter, keyspace, replicationFactor, username, password, tls, requestTimeout,
                migrate, null);
    }

    /** A configuration that does not migrate on connect. */
    public CqlConfig(List<InetSocketAddress> contactPoints, String localDatacenter, String keyspace,
                     int replicationFactor, String username, String password, boolean tls, Duration requestTimeout) {
        this(contactPoints, localDatacenter, keyspace, replicationFactor, username, password, tls, requestTimeout,
                false);
    }

    /** The same configuration with another request timeout. */
    public CqlConfig withRequestTimeout(Duration t) {
        return new CqlConfig(contactPoints, localDatacenter, keyspace, replicationFactor, username, password, tls, t,
                migrate, tlsCa, coordinator);
    }

    /** The same configuration, migrating on connect or not. */
    public CqlConfig withMigrate(boolean m) {
        return new CqlConfig(contactPoints, localDatacenter, keyspace, replicationFactor, username, password, tls,
                requestTimeout, m, tlsCa, coordinator);
    }

    /** The same configuration under another role. */
    public CqlConfig withCredentials(String user, String pass) {
        return new CqlConfig(contactPoints, localDatacenter, keyspace, replicationFactor, user, pass, tls,
                requestTimeout, migrate, tlsCa, coordinator);
    }

    /** The same configuration with TLS on or off, trusting {@code ca} (null: the JVM's default CAs). */
    public CqlConfig withTls(boolean on, java.nio.file.Path ca) {
        return new CqlConfig(contactPoints, localDatacenter, keyspace, replicationFactor, username, password, on,
                requestTimeout, migrate, ca, coordinator);
    }

    /** The same configuration with another keyspace. */
    public CqlConfig withKeyspace(String ks) {
        return new CqlConfig(contactPoints, localDatacenter, ks, replicationFactor, username, password, tls,
                requestTimeout, migrate, tlsCa, coordinator);
    }

    /** The same configuration with every request sent to {@code node} (null: the driver chooses). */
    public CqlConfig withCoordinator(InetSocketAddress node) {
        return new CqlConfig(contactPoints, localDatacenter, keyspace, replicationFactor, username, password, tls,
                requestTimeout, migrate, tlsCa, node);
    }

    public static CqlConfig local(int port, String datacenter, String keyspace) {
        return new CqlConfig(List.of(new InetSocketAddress("127.0.0.1", port)), datacenter, keyspace, 1, null, null,
                false, Duration.ofSeconds(5), true);
    }

    /**
     * From environment variables: {@code FLI_CQL_CONTACT_POINTS} (comma-separated host:port),
     * {@code FLI_CQL_DATACENTER}, {@code FLI_CQL_KEYSPACE} (default {@code fli}), {@code FLI_CQL_RF} (default 3),
     * {@code FLI_CQL_USERNAME}, {@code FLI_CQL_PASSWORD} or {@code FLI_CQL_PASSWORD_FILE}, {@code FLI_CQL_TLS}
     * ({@code true}/{@code false}), {@code FLI_CQL_TLS_CA_FILE} (PEM of the CAs to trust; default: the JVM's),
     * {@code FLI_CQL_TIMEOUT_MS}, {@code FLI_CQL_MIGRATE} ({@code true}: apply pending migrations on connect, for
     * servers the caller started itself; default false), {@code FLI_CQL_COORDINATOR} ({@code host:port} of the one
     * node to send every request to; default: the driver spreads them).
     */
    public static CqlConfig fromEnvironment(Map<String, String> env) {
        String points = require(env, "FLI_CQL_CONTACT_POINTS");
        List<InetSocketAddress> list = new ArrayList<>();
        for (String p : points.split(",")) {
            String t = p.trim();
            list.add(hostPort("FLI_CQL_CONTACT_POINTS", t));
        }
        return new CqlConfig(list, require(env, "FLI_CQL_DATACENTER"), env.getOrDefault("FLI_CQL_KEYSPACE", "fli"),
                Integer.parseInt(env.getOrDefault("FLI_CQL_RF", "3")), env.get("FLI_CQL_USERNAME"),
                Secrets.value(env, "FLI_CQL_PASSWORD"), Boolean.parseBoolean(env.getOrDefault("FLI_CQL_TLS", "false")),
                Duration.ofMillis(Long.parseLong(env.getOrDefault("FLI_CQL_TIMEOUT_MS", "5000"))),
                Boolean.parseBoolean(env.getOrDefault("FLI_CQL_MIGRATE", "false")), caFile(env, "FLI_CQL_TLS_CA_FILE"),
                hostPort("FLI_CQL_COORDINATOR", env.get("FLI_CQL_COORDINATOR")));
    }

    /**
     * The environment variables {@link #fromEnvironment} reads back as this configuration: what a command hands a
     * child process (a runbook's {@code fli admin}, a query-only {@code fli serve}) to reach the same keyspace. Never
     * {@code FLI_CQL_MIGRATE}: a child does not change the schema unless its parent says so itself.
     */
    public Map<String, String> toEnvironment() {
        Map<String, String> env = new java.util.LinkedHashMap<>();
        env.put("FLI_CQL_CONTACT_POINTS", String.join(",", contactPoints.stream().map(a -> a.getHostString() + ":"
                + a.getPort()).toList()));
        env.put("FLI_CQL_DATACENTER", localDatacenter);
        env.put("FLI_CQL_KEYSPACE", keyspace);
        env.put("FLI_CQL_RF", Integer.toString(replicationFactor));
        if (username != null) {
            env.put("FLI_CQL_USERNAME", username);
        }
        if (password != null) {
            env.put("FLI_CQL_PASSWORD", password);
        }
        env.put("FLI_CQL_TLS", Boolean.toString(tls));
        if (tlsCa != null) {
            env.put("FLI_CQL_TLS_CA_FILE", tlsCa.toString());
        }
        env.put("FLI_CQL_TIMEOUT_MS", Long.toString(requestTimeout.toMillis()));
        if (coordinator != null) {
            env.put("FLI_CQL_COORDINATOR", coordinator.getHostString() + ":" + coordinator.getPort());
        }
        return env;
    }

    /** The same configuration with one contact point {@code host:port} instead (e.g. a fault-injecting proxy). */
    public CqlConfig withContactPoint(String hostPort) {
        int colon = hostPort.lastIndexOf(':');
        if (colon < 0) {
            throw new IllegalArgumentException("contact point '" + hostPort + "' is not host:port");
        }
        return new CqlConfig(List.of(new InetSocketAddress(hostPort.substring(0, colon),
                Integer.parseInt(hostPort.substring(colon + 1)))), localDatacenter, keyspace, replicationFactor,
                username, password, tls, requestTimeout, migrate, tlsCa, coordinator);
    }

    /** {@code host:port} from variable {@code name}; null when unset or blank. */
    static InetSocketAddress hostPort(String name, String value) {
        if (value == null || value.isBlank()) {
            return null;
        }
        String t = value.trim();
        int colon = t.lastIndexOf(':');
        try {
            if (colon > 0) {
                return new InetSocketAddress(t.substring(0, colon), Integer.parseInt(t.substring(colon + 1)));
            }
        } catch (IllegalArgumentException e) {
            // falls through to the message below
        }
        throw new IllegalArgumentException(name + ": '" + t + "' is not host:port");
    }

    /** The CA file an environment variable names, which must be a readable file; null when unset. */
    static java.nio.file.Path caFile(Map<String, String> env, String name) {
        String v = env.get(name);
        if (v == null || v.isBlank()) {
            return null;
        }
        java.nio.file.Path p = java.nio.file.Path.of(v);
        if (!java.nio.file.Files.isReadable(p)) {
            throw new IllegalArgumentException(name + " names " + v + ", which is not a readable file");
        }
        return p;
    }

    static String require(Map<String, String> env, String name) {
        String v = env.get(name);
        if (v == null || v.isBlank()) {
            throw new IllegalArgumentException("environment variable " + name + " is not set");
        }
        return v;
    }

    @Override
    public String toString() {
        return "CqlConfig" + contactPoints + " dc=" + localDatacenter + " keyspace=" + keyspace + " tls=" + tls
                + (tlsCa == null ? "" : " ca=" + tlsCa)
                + (coordinator == null ? "" : " coordinator=" + coordinator.getHostString() + ":" + coordinator.getPort())
                + (username == null ? "" : " user=" + username + " password=****");
    }
}
