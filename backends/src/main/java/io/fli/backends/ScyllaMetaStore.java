package io.fli.backends;

import com.datastax.oss.driver.api.core.ConsistencyLevel;
import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.CqlSessionBuilder;
import com.datastax.oss.driver.api.core.DriverException;
import com.datastax.oss.driver.api.core.NoNodeAvailableException;
import com.datastax.oss.driver.api.core.AllNodesFailedException;
import com.datastax.oss.driver.api.core.config.DefaultDriverOption;
import com.datastax.oss.driver.api.core.config.DriverConfigLoader;
import com.datastax.oss.driver.api.core.cql.PreparedStatement;
import com.datastax.oss.driver.api.core.cql.ResultSet;
import com.datastax.oss.driver.api.core.cql.Row;
import com.datastax.oss.driver.api.core.cql.SimpleStatement;
import com.datastax.oss.driver.api.core.servererrors.CASWriteUnknownException;
import com.datastax.oss.driver.api.core.servererrors.WriteTimeoutException;
import io.fli.engine.BackendException;
import io.fli.engine.CasResult;
import io.fli.engine.HealthReporting;
import io.fli.engine.MetaRecord;
import io.fli.engine.MetaStore;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * {@link MetaStore} on a CQL cluster with true lightweight transactions (ScyllaDB in production; Apache Cassandra 5
 * in this project's tests — the same LWT semantics).
 *
 * <ul>
 *   <li>put-if-absent is {@code INSERT … IF NOT EXISTS}; compare-and-set is
 *       {@code UPDATE … IF version = ? AND epoch = ?} — the writer fence is inside the Paxos condition.</li>
 *   <li>Applied / not applied is read from the result ({@code wasApplied()}); the current record of a failed
 *       condition comes from a SERIAL read.</li>
 *   <li>A CAS {@link WriteTimeoutException} or a {@link CASWriteUnknownException} — or any failure after the request
 *       may have reached a coordinator — is {@link CasResult.Unknown}: it may apply, even later.</li>
 *   <li>Reads are {@code SERIAL}: linearizable, and they settle any Paxos round in flight.</li>
 *   <li>Reads are retried with exponential backoff and jitter; conditional writes never are. A circuit breaker
 *       guards every call.</li>
 * </ul>
 */
public final class ScyllaMetaStore implements MetaStore, HealthReporting {
    /** Schema migrations, applied in order, each recorded in {@code schema_migrations}; safe to run twice. */
    public static final List<String> MIGRATIONS = List.of(
            "CREATE TABLE IF NOT EXISTS %s.meta (key text PRIMARY KEY, version bigint, epoch bigint, value blob)");

    private final CqlSession session;
    private final String keyspace;
    private final Resilience resilience;
    private final PreparedStatement select;
    private final PreparedStatement selectCommitted;
    private final PreparedStatement insert;
    private final PreparedStatement update;

    private ScyllaMetaStore(CqlSession session, String keyspace, long jitterSeed) {
        this.session = session;
        this.keyspace = keyspace;
        this.resilience = new Resilience("cql", 4, Duration.ofMillis(50), ScyllaMetaStore::transientError,
                jitterSeed);
        this.select = session.prepare(SimpleStatement.newInstance(
                "SELECT version, epoch, value FROM " + keyspace + ".meta WHERE key = ?")
                .setConsistencyLevel(ConsistencyLevel.SERIAL));
        // The LWTs below commit at QUORUM before they return, so a QUORUM read sees every one that completed.
        this.selectCommitted = session.prepare(SimpleStatement.newInstance(
                "SELECT version, epoch, value FROM " + keyspace + ".meta WHERE key = ?")
                .setConsistencyLevel(ConsistencyLevel.QUORUM));
        this.insert = session.prepare(SimpleStatement.newInstance(
                "INSERT INTO " + keyspace + ".meta (key, version, epoch, value) VALUES (?, 1, ?, ?) IF NOT EXISTS")
                .setConsistencyLevel(ConsistencyLevel.QUORUM).setSerialConsistencyLevel(ConsistencyLevel.SERIAL));
        this.update = session.prepare(SimpleStatement.newInstance(
                "UPDATE " + keyspace + ".meta SET version = ?, epoch = ?, value = ? WHERE key = ? "
                        + "IF version = ? AND epoch = ?")
                .setConsistencyLevel(ConsistencyLevel.QUORUM).setSerialConsistencyLevel(ConsistencyLevel.SERIAL));
    }

    /**
     * TLS for the CQL connection: the CAs of {@code caPem} (the JVM's default trust store when null), and the
     * server's certificate must name the host the driver connects to (hostname validation on: the driver's
     * {@code withSslContext} leaves it off, and TLS without it is not TLS against an attacker in the middle).
     */
    static com.datastax.oss.driver.api.core.ssl.SslEngineFactory sslEngineFactory(java.nio.file.Path caPem) {
        return new com.datastax.oss.driver.api.core.ssl.ProgrammaticSslEngineFactory(TrustedCa.context(caPem), null,
                true);
    }

    /**
     * What went wrong connecting, in words an operator can act on: the TLS, authentication and authorization
     * failures a secure cluster refuses a client with, named as such (the driver's own message follows).
     */
    static String explain(Throwable e, CqlConfig c) {
        String all = chain(e);
        if (all.contains("PKIXPathBuildingException") || all.contains("unable to find valid certification path")) {
            return "TLS refused: the server's certificate is not signed by a trusted CA ("
                    + (c.tlsCa() == null ? "the JVM's default trust store; set FLI_CQL_TLS_CA_FILE to the cluster's CA"
                    : "trusting only " + c.tlsCa()) + ")";
        }
        if (all.contains("No subject alternative") || all.contains("No name matching")
                || all.contains("doesn't match any of the subject alternative names")) {
            return "TLS refused: hostname mismatch, the server's certificate does not name the host connected to "
                    + c.contactPoints();
        }
        if (all.contains("AuthenticationException") || all.contains("Provided username")
                || all.contains("Authentication error")) {
            return "authentication failed for user '" + c.username() + "' (wrong user name or password, "
                    + "FLI_CQL_USERNAME / FLI_CQL_PASSWORD[_FILE])";
        }
        if (all.contains("requires authentication") || all.contains("but no authenticator")) {
            return "the server requires authentication and no credentials were given (FLI_CQL_USERNAME, "
                    + "FLI_CQL_PASSWORD[_FILE])";
        }
        if (!c.tls() && (all.contains("ClosedConnectionException") || all.contains("HeartbeatException")
                || all.contains("Connection reset") || all.contains("Lost connection") || all.contains("closed"))) {
            return "the connection was closed during the handshake: plaintext sent to a TLS-only port? "
                    + "(FLI_CQL_TLS=true)";
        }
        if (c.tls() && (all.contains("SSLHandshakeException") || all.contains("not an SSL/TLS record")
                || all.contains("NotSslRecordException"))) {
            return "TLS handshake failed: the server may not speak TLS on this port";
        }
        return null;
    }

    /** Every message of {@code e}'s causes and suppressed exceptions (the driver nests them per node). */
    static String chain(Throwable e) {
        StringBuilder sb = new StringBuilder();
        java.util.ArrayDeque<Throwable> todo = new java.util.ArrayDeque<>();
        java.util.Set<Throwable> seen = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
        todo.add(e);
        while (!todo.isEmpty() && sb.length() < 20_000) {
            Throwable t = todo.poll();
            if (!seen.add(t)) {
                continue;
            }
            sb.append(t.getClass().getName()).append(": ").append(t.getMessage()).append('\n');
            if (t instanceof com.datastax.oss.driver.api.core.AllNodesFailedException a) {
                a.getAllErrors().values().forEach(todo::addAll);
            }
            if (t.getCause() != null) {
                todo.add(t.getCause());
            }
            java.util.Collections.addAll(todo, t.getSuppressed());
        }
        return sb.toString();
    }

    public static ScyllaMetaStore connect(CqlConfig c) {
        return connect(c, Resilience.processSeed());
    }

    /** As {@link #connect(CqlConfig)}, with the retry jitter drawn from {@code jitterSeed} (reproducible runs). */
    public static ScyllaMetaStore connect(CqlConfig c, long jitterSeed) {
        CqlSession session = session(c);
        try {
            if (c.migrate()) {
                migrate(session, c.keyspace(), c.replicationFactor());
            } else {
                int at = schemaVersion(session, c.keyspace());
                if (at < MIGRATIONS.size()) {
                    throw new SchemaOutdatedException("the CQL schema of keyspace '" + c.keyspace() + "' at "
                            + c.contactPoints() + " is at version " + at + ", this fli needs version "
                            + MIGRATIONS.size() + ": run 'fli admin migrate' with the credentials of a role allowed "
                            + "to create keyspaces and tables (the application never changes the schema)");
                }
            }
            return new ScyllaMetaStore(session, c.keyspace(), jitterSeed);
        } catch (RuntimeException e) {
            session.close();
            throw e;
        }
    }

    /**
     * Applies the pending schema migrations ({@code fli admin migrate}) with {@code c}'s credentials, which must be
     * allowed to create keyspaces and tables. Idempotent.
     *
     * @return the schema version before and after
     */
    public static int[] migrate(CqlConfig c) {
        try (CqlSession session = session(c)) {
            int before = schemaVersion(session, c.keyspace());
            migrate(session, c.keyspace(), c.replicationFactor());
            return new int[]{before, schemaVersion(session, c.keyspace())};
        }
    }

    static CqlSession session(CqlConfig c) {
        DriverConfigLoader loader = DriverConfigLoader.programmaticBuilder()
                .withDuration(DefaultDriverOption.REQUEST_TIMEOUT, c.requestTimeout())
                .withDuration(DefaultDriverOption.CONNECTION_INIT_QUERY_TIMEOUT, Duration.ofSeconds(10))
                .withDuration(DefaultDriverOption.CONTROL_CONNECTION_TIMEOUT, Duration.ofSeconds(10))
                .withDuration(DefaultDriverOption.METADATA_SCHEMA_REQUEST_TIMEOUT, Duration.ofSeconds(20))
                .withDuration(DefaultDriverOption.RECONNECTION_BASE_DELAY, Duration.ofMillis(200))
                .withDuration(DefaultDriverOption.RECONNECTION_MAX_DELAY, Duration.ofSeconds(2))
                .withBoolean(DefaultDriverOption.REQUEST_DEFAULT_IDEMPOTENCE, false)
                .build();
        CqlSessionBuilder b = CqlSession.builder().withConfigLoader(loader).addContactPoints(c.contactPoints())
                .withLocalDatacenter(c.localDatacenter());
        if (c.username() != null) {
            b = b.withAuthCredentials(c.username(), c.password() == null ? "" : c.password());
        }
        if (c.tls()) {
            b = b.withSslEngineFactory(sslEngineFactory(c.tlsCa()));
        }
        if (c.coordinator() != null) {
            // Every other node is ignored: requests go to this coordinator or fail, as a client pinned to it would.
            java.net.InetSocketAddress pin = c.coordinator();
            b = b.withNodeDistanceEvaluator((node, dc) -> coordinates(node, pin) ? null
                    : com.datastax.oss.driver.api.core.loadbalancing.NodeDistance.IGNORED);
        }
        try {
            return b.build();
        } catch (DriverException e) {
            String why = explain(e, c);
            throw new BackendException("cannot reach the CQL cluster at " + c.contactPoints() + ": "
                    + (why == null ? "" : why + "; ") + e.getMessage(), e);
        }
    }

    /**
     * The nodes of the cluster and the state the driver holds each in ({@code UP}, {@code DOWN}, ...), e.g.
     * {@code 127.0.0.1:9042 UP, 127.0.0.2:9042 DOWN}: for an operator's status line.
     */
    public static String ringView(CqlConfig c) {
        try (CqlSession s = session(c)) {
            return String.join(", ", s.getMetadata().getNodes().values().stream()
                    .sorted(java.util.Comparator.comparing(n -> n.getEndPoint().toString()))
                    .map(n -> n.getBroadcastRpcAddress().map(a -> a.getHostString() + ":" + a.getPort())
                            .orElse(n.getEndPoint().toString()) + " " + n.getState()).toList());
        }
    }

    /** Whether {@code node} is the one at {@code pin} (its native-transport address, as the cluster advertises it). */
    static boolean coordinates(com.datastax.oss.driver.api.core.metadata.Node node, java.net.InetSocketAddress pin) {
        java.util.Optional<java.net.InetSocketAddress> rpc = node.getBroadcastRpcAddress();
        java.net.SocketAddress at = rpc.isPresent() ? rpc.get() : node.getEndPoint().resolve();
        return at instanceof java.net.InetSocketAddress a && a.getPort() == pin.getPort()
                && (a.getHostString().equals(pin.getHostString()) || (a.getAddress() != null && pin.getAddress() != null
                && a.getAddress().equals(pin.getAddress())));
    }

    /** Creates the keyspace and applies pending migrations; records each applied version. Idempotent. */
    static int migrate(CqlSession s, String ks, int rf) {
        s.execute(SimpleStatement.newInstance("CREATE KEYSPACE IF NOT EXISTS " + ks
                + " WITH replication = {'class': 'SimpleStrategy', 'replication_factor': " + rf + "}")
                .setTimeout(Duration.ofSeconds(30)));
        s.execute(SimpleStatement.newInstance("CREATE TABLE IF NOT EXISTS " + ks
                + ".schema_migrations (version int PRIMARY KEY, statement text, applied_at timestamp)")
                .setTimeout(Duration.ofSeconds(30)));
        int applied = 0;
        for (int v = 1; v <= MIGRATIONS.size(); v++) {
            Row done = s.execute(SimpleStatement.newInstance("SELECT version FROM " + ks
                    + ".schema_migrations WHERE version = ?", v).setConsistencyLevel(ConsistencyLevel.SERIAL)).one();
            if (done != null) {
                continue;
            }
            String stmt = MIGRATIONS.get(v - 1).formatted(ks);
            s.execute(SimpleStatement.newInstance(stmt).setTimeout(Duration.ofSeconds(30)));
            s.execute(SimpleStatement.newInstance("INSERT INTO " + ks
                    + ".schema_migrations (version, statement, applied_at) VALUES (?, ?, ?) IF NOT EXISTS", v, stmt,
                    Instant.now()));
            applied++;
        }
        return applied;
    }

    /** The highest schema version applied. */
    public int schemaVersion() {
        return schemaVersion(session, keyspace);
    }

    /** The highest schema version applied in {@code ks}; 0 when the keyspace or its migration table is missing. */
    static int schemaVersion(CqlSession s, String ks) {
        int max = 0;
        try {
            for (Row r : s.execute(SimpleStatement.newInstance("SELECT version FROM " + ks + ".schema_migrations")
                    .setConsistencyLevel(ConsistencyLevel.QUORUM))) {
                max = Math.max(max, r.getInt(0));
            }
        } catch (com.datastax.oss.driver.api.core.servererrors.InvalidQueryException e) {
            return 0; // no keyspace or no table yet
        }
        return max;
    }

    /** The schema version this code needs. */
    public static int requiredSchemaVersion() {
        return MIGRATIONS.size();
    }

    /** Connecting to a keyspace whose schema is older than this code needs. */
    public static final class SchemaOutdatedException extends BackendException {
        SchemaOutdatedException(String message) {
            super(message);
        }
    }

    static boolean transientError(Throwable e) {
        // A refusal on the query's merits (not permitted, invalid, a syntax error) is the same on every attempt.
        return e instanceof DriverException
                && !(e instanceof com.datastax.oss.driver.api.core.servererrors.QueryValidationException);
    }

    @Override
    public Optional<MetaRecord> get(String key) {
        try {
            return resilience.idempotent("read of " + key, () -> {
                Row r = session.execute(select.bind(key)).one();
                return Optional.ofNullable(r == null ? null : record(key, r));
            });
        } catch (DriverException e) {
            throw new BackendException("cql read of " + key + " failed: " + e.getMessage(), e);
        }
    }

    /** A QUORUM read: sees every LWT that returned (their commit is written at QUORUM first); no Paxos round. */
    @Override
    public Optional<MetaRecord> getCommitted(String key) {
        try {
            return resilience.idempotent("committed read of " + key, () -> {
                Row r = session.execute(selectCommitted.bind(key)).one();
                return Optional.ofNullable(r == null ? null : record(key, r));
            });
        } catch (DriverException e) {
            throw new BackendException("cql read of " + key + " failed: " + e.getMessage(), e);
        }
    }

    private static MetaRecord record(String key, Row r) {
        ByteBuffer b = r.getByteBuffer("value");
        byte[] value = new byte[b == null ? 0 : b.remaining()];
        if (b != null) {
            b.duplicate().get(value);
        }
        return new MetaRecord(key, r.getLong("version"), r.getLong("epoch"), value);
    }

    @Override
    public CasResult putIfAbsent(String key, long epoch, byte[] value) {
        return conditional("insert of " + key, () -> {
            ResultSet rs = session.execute(insert.bind(key, epoch, ByteBuffer.wrap(value)));
            if (rs.wasApplied()) {
                return new CasResult.Applied(new MetaRecord(key, 1, epoch, value.clone()));
            }
            Row cur = rs.one();
            return new CasResult.NotApplied(cur == null || cur.isNull("version") ? get(key)
                    : Optional.of(record(key, cur)));
        });
    }

    @Override
    public CasResult compareAndSet(String key, long expectedVersion, long expectedEpoch, long newEpoch, byte[] value) {
        return conditional("compare-and-set of " + key, () -> {
            ResultSet rs = session.execute(update.bind(expectedVersion + 1, newEpoch, ByteBuffer.wrap(value), key,
                    expectedVersion, expectedEpoch));
            if (rs.wasApplied()) {
                return new CasResult.Applied(new MetaRecord(key, expectedVersion + 1, newEpoch, value.clone()));
            }
            // The failed condition returns only the compared columns; the whole record comes from a SERIAL read.
            return new CasResult.NotApplied(get(key));
        });
    }

    private CasResult conditional(String what, java.util.function.Supplier<CasResult> call) {
        try {
            return resilience.once(what, call);
        } catch (WriteTimeoutException e) {
            // Write type CAS (or the commit of an accepted proposal): the Paxos round may still complete.
            return new CasResult.Unknown(e);
        } catch (CASWriteUnknownException e) {
            return new CasResult.Unknown(e);
        } catch (com.datastax.oss.driver.api.core.servererrors.QueryValidationException e) {
            // Refused before any Paxos round (e.g. the role has no MODIFY permission): definitely not applied.
            throw new BackendException("cql " + what + " refused by the server: " + e.getMessage(), e);
        } catch (NoNodeAvailableException e) {
            // Nothing was sent: definitely not applied.
            throw new BackendException("cql " + what + ": no node available: " + e.getMessage(), e);
        } catch (AllNodesFailedException e) {
            return new CasResult.Unknown(e);
        } catch (DriverException e) {
            return new CasResult.Unknown(e);
        }
    }

    @Override
    public Optional<String> throttledReason() {
        return resilience.throttledReason();
    }

    public Resilience resilience() {
        return resilience;
    }

    @Override
    public void close() {
        session.close();
    }
}
