package io.fli.backends;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * Apache Cassandra 5 (CQL with the same lightweight-transaction semantics as ScyllaDB) as a child JVM on 127.0.0.1:
 * one node, {@code commitlog_sync: batch} (an acknowledged write survives {@code kill -9}), 512 MB heap, fast start.
 */
public final class LocalCassandra extends LocalServer {
    private int cqlPort;
    private int storagePort;
    private final boolean portsChosen;
    /** The node's loopback address (127.0.0.1 for a single node; .1, .2, .3 in a cluster). */
    private final String host;
    /** The seed's address, and this node's token and the cluster size (1: a single node). */
    private final String seed;
    private final String initialToken;
    private final int clusterSize;
    /** The cgroup (v2, relative to its root) the node's JVM joins before it opens a socket, or null. */
    private final String cgroup;
    private final LocalTls tls;

    /** A node on ports chosen here (chosen again if one is taken before the first start binds it). */
    public LocalCassandra(Path dir) {
        this(dir, null);
    }

    /** A secure (non-null {@code tls}) or plain node on ports chosen here. */
    public LocalCassandra(Path dir, LocalTls tls) {
        this(dir, freePort(), freePort(), tls, true);
    }

    public LocalCassandra(Path dir, int cqlPort, int storagePort) {
        this(dir, cqlPort, storagePort, null);
    }

    /**
     * A node; with {@code tls} non-null, the secure profile: the native port speaks TLS only (the certificate of
     * {@code tls}), {@code PasswordAuthenticator} and {@code CassandraAuthorizer} (roles with permissions), and the
     * audit log on for DDL, DCL and AUTH events in {@code logs/audit.log}.
     */
    public LocalCassandra(Path dir, int cqlPort, int storagePort, LocalTls tls) {
        this(dir, cqlPort, storagePort, tls, false);
    }

    private LocalCassandra(Path dir, int cqlPort, int storagePort, LocalTls tls, boolean portsChosen) {
        this(dir, cqlPort, storagePort, tls, portsChosen, "127.0.0.1", "127.0.0.1", "0", 1, null);
    }

    private LocalCassandra(Path dir, int cqlPort, int storagePort, LocalTls tls, boolean portsChosen, String host,
                           String seed, String initialToken, int clusterSize, String cgroup) {
        super(dir);
        this.cgroup = cgroup;
        this.portsChosen = portsChosen;
        this.host = host;
        this.seed = seed;
        this.initialToken = initialToken;
        this.clusterSize = clusterSize;
        this.cqlPort = cqlPort;
        this.storagePort = storagePort;
        this.tls = tls;
    }

    /**
     * Node {@code index} (from 0) of a cluster of {@code size} on loopback addresses 127.0.0.1, .2, ...: every node on
     * the same two ports of its own address, node 0 the seed, one token per node spaced evenly over the Murmur3 ring
     * (parallel starts need fixed tokens), no bootstrap streaming (the cluster starts empty).
     */
    public static LocalCassandra clusterNode(Path dir, int index, int size, int cqlPort, int storagePort) {
        return clusterNode(dir, index, size, cqlPort, storagePort, null);
    }

    /**
     * As {@link #clusterNode(Path, int, int, int, int)}, the node's JVM in control group {@code cgroup} (v2, relative
     * to the root; null: none) from before it opens its first socket, on every start.
     */
    public static LocalCassandra clusterNode(Path dir, int index, int size, int cqlPort, int storagePort,
                                             String cgroup) {
        if (size < 1 || size > 9 || index < 0 || index >= size) {
            throw new IllegalArgumentException("node " + index + " of a cluster of " + size + " (1 to 9 nodes)");
        }
        return new LocalCassandra(dir, cqlPort, storagePort, null, false, address(index), address(0),
                token(index, size), size, cgroup);
    }

    /** The node's control group (relative to the cgroup v2 root), or null. */
    public String cgroup() {
        return cgroup;
    }

    /**
     * Starts {@code nodes} in parallel (a cluster's fixed tokens make that safe) and waits for every start; returns
     * the failures by node address, in address order. An interrupt stops the wait, with the thread's interrupt
     * flag set again.
     */
    public static java.util.SortedMap<String, RuntimeException> startAll(List<LocalCassandra> nodes) {
        java.util.SortedMap<String, RuntimeException> failed = java.util.Collections.synchronizedSortedMap(
                new java.util.TreeMap<>());
        List<Thread> starters = new ArrayList<>();
        for (LocalCassandra n : nodes) {
            Thread t = new Thread(() -> {
                try {
                    n.start();
                } catch (RuntimeException e) {
                    failed.put(n.host(), e);
                }
            }, "start " + n.name());
            t.start();
            starters.add(t);
        }
        for (Thread t : starters) {
            try {
                t.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        return new java.util.TreeMap<>(failed);
    }

    /** The loopback address of node {@code index}: 127.0.0.(index + 1). */
    public static String address(int index) {
        return "127.0.0." + (index + 1);
    }

    /** Evenly spaced Murmur3 tokens: node i of n gets min + i * 2^64 / n. */
    static String token(int index, int size) {
        java.math.BigInteger span = java.math.BigInteger.ONE.shiftLeft(64);
        return java.math.BigInteger.valueOf(Long.MIN_VALUE)
                .add(span.multiply(java.math.BigInteger.valueOf(index)).divide(java.math.BigInteger.valueOf(size)))
                .toString();
    }

    /** The node's loopback address. */
    public String host() {
        return host;
    }

    @Override
    public String readyHost() {
        return host;
    }

    /** The internode (gossip and messaging) port; in a cluster, the same on every node's address. */
    public int storagePort() {
        return storagePort;
    }

    /** Whether this node runs the secure profile. */
    public boolean secure() {
        return tls != null;
    }

    /** The audit log of the secure profile (DDL, DCL and AUTH events; passwords obfuscated by Cassandra). */
    public Path auditLog() {
        return dir.resolve("logs").resolve("audit.log");
    }

    @Override
    public String name() {
        return clusterSize == 1 ? "cassandra" : "cassandra " + host;
    }

    @Override
    protected boolean choosePortsAgain() {
        if (!portsChosen) {
            return false;
        }
        cqlPort = freePort();
        storagePort = freePort();
        return true;
    }

    /** The CQL (native transport) port. */
    public int cqlPort() {
        return cqlPort;
    }

    @Override
    public int readyPort() {
        return cqlPort;
    }

    @Override
    protected Duration startTimeout() {
        return Duration.ofSeconds(120);
    }

    /** Cassandra's data center name with {@code SimpleSnitch}. */
    public String datacenter() {
        return "datacenter1";
    }

    @Override
    protected List<String> command() throws IOException {
        Path conf = dir.resolve("conf");
        Files.createDirectories(conf);
        Path data = dir.resolve("data");
        Files.createDirectories(data);
        List<String> security = tls == null ? List.of(
                "authenticator: AllowAllAuthenticator",
                "authorizer: AllowAllAuthorizer") : List.of(
                "authenticator: PasswordAuthenticator",
                "authorizer: CassandraAuthorizer",
                "role_manager: CassandraRoleManager",
                "client_encryption_options:",
                "  enabled: true",
                "  optional: false",
                "  keystore: " + tls.serverKeystore(),
                "  keystore_password: " + tls.storePassword(),
                "  store_type: PKCS12",
                "  require_client_auth: false",
                "audit_logging_options:",
                "  enabled: true",
                "  logger:",
                "    - class_name: FileAuditLogger",
                "  included_categories: DDL,DCL,AUTH");
        // It may hold the keystore's password: owner-only.
        Secrets.writePrivate(conf.resolve("cassandra.yaml"), String.join("\n",
                "cluster_name: fli-local",
                "num_tokens: 1",
                "initial_token: " + initialToken,
                "auto_bootstrap: false",
                "partitioner: org.apache.cassandra.dht.Murmur3Partitioner",
                "endpoint_snitch: SimpleSnitch",
                "commitlog_sync: batch",
                "seed_provider:",
                "  - class_name: org.apache.cassandra.locator.SimpleSeedProvider",
                "    parameters:",
                "      - seeds: \"" + seed + ":" + storagePort + "\"",
                "listen_address: " + host,
                "rpc_address: " + host,
                "storage_port: " + storagePort,
                "native_transport_port: " + cqlPort,
                "start_native_transport: true",
                "data_file_directories:",
                "  - " + data.resolve("data"),
                "commitlog_directory: " + data.resolve("commitlog"),
                "saved_caches_directory: " + data.resolve("saved_caches"),
                "hints_directory: " + data.resolve("hints"),
                "cdc_raw_directory: " + data.resolve("cdc_raw"),
                String.join("\n", security),
                "cas_contention_timeout: 2000ms",
                "write_request_timeout: 4000ms",
                "read_request_timeout: 4000ms",
                "disk_access_mode: standard",
                "") + "\n");
        Files.writeString(conf.resolve("logback.xml"), """
                <configuration>
                  <appender name="FILE" class="ch.qos.logback.core.FileAppender">
                    <file>%s</file>
                    <encoder><pattern>%%d{HH:mm:ss.SSS} %%-5level [%%thread] %%logger{20} - %%msg%%n</pattern></encoder>
                  </appender>
                  <appender name="AUDIT" class="ch.qos.logback.core.FileAppender">
                    <file>%s</file>
                    <encoder><pattern>%%d{HH:mm:ss.SSS} %%msg%%n</pattern></encoder>
                  </appender>
                  <logger name="org.apache.cassandra.audit.FileAuditLogger" level="INFO" additivity="false">
                    <appender-ref ref="AUDIT"/>
                  </logger>
                  <root level="INFO"><appender-ref ref="FILE"/></root>
                </configuration>
                """.formatted(dir.resolve("logs").resolve("system.log"), auditLog()));
        Path lib = serversDir().resolve("cassandra");
        String classpath;
        try (Stream<Path> jars = Files.list(lib)) {
            classpath = conf + java.io.File.pathSeparator + String.join(java.io.File.pathSeparator,
                    jars.filter(p -> p.toString().endsWith(".jar")).sorted().map(Path::toString).toList());
        }
        List<String> cmd = new ArrayList<>(List.of(java(), "-Xms512m", "-Xmx512m", "-XX:+UseG1GC",
                "-Xss512k", "-Dcassandra-foreground=yes",
                "-Dcassandra.config=file://" + conf.resolve("cassandra.yaml"),
                "-Dcassandra.storagedir=" + data,
                "-Dcassandra.logdir=" + dir.resolve("logs"),
                "-Dlogback.configurationFile=" + conf.resolve("logback.xml"),
                "-Dcassandra.ring_delay_ms=1000",
                "-Dcassandra.skip_wait_for_gossip_to_settle=0",
                "-Dcassandra.superuser_setup_delay_ms=0",
                "-Djdk.attach.allowAttachSelf=true",
                "-Dio.netty.tryReflectionSetAccessible=true"));
        if (Boolean.getBoolean("fli.cassandra.c1") || "true".equals(System.getenv("FLI_CASSANDRA_C1"))) {
            // Test suites: C1 only starts and restarts nodes faster on two shared cores (measured 10-15% shorter
            // suites); benchmarks and people's servers keep the full JIT.
            cmd.add("-XX:TieredStopAtLevel=1");
        }
        for (String mod : List.of("java.base/jdk.internal.misc", "java.management.rmi/com.sun.jmx.remote.internal.rmi",
                "java.rmi/sun.rmi.registry", "java.rmi/sun.rmi.server", "java.sql/java.sql", "java.base/java.lang.ref",
                "jdk.unsupported/sun.misc", "jdk.compiler/com.sun.tools.javac.file", "jdk.attach/sun.tools.attach")) {
            cmd.add("--add-exports");
            cmd.add(mod + "=ALL-UNNAMED");
        }
        for (String mod : List.of("java.base/java.lang.module", "java.base/jdk.internal.loader",
                "java.base/jdk.internal.ref", "java.base/jdk.internal.reflect", "java.base/jdk.internal.math",
                "java.base/jdk.internal.module", "java.base/jdk.internal.util.jar",
                "jdk.management/com.sun.management.internal", "java.base/sun.nio.ch", "java.base/java.io",
                "java.base/java.lang.reflect", "jdk.compiler/com.sun.tools.javac", "java.base/java.lang",
                "java.base/java.util")) {
            cmd.add("--add-opens");
            cmd.add(mod + "=ALL-UNNAMED");
        }
        cmd.add("-cp");
        cmd.add(classpath);
        cmd.add("org.apache.cassandra.service.CassandraDaemon");
        if (cgroup != null) {
            // The shell joins the group, then becomes the JVM (same PID): every socket the node opens is the group's.
            Cgroups.create(cgroup);
            List<String> wrapped = new ArrayList<>(List.of("bash", "-c",
                    "echo $$ > '" + Cgroups.procs(cgroup) + "' && exec \"$0\" \"$@\""));
            wrapped.addAll(cmd);
            return wrapped;
        }
        return cmd;
    }
}
