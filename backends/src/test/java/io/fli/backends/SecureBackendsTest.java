package io.fli.backends;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.datastax.oss.driver.api.core.servererrors.UnauthorizedException;
import io.fli.engine.BackendException;
import io.fli.engine.Block;
import io.fli.engine.CasResult;
import io.fli.engine.IndexConfig;
import io.fli.engine.LogIndex;
import io.fli.engine.LogQuery;
import io.fli.engine.Writer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The secure profile on the real servers (issue #12): Cassandra with client TLS only, password authentication and
 * roles, S3Proxy over HTTPS. The application's role works; every refusal the issue lists is refused, with an error
 * that says why; the audit log records DDL, DCL and logins without a password in it.
 */
class SecureBackendsTest {
    private static LocalBackends b;

    @BeforeAll
    static void start() {
        Path dir = Path.of(System.getProperty("fli.work", "target/backends"), "secure-" + ProcessHandle.current().pid());
        b = new LocalBackends(dir, true).start();
    }

    @AfterAll
    static void stop() {
        if (b != null) {
            b.close();
        }
    }

    @Test
    void theWriterRoleIngestsAndQueriesOverTlsOnBothStores() {
        String ks = "secure_rt";
        try (ScyllaMetaStore meta = ScyllaMetaStore.connect(b.cql(ks));
             MinioBlobStore blobs = MinioBlobStore.connect(b.s3("secure-rt"));
             LogIndex index = LogIndex.open(meta, blobs, IndexConfig.defaults())) {
            List<Block> chain = RoundTripTest.chain(12, 30);
            Writer w = index.writer("secure");
            w.acquire();
            w.publish(chain);
            LogQuery q = LogQuery.range(null, null, List.of("0xa1"), List.of());
            assertThat(index.query(q).logs()).isEqualTo(RoundTripTest.expected(chain, q, 30));
        }
        assertThat(b.cql(ks).tls()).isTrue();
        assertThat(b.cql(ks).username()).isEqualTo(LocalBackends.WRITER);
        assertThat(b.s3("x").endpoint()).startsWith("https://127.0.0.1:");
    }

    @Test
    void plaintextAgainstTheTlsOnlyPortIsRefused() {
        assertThatThrownBy(() -> ScyllaMetaStore.connect(b.cql("secure_rt").withTls(false, null)))
                .isInstanceOf(BackendException.class).hasMessageContaining("plaintext sent to a TLS-only port");
        S3Config plain = b.s3("secure-rt").withEndpoint(b.s3().endpoint().replace("https://", "http://"));
        assertThatThrownBy(() -> MinioBlobStore.connect(plain)).isInstanceOf(BackendException.class)
                .hasMessageContaining("s3 bucket check at http://127.0.0.1:");
    }

    @Test
    void aServerCertificateNotSignedByATrustedCaIsRefused() {
        // The JVM's default trust store does not hold this run's private CA.
        assertThatThrownBy(() -> ScyllaMetaStore.connect(b.cql("secure_rt").withTls(true, null)))
                .isInstanceOf(BackendException.class)
                .hasMessageContaining("TLS refused: the server's certificate is not signed by a trusted CA");
        assertThatThrownBy(() -> MinioBlobStore.connect(b.s3("secure-rt").withCa(null)))
                .isInstanceOf(BackendException.class)
                .hasMessageContaining("TLS refused: the server's certificate is not signed by a trusted CA");
    }

    @Test
    void aCertificateForAnotherHostIsRefused() throws Exception {
        // 127.0.0.2 reaches the same servers through a plain TCP forwarder, but their certificate names only
        // 127.0.0.1 and localhost: a hostname mismatch, which both clients must refuse.
        try (Forwarder cql = new Forwarder(b.cassandra().cqlPort());
             Forwarder s3 = new Forwarder(b.s3().readyPort())) {
            assertThatThrownBy(() -> ScyllaMetaStore.connect(b.cql("secure_rt")
                    .withContactPoint("127.0.0.2:" + cql.port())))
                    .isInstanceOf(BackendException.class).hasMessageContaining("TLS refused: hostname mismatch");
            assertThatThrownBy(() -> MinioBlobStore.connect(b.s3("secure-rt")
                    .withEndpoint("https://127.0.0.2:" + s3.port())))
                    .isInstanceOf(BackendException.class).hasMessageContaining("TLS refused: hostname mismatch");
        }
    }

    @Test
    void aWrongPasswordAndTheRemovedDefaultSuperuserAreRefused() {
        assertThatThrownBy(() -> ScyllaMetaStore.connect(b.cql("secure_rt")
                .withCredentials(LocalBackends.WRITER, "not-the-password")))
                .isInstanceOf(BackendException.class)
                .hasMessageContaining("authentication failed for user '" + LocalBackends.WRITER + "'");
        assertThatThrownBy(() -> ScyllaMetaStore.connect(b.cql("secure_rt").withCredentials("cassandra", "cassandra")))
                .isInstanceOf(BackendException.class).hasMessageContaining("authentication failed for user 'cassandra'");
        assertThatThrownBy(() -> ScyllaMetaStore.connect(b.cql("secure_rt").withCredentials(null, null)))
                .isInstanceOf(BackendException.class).hasMessageContaining("requires authentication");
    }

    @Test
    void theReaderRoleReadsButCannotWrite() {
        b.cql("secure_rd");
        try (ScyllaMetaStore reader = ScyllaMetaStore.connect(b.role(LocalBackends.READER, "secure_rd"))) {
            assertThat(reader.get("meta/state")).isEmpty();
            assertThatThrownBy(() -> reader.putIfAbsent("meta/state", 1, new byte[]{1}))
                    .isInstanceOf(BackendException.class)
                    .hasMessageContaining("refused by the server")
                    .hasMessageContaining("has no MODIFY permission");
            assertThatThrownBy(() -> reader.compareAndSet("meta/state", 1, 1, 1, new byte[]{2}))
                    .isInstanceOf(BackendException.class).hasMessageContaining("has no MODIFY permission");
        }
        // The refusals were definite (not unknown outcomes): nothing was written.
        try (ScyllaMetaStore writer = ScyllaMetaStore.connect(b.cql("secure_rd"))) {
            assertThat(writer.get("meta/state")).isEmpty();
            assertThat(writer.putIfAbsent("meta/state", 1, new byte[]{1})).isInstanceOf(CasResult.Applied.class);
        }
    }

    @Test
    void theWriterRoleCannotChangeTheSchemaOrGrant() {
        String ks = "secure_ddl";
        b.cql(ks);
        try (var s = ScyllaMetaStore.session(b.role(LocalBackends.WRITER, ks))) {
            for (String[] stmt : new String[][]{
                    {"CREATE TABLE " + ks + ".evil (k text PRIMARY KEY)", "CREATE"},
                    {"CREATE KEYSPACE evil WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}",
                            "CREATE"},
                    {"ALTER TABLE " + ks + ".meta ADD evil text", "ALTER"},
                    {"DROP TABLE " + ks + ".meta", "DROP"},
                    {"GRANT MODIFY ON KEYSPACE " + ks + " TO " + LocalBackends.READER, "AUTHORIZE"},
                    {"CREATE ROLE evil WITH PASSWORD = 'x' AND LOGIN = true", "does not have sufficient privileges"}}) {
                assertThatThrownBy(() -> s.execute(stmt[0])).as(stmt[0])
                        .isInstanceOf(UnauthorizedException.class).hasMessageContaining(stmt[1]);
            }
        }
        // The admin role owns the schema (it ran the migration) but holds no grant on other roles' data paths.
        try (ScyllaMetaStore meta = ScyllaMetaStore.connect(b.cql(ks))) {
            assertThat(meta.schemaVersion()).isEqualTo(ScyllaMetaStore.MIGRATIONS.size());
        }
    }

    @Test
    void s3WithAWrongSecretIsRefused() {
        assertThatThrownBy(() -> MinioBlobStore.connect(b.s3("secure-rt").withSecretKey("0123456789abcdef")))
                .isInstanceOf(BackendException.class).hasMessageContaining("refused: the secret key is wrong");
    }

    @Test
    void theAuditLogRecordsDdlDclAndLoginsWithoutPasswords() throws Exception {
        // A failed login of its own, so the log has one whatever ran before.
        assertThatThrownBy(() -> ScyllaMetaStore.connect(b.cql("secure_rt")
                .withCredentials(LocalBackends.READER, "wrong-password-for-audit")))
                .isInstanceOf(BackendException.class);
        Path audit = b.cassandra().auditLog();
        String log = waitForContent(audit, "LOGIN_ERROR");
        assertThat(log).contains("type:CREATE_ROLE", "type:DROP_ROLE", "type:GRANT", "type:CREATE_KEYSPACE",
                "type:CREATE_TABLE", "type:LOGIN_SUCCESS", "type:LOGIN_ERROR", "user:" + LocalBackends.ADMIN);
        for (String secret : b.secretValues()) {
            assertThat(log).doesNotContain(secret);
        }
        assertThat(log).doesNotContain("wrong-password-for-audit");
    }

    @Test
    void secretsLiveOnlyInOwnerOnlyFilesAndNeverInTheEnvironmentFileOrConfigs() throws Exception {
        Path env = b.dir().resolve("backends.env");
        String text = Files.readString(env);
        assertThat(text).contains("FLI_CQL_TLS=true", "FLI_CQL_PASSWORD_FILE=", "FLI_S3_SECRET_KEY_FILE=",
                "FLI_CQL_TLS_CA_FILE=", "FLI_S3_CA_FILE=", "FLI_CQL_USERNAME=" + LocalBackends.WRITER);
        for (String secret : b.secretValues()) {
            assertThat(text).doesNotContain(secret);
        }
        for (Path p : List.of(env, b.dir().resolve("secrets").resolve("s3-secret-key"),
                b.dir().resolve("secrets").resolve("cql-fli_writer-password"),
                b.cassandra().dir().resolve("conf").resolve("cassandra.yaml"),
                b.s3().dir().resolve("s3proxy.properties"), b.tls().serverKeystore())) {
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(p))).as(p.toString())
                    .isEqualTo("rw-------");
        }
        // The backends.env configuration reaches both stores by itself (as a child process or an operator would).
        java.util.Map<String, String> vars = new java.util.HashMap<>();
        for (String line : text.split("\n")) {
            int eq = line.indexOf('=');
            if (eq > 0) {
                vars.put(line.substring(0, eq), line.substring(eq + 1));
            }
        }
        try (ScyllaMetaStore meta = ScyllaMetaStore.connect(CqlConfig.fromEnvironment(vars));
             MinioBlobStore blobs = MinioBlobStore.connect(S3Config.fromEnvironment(vars))) {
            assertThat(meta.schemaVersion()).isEqualTo(ScyllaMetaStore.MIGRATIONS.size());
            assertThat(blobs.list("")).isNotNull();
        }
        // No secret in any log of either server.
        try (Stream<Path> files = Files.walk(b.dir())) {
            for (Path f : files.filter(Files::isRegularFile).filter(p -> p.toString().endsWith(".log")).toList()) {
                String content = Files.readString(f, java.nio.charset.StandardCharsets.ISO_8859_1);
                for (String secret : b.secretValues()) {
                    assertThat(content).as(f.toString()).doesNotContain(secret);
                }
            }
        }
    }

    private static String waitForContent(Path file, String text) throws Exception {
        long end = System.nanoTime() + java.time.Duration.ofSeconds(60).toNanos();
        String s = "";
        while (System.nanoTime() < end) {
            s = Files.exists(file) ? Files.readString(file) : "";
            if (s.contains(text)) {
                return s;
            }
            Thread.sleep(200);
        }
        return s;
    }

    /** A plain TCP forwarder from 127.0.0.2 to a port of 127.0.0.1 (the TLS session passes through it unchanged). */
    static final class Forwarder implements AutoCloseable {
        private final ServerSocket server;

        Forwarder(int target) throws IOException {
            server = new ServerSocket();
            server.bind(new InetSocketAddress(InetAddress.getByName("127.0.0.2"), 0));
            Thread t = new Thread(() -> {
                while (!server.isClosed()) {
                    try {
                        Socket in = server.accept();
                        Socket out = new Socket(InetAddress.getLoopbackAddress(), target);
                        pump(in, out);
                        pump(out, in);
                    } catch (IOException e) {
                        return;
                    }
                }
            }, "forwarder");
            t.setDaemon(true);
            t.start();
        }

        int port() {
            return server.getLocalPort();
        }

        private static void pump(Socket from, Socket to) {
            Thread t = new Thread(() -> {
                try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
                    in.transferTo(out);
                } catch (IOException e) {
                    // closed
                } finally {
                    try {
                        from.close();
                        to.close();
                    } catch (IOException ignored) {
                        // closing
                    }
                }
            }, "forwarder-pump");
            t.setDaemon(true);
            t.start();
        }

        @Override
        public void close() throws IOException {
            server.close();
        }
    }
}
