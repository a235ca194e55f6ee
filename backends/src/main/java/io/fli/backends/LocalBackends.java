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
    /** The roles of the secure profile: schema and migrations only; read and write rows; read rows. */
    public static final String ADMIN = "fli_admin";
    public static final String WRITER = "fli_writer";
    public static final String READER = "fli_reader";
    /** The superuser that replaces Cassandra's default {@code cassandra} one (dropped): creates roles, grants. */
    public static final String ROOT = "fli_root";

    private final Path dir;
    private LocalCassandra cassandra;
    private java.util.List<LocalCassandra> nodes;
    /** The cluster's set of control groups (one per node), or null. */
    private final String cgroups;
    private final LocalS3Proxy s3;
    private final LocalTls tls;
    private final java.util.Map<String, String> passwords = new java.util.HashMap<>();
    private final java.util.Set<String> prepared = new java.util.HashSet<>();

    public LocalBackends(Path dir) {
        this(dir, false);
    }

    /**
     * The servers under {@code dir}; with {@code secure}, the secure profile: Cassandra with client TLS only,
     * password authentication, roles with permissions ({@link #ADMIN}, {@link #WRITER}, {@link #READER}), the default
     * superuser replaced and its audit log on; S3Proxy over HTTPS only. Certificates come from a CA made for this set
     * of servers ({@link LocalTls}); every password and key is random, kept in 0600 files under {@code dir/secrets}.
     */
    public LocalBackends(Path dir, boolean secure) {
        this(dir, secure, 1);
    }

    /**
     * As {@link #LocalBackends(Path, boolean)}, with {@code nodes} Cassandra nodes: one (the default), or a cluster on
     * 127.0.0.1, .2, .3 ... (same ports on each address, the keyspace at replication factor {@code nodes}, writes
     * at QUORUM and conditional writes at SERIAL, as always). A cluster runs the plain profile only.
     */
    public LocalBackends(Path dir, boolean secure, int nodes) {
        if (nodes < 1 || nodes > 9) {
            throw new IllegalArgumentException("--nodes must be 1 to 9 Cassandra nodes, got " + nodes);
        }
        if (secure && nodes > 1) {
            throw new IllegalArgumentException("the secure profile runs on one Cassandra node: its certificates name "
                    + "127.0.0.1 and its roles live in system_auth, which a local cluster would have to replicate "
                    + "first; use --secure or --nodes " + nodes + ", not both");
        }
        this.dir = dir.toAbsolutePath().normalize();
        this.tls = secure ? LocalTls.create(this.dir.resolve("tls")) : null;
        if (nodes == 1) {
            this.cassandra = new LocalCassandra(this.dir.resolve("cassandra"), tls);
            this.nodes = java.util.List.of(cassandra);
            this.cgroups = null;
        } else {
            // A control group per node where the machine allows (root, cgroup v2): what lets a partition tell one
            // node's connections from another's.
            this.cgroups = Cgroups.newSet();
            // One pair of ports for every node, each on its own address: below the ephemeral range, so no client's
            // outgoing connection can hold them on 127.0.0.1.
            java.util.List<LocalCassandra> all = clusterNodes(nodes);
            this.nodes = all;
            this.cassandra = all.get(0);
        }
        // A fresh random secret per set of servers: never a hard-coded credential.
        this.s3 = new LocalS3Proxy(this.dir.resolve("s3proxy"), "fli", UUID.randomUUID().toString().replace("-", ""),
                tls);
        if (secure) {
            for (String role : java.util.List.of(ROOT, ADMIN, WRITER, READER)) {
                passwords.put(role, LocalTls.randomSecret());
            }
        }
    }

    /** Whether these servers run the secure profile. */
    public boolean secure() {
        return tls != null;
    }

    /** The TLS material of the secure profile (null for the plain one). */
    public LocalTls tls() {
        return tls;
    }

    /**
     * Starts both servers (S3Proxy first: it is ready in about a second, Cassandra in 5-10); in the secure profile
     * also sets up the roles and prepares keyspace {@code fli}.
     */
    public LocalBackends start() {
        try {
            s3.start();
            startNodes();
        } catch (RuntimeException | Error e) {
            // Nothing of a failed start may outlive it: the nodes that did start (and S3Proxy) would run on, orphaned,
            // after the JVM that started them exits.
            try {
                close();
            } catch (RuntimeException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
        try {
            Files.createDirectories(dir);
            java.util.List<String> env = new java.util.ArrayList<>(java.util.List.of(
                    "FLI_CQL_CONTACT_POINTS=" + String.join(",", nodes.stream()
                            .map(n -> n.host() + ":" + n.cqlPort()).toList()),
                    "FLI_CQL_DATACENTER=" + cassandra.datacenter(),
                    "FLI_CQL_KEYSPACE=fli",
                    "FLI_CQL_RF=" + nodes.size(),
                    "FLI_S3_ENDPOINT=" + s3.endpoint(),
                    "FLI_S3_ACCESS_KEY=" + s3.accessKey()));
            if (secure()) {
                Path secrets = dir.resolve("secrets");
                Files.createDirectories(secrets);
                Secrets.ownerOnly(secrets);
                for (var e : passwords.entrySet()) {
                    Secrets.writePrivate(secrets.resolve("cql-" + e.getKey() + "-password"), e.getValue() + "\n");
                }
                Secrets.writePrivate(secrets.resolve("s3-secret-key"), s3.secretKey() + "\n");
                setUpRoles();
                prepare("fli");
                env.addAll(java.util.List.of(
                        "FLI_CQL_USERNAME=" + WRITER,
                        "FLI_CQL_PASSWORD_FILE=" + secrets.resolve("cql-" + WRITER + "-password"),
                        "FLI_CQL_TLS=true",
                        "FLI_CQL_TLS_CA_FILE=" + tls.caPem(),
                        "FLI_S3_SECRET_KEY_FILE=" + secrets.resolve("s3-secret-key"),
                        "FLI_S3_CA_FILE=" + tls.caPem()));
            } else {
                env.add("FLI_S3_SECRET_KEY=" + s3.secretKey());
            }
            env.addAll(java.util.List.of(
                    "FLI_S3_BUCKET=fli",
                    "FLI_CASSANDRA_PID=" + cassandra.pid(),
                    "FLI_CASSANDRA_PIDS=" + String.join(",", nodes.stream().map(n -> Long.toString(n.pid())).toList()),
                    "FLI_S3PROXY_PID=" + s3.pid()));
            // It may hold the S3 secret: owner-only from the moment it exists.
            Secrets.writePrivate(dir.resolve("backends.env"), String.join("\n", env) + "\n");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return this;
    }

    /** A cluster's nodes on a fresh pair of ports (the same on every node's address). */
    private java.util.List<LocalCassandra> clusterNodes(int count) {
        int cql = LocalServer.freePort();
        int storage = LocalServer.freePort();
        while (storage == cql) {
            storage = LocalServer.freePort();
        }
        java.util.List<LocalCassandra> all = new java.util.ArrayList<>();
        for (int i = 0; i < count; i++) {
            all.add(LocalCassandra.clusterNode(dir.resolve("cassandra-" + (i + 1)), i, count, cql, storage,
                    cgroups == null ? null : cgroups + "/node-" + (i + 1)));
        }
        return java.util.List.copyOf(all);
    }

    /**
     * Starts the Cassandra nodes (a cluster's in parallel: fixed tokens make that safe) and, for a cluster, waits
     * until a client sees every node up, so the keyspace's replicas all exist when the first write comes.
     */
    private void startNodes() {
        if (nodes.size() == 1) {
            cassandra.start();
            return;
        }
        for (int attempt = 1;; attempt++) {
            try {
                startCluster();
                return;
            } catch (IllegalStateException e) {
                // A port of the cluster's taken between choosing and binding (another test JVM's server): before any
                // client knows the ports, the whole cluster starts again on a fresh pair.
                if (attempt >= 3 || !LocalServer.portInUse(String.valueOf(e.getMessage()))) {
                    throw e;
                }
                nodes.parallelStream().forEach(LocalCassandra::kill);
                nodes = clusterNodes(nodes.size());
                cassandra = nodes.get(0);
            }
        }
    }

    private void startCluster() {
        java.util.SortedMap<String, RuntimeException> failed = LocalCassandra.startAll(nodes);
        if (Thread.currentThread().isInterrupted()) {
            throw new IllegalStateException("interrupted while starting the Cassandra cluster");
        }
        if (!failed.isEmpty() && !failed.containsKey(nodes.get(0).host())
                && failed.values().stream().allMatch(LocalBackends::gossipedBeforeTheSeedListened)) {
            // Started in parallel, a node can reach its gossip shadow round before the seed (node 1, slower to
            // initialise its system tables) listens; with the local ring delay of one second it then gives up. The
            // seed is up now: start those nodes again.
            java.util.Set<String> again = java.util.Set.copyOf(failed.keySet());
            failed = LocalCassandra.startAll(nodes.stream().filter(n -> again.contains(n.host())).toList());
        }
        if (!failed.isEmpty()) {
            // Node 1 (the seed) first: the others fail to gossip when it does not start.
            java.util.List<String> hosts = new java.util.ArrayList<>(failed.keySet());
            RuntimeException first = failed.get(hosts.get(0));
            StringBuilder why = new StringBuilder();
            for (String h : hosts) {
                why.append("\n").append(h).append(": ").append(failed.get(h).getMessage());
            }
            throw new IllegalStateException("the local Cassandra cluster did not start: " + hosts + " failed;" + why,
                    first);
        }
        awaitRing(Duration.ofSeconds(180));
    }

    /** Whether a node's failed start was its shadow round finding no seed to gossip with. */
    static boolean gossipedBeforeTheSeedListened(RuntimeException e) {
        return String.valueOf(e.getMessage()).contains("Unable to gossip with any peers");
    }

    /** Waits until a client's view of the cluster has every node, each up and each seeing the others. */
    private void awaitRing(Duration limit) {
        long deadline = System.nanoTime() + limit.toNanos();
        String last = "no answer yet";
        while (System.nanoTime() < deadline) {
            try (var s = ScyllaMetaStore.session(base("system").withMigrate(false))) {
                var known = s.getMetadata().getNodes().values();
                long up = known.stream().filter(n -> n.getState() == com.datastax.oss.driver.api.core.metadata
                        .NodeState.UP).count();
                int peersSeen = Integer.MAX_VALUE;
                for (LocalCassandra n : nodes) {
                    // Each node's own gossip view, asked of that node (its system.peers).
                    var node = known.stream().filter(k -> k.getEndPoint().resolve() instanceof java.net
                            .InetSocketAddress a && a.getAddress().getHostAddress().equals(n.host())).findFirst();
                    if (node.isEmpty()) {
                        peersSeen = -1;
                        break;
                    }
                    var rs = s.execute(com.datastax.oss.driver.api.core.cql.SimpleStatement
                            .newInstance("SELECT peer FROM system.peers").setNode(node.get()));
                    peersSeen = Math.min(peersSeen, rs.all().size());
                }
                last = known.size() + " nodes known, " + up + " up, fewest peers seen by a node: " + peersSeen;
                if (known.size() == nodes.size() && up == nodes.size() && peersSeen == nodes.size() - 1) {
                    return;
                }
            } catch (RuntimeException e) {
                last = e.getMessage();
            }
            LocalServer.sleep(500);
        }
        throw new IllegalStateException("the local Cassandra cluster of " + nodes.size() + " nodes did not form within "
                + limit.toSeconds() + " s (" + last + "); see the nodes' logs under " + dir);
    }

    /**
     * Replaces the default superuser and creates the application's roles. Cassandra creates its default
     * {@code cassandra} role shortly after the native port opens, so the first login is retried.
     */
    private void setUpRoles() {
        CqlConfig base = base("system").withMigrate(false);
        long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
        RuntimeException last = null;
        while (System.nanoTime() < deadline) {
            try (var s = ScyllaMetaStore.session(base.withCredentials("cassandra", "cassandra"))) {
                s.execute("CREATE ROLE IF NOT EXISTS " + ROOT + " WITH PASSWORD = '" + passwords.get(ROOT)
                        + "' AND SUPERUSER = true AND LOGIN = true");
                last = null;
                break;
            } catch (RuntimeException e) {
                last = e;
                try {
                    Thread.sleep(500);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("interrupted while setting up Cassandra's roles", ie);
                }
            }
        }
        if (last != null) {
            throw new IllegalStateException("cannot log in to the secure Cassandra as its default superuser to "
                    + "set up roles within 120 s: " + last.getMessage(), last);
        }
        try (var s = ScyllaMetaStore.session(root())) {
            s.execute("DROP ROLE IF EXISTS cassandra");
            for (String role : java.util.List.of(ADMIN, WRITER, READER)) {
                s.execute("CREATE ROLE IF NOT EXISTS " + role + " WITH PASSWORD = '" + passwords.get(role)
                        + "' AND LOGIN = true");
            }
            s.execute("GRANT CREATE ON ALL KEYSPACES TO " + ADMIN);
        }
    }

    /**
     * Secure profile: keyspace {@code keyspace} migrated by {@link #ADMIN} (its creator), then SELECT and MODIFY on it
     * granted to {@link #WRITER} and SELECT to {@link #READER}. Idempotent.
     */
    private synchronized void prepare(String keyspace) {
        if (!secure() || prepared.contains(keyspace)) {
            return;
        }
        ScyllaMetaStore.migrate(role(ADMIN, keyspace).withMigrate(true));
        try (var s = ScyllaMetaStore.session(root())) {
            s.execute("GRANT SELECT ON KEYSPACE " + keyspace + " TO " + WRITER);
            s.execute("GRANT MODIFY ON KEYSPACE " + keyspace + " TO " + WRITER);
            s.execute("GRANT SELECT ON KEYSPACE " + keyspace + " TO " + READER);
        }
        prepared.add(keyspace);
    }

    private CqlConfig base(String keyspace) {
        return new CqlConfig(nodes.stream().map(n -> new java.net.InetSocketAddress(n.host(), n.cqlPort())).toList(),
                cassandra.datacenter(), keyspace, nodes.size(), null, null, secure(), Duration.ofSeconds(4), !secure(),
                secure() ? tls.caPem() : null);
    }

    private CqlConfig root() {
        return base("system").withMigrate(false).withCredentials(ROOT, passwords.get(ROOT));
    }

    /**
     * Secure profile: the configuration of {@code role} ({@link #ADMIN}, {@link #WRITER}, {@link #READER}) for
     * {@code keyspace}, over TLS trusting this set's CA. Connecting with it does not migrate.
     */
    public CqlConfig role(String role, String keyspace) {
        if (!secure()) {
            throw new IllegalStateException("roles exist in the secure profile only");
        }
        String pass = passwords.get(role);
        if (pass == null) {
            throw new IllegalArgumentException("no role " + role + " (roles: " + ADMIN + ", " + WRITER + ", "
                    + READER + ")");
        }
        return base(keyspace).withMigrate(false).withCredentials(role, pass);
    }

    /** The (first) Cassandra node: the only one, or node 1 of a cluster (its seed). */
    public LocalCassandra cassandra() {
        return cassandra;
    }

    /** Every Cassandra node, in address order (one unless started as a cluster). */
    public java.util.List<LocalCassandra> nodes() {
        return nodes;
    }

    public LocalS3Proxy s3() {
        return s3;
    }

    public Path dir() {
        return dir;
    }

    /**
     * The CQL configuration of the local server, with {@code keyspace}. Plain profile: it migrates the schema on
     * connect (the server is this process's own). Secure profile: the keyspace is migrated by {@link #ADMIN} first and
     * this is the {@link #WRITER} role's configuration, which has no right to change the schema.
     */
    public CqlConfig cql(String keyspace) {
        if (secure()) {
            prepare(keyspace);
            return role(WRITER, keyspace);
        }
        return base(keyspace);
    }

    /** The S3 configuration of the local server, with {@code bucket} (over HTTPS trusting this set's CA if secure). */
    public S3Config s3(String bucket) {
        return new S3Config(s3.endpoint(), s3.accessKey(), s3.secretKey(), bucket, Duration.ofSeconds(4),
                secure() ? tls.caPem() : null);
    }

    /** The secret values of this set of servers (passwords, the S3 key, the keystore's): for scans that none leaked. */
    public java.util.List<String> secretValues() {
        java.util.List<String> all = new java.util.ArrayList<>(passwords.values());
        all.add(s3.secretKey());
        if (tls != null) {
            all.add(tls.storePassword());
        }
        return all;
    }

    @Override
    public void close() {
        nodes.parallelStream().forEach(LocalCassandra::close);
        s3.close();
        Cgroups.remove(cgroups);
    }
}
