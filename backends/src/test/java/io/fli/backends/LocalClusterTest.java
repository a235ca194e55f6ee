package io.fli.backends;

import static org.assertj.core.api.Assertions.assertThat;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.cql.ResultSet;
import io.fli.engine.BackendException;
import io.fli.engine.CasResult;
import io.fli.engine.MetaRecord;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real three-node Cassandra cluster on 127.0.0.1-3: the keyspace at RF 3, conditional writes that apply through
 * any majority and never without one, and a client pinned to one coordinator sending every request there.
 */
class LocalClusterTest {
    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void threeNodesServeConditionalWritesThroughAnyMajorityAndNeverWithoutOne(@TempDir Path dir) throws Exception {
        try (LocalBackends cluster = new LocalBackends(dir, false, 3).start()) {
            assertThat(cluster.nodes()).extracting(LocalCassandra::host)
                    .containsExactly("127.0.0.1", "127.0.0.2", "127.0.0.3");
            assertThat(cluster.nodes()).extracting(LocalCassandra::cqlPort).containsOnly(cluster.cassandra().cqlPort());
            // The suite's nodes run with C1 only (fli.cassandra.c1, set for every module's tests by the parent pom).
            assertThat(System.getProperty("fli.cassandra.c1")).isEqualTo("true");
            assertThat(java.nio.file.Files.readString(Path.of("/proc", Long.toString(cluster.nodes().get(0).pid()),
                    "cmdline"))).contains("-XX:TieredStopAtLevel=1");
            CqlConfig cql = cluster.cql("fli_cluster");
            assertThat(cql.contactPoints()).hasSize(3);
            assertThat(cql.replicationFactor()).isEqualTo(3);
            try (ScyllaMetaStore store = ScyllaMetaStore.connect(cql)) {
                try (CqlSession s = ScyllaMetaStore.session(cql.withMigrate(false))) {
                    var replication = s.execute("SELECT replication FROM system_schema.keyspaces WHERE "
                            + "keyspace_name = 'fli_cluster'").one().getMap("replication", String.class, String.class);
                    assertThat(replication).containsEntry("replication_factor", "3");
                    // Every node holds a replica of every row: three nodes, RF 3.
                    assertThat(s.getMetadata().getNodes()).hasSize(3);
                }
                assertThat(store.putIfAbsent("k", 1, b("v1"))).isInstanceOf(CasResult.Applied.class);

                // A client pinned to node 2 sends every request there.
                LocalCassandra two = cluster.nodes().get(1);
                CqlConfig pinned = cql.withMigrate(false).withCoordinator(new InetSocketAddress(two.host(),
                        two.cqlPort()));
                try (CqlSession s = ScyllaMetaStore.session(pinned)) {
                    for (int i = 0; i < 10; i++) {
                        ResultSet rs = s.execute("SELECT release_version FROM system.local");
                        var at = (InetSocketAddress) rs.getExecutionInfo().getCoordinator().getEndPoint().resolve();
                        assertThat(at.getAddress().getHostAddress()).isEqualTo("127.0.0.2");
                    }
                }

                // One node of three down: a majority of replicas remains, and conditional writes apply.
                cluster.nodes().get(2).kill();
                assertThat(casUntilSettled(store, "k", b("v2"))).as("one node down").isEqualTo(2);

                // A client pinned to the dead node gets nothing through it: it fails, it never goes elsewhere.
                LocalCassandra three = cluster.nodes().get(2);
                CqlConfig toDead = cql.withMigrate(false).withCoordinator(new InetSocketAddress(three.host(),
                        three.cqlPort())).withRequestTimeout(java.time.Duration.ofSeconds(2));
                boolean refused;
                try (ScyllaMetaStore viaDead = ScyllaMetaStore.connect(toDead)) {
                    CasResult r = viaDead.compareAndSet("k", 2, 1, 1, b("never"));
                    refused = !(r instanceof CasResult.Applied);
                } catch (RuntimeException e) {
                    refused = true;
                }
                assertThat(refused).as("a write pinned to a dead coordinator").isTrue();
                assertThat(store.get("k")).get().extracting(MetaRecord::version).isEqualTo(2L);

                // Two of three down: no majority, so no conditional write can apply.
                cluster.nodes().get(1).kill();
                CasResult minority;
                try {
                    minority = store.compareAndSet("k", 2, 1, 1, b("v3"));
                } catch (BackendException e) {
                    minority = null;
                }
                assertThat(minority).as("a write with one replica of three").isNotInstanceOf(CasResult.Applied.class);

                // Back to three: the record is where the majority left it, and writes apply again.
                cluster.nodes().get(1).start();
                cluster.nodes().get(2).start();
                long v = casUntilSettled(store, "k", b("v4"));
                assertThat(v).isGreaterThanOrEqualTo(3);
                assertThat(store.get("k")).get().extracting(r -> new String(r.value(), StandardCharsets.UTF_8))
                        .isEqualTo("v4");
            }
        }
    }

    @Test
    void aClusterWhosePortIsTakenBeforeItStartsStartsOnOthers(@TempDir Path dir) throws Exception {
        LocalBackends cluster = new LocalBackends(dir, false, 3);
        int taken = cluster.cassandra().cqlPort();
        try (java.net.ServerSocket squatter = new java.net.ServerSocket()) {
            squatter.bind(new InetSocketAddress("127.0.0.1", taken));
            try (LocalBackends started = cluster.start()) {
                assertThat(started.cassandra().cqlPort()).isNotEqualTo(taken);
                assertThat(started.nodes()).hasSize(3).allMatch(LocalCassandra::isRunning);
                try (ScyllaMetaStore store = ScyllaMetaStore.connect(started.cql("fli_moved"))) {
                    assertThat(store.putIfAbsent("k", 1, b("v"))).isInstanceOf(CasResult.Applied.class);
                }
            }
        }
    }

    /**
     * Writes {@code value} over whatever version {@code key} is at, re-reading after conflicts and unknown outcomes
     * (a node that just died may still be in the driver's plan), until it is in place; returns its version.
     */
    private static long casUntilSettled(ScyllaMetaStore store, String key, byte[] value) throws InterruptedException {
        long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(120);
        RuntimeException last = null;
        while (System.nanoTime() < deadline) {
            try {
                Optional<MetaRecord> cur = store.get(key);
                if (cur.isPresent() && java.util.Arrays.equals(cur.get().value(), value)) {
                    return cur.get().version();
                }
                MetaRecord r = cur.orElseThrow();
                CasResult res = store.compareAndSet(key, r.version(), r.epoch(), r.epoch(), value);
                if (res instanceof CasResult.Applied a) {
                    return a.record().version();
                }
            } catch (RuntimeException e) {
                last = e;
            }
            Thread.sleep(500);
        }
        throw new AssertionError("the write of " + key + " did not settle within 120 s", last);
    }
}
