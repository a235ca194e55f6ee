package io.fli.backends;

import static org.assertj.core.api.Assertions.assertThat;

import io.fli.engine.IndexConfig;
import io.fli.engine.LogIndex;
import io.fli.engine.LogQuery;
import io.fli.engine.Writer;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.wait.strategy.Wait;
import org.testcontainers.junit.jupiter.Container;
import org.testcontainers.junit.jupiter.Testcontainers;

/**
 * The round trip on real ScyllaDB and MinIO containers, for machines with a Docker engine. Where there is none
 * (these build machines), JUnit reports it skipped.
 */
@Testcontainers(disabledWithoutDocker = true)
class ScyllaMinioContainersTest {
    private static final String SECRET = UUID.randomUUID().toString();

    @Container
    static final GenericContainer<?> SCYLLA = new GenericContainer<>("scylladb/scylla:6.2")
            .withCommand("--smp", "1", "--memory", "1G", "--overprovisioned", "1", "--developer-mode", "1")
            .withExposedPorts(9042)
            .waitingFor(Wait.forLogMessage(".*init - serving.*", 1).withStartupTimeout(Duration.ofMinutes(3)));

    @Container
    static final GenericContainer<?> MINIO = new GenericContainer<>("minio/minio:RELEASE.2025-04-22T22-12-26Z")
            .withCommand("server", "/data")
            .withEnv("MINIO_ROOT_USER", "fli")
            .withEnv("MINIO_ROOT_PASSWORD", SECRET)
            .withExposedPorts(9000)
            .waitingFor(Wait.forHttp("/minio/health/live").forPort(9000));

    @Test
    void ingestAndQueryThroughScyllaAndMinio() {
        CqlConfig cql = new CqlConfig(List.of(new InetSocketAddress(SCYLLA.getHost(), SCYLLA.getMappedPort(9042))),
                "datacenter1", "fli", 1, null, null, false, Duration.ofSeconds(10), true);
        S3Config s3 = new S3Config("http://" + MINIO.getHost() + ":" + MINIO.getMappedPort(9000), "fli", SECRET, "fli",
                Duration.ofSeconds(10));
        try (ScyllaMetaStore meta = ScyllaMetaStore.connect(cql); MinioBlobStore blobs = MinioBlobStore.connect(s3)) {
            LogIndex index = LogIndex.open(meta, blobs, IndexConfig.defaults());
            Writer w = index.writer("w1");
            w.acquire();
            var chain = RoundTripTest.chain(3, 30);
            w.publish(chain);
            LogQuery all = LogQuery.range(null, null, null, null);
            assertThat(index.query(all).logs()).isEqualTo(RoundTripTest.expected(chain, all, 30));
        }
    }
}
