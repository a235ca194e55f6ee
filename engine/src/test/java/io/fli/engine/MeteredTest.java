package io.fli.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class MeteredTest {
    private final ManualClock clock = new ManualClock(1_000_000);
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final MetaStore meta = Metered.meta(MetaStore.inMemory(), registry, "cql");
    private final BlobStore blobs = Metered.blobs(BlobStore.inMemory(WriteHook.NONE, clock), registry, "s3");
    private final IndexConfig config = IndexConfig.defaults().withClock(clock).withLeaseDuration(Duration.ofSeconds(5))
            .withGcGrace(Duration.ofSeconds(1));
    private final List<Block> chain = TestChains.chain(5, 0, 40, 4);
    private final LogIndex index = Metered.index(LogIndex.open(meta, blobs, config), registry, Tags.of("process", "a"));

    private double count(String name, String... tags) {
        return registry.find(name).tags(tags).counters().stream().mapToDouble(c -> c.count()).sum();
    }

    @Test
    void publishesQueriesAndCasOutcomesAreCounted() {
        Writer w = index.writer("w1");
        w.acquire();
        w.publish(chain.subList(0, 10));
        w.publish(chain.subList(10, 20));
        long logs = chain.subList(0, 20).stream().mapToLong(b -> b.logs().size()).sum();
        assertThat(count("fli.ingest.logs")).isEqualTo(logs);
        assertThat(count("fli.ingest.blocks")).isEqualTo(20);
        assertThat(registry.find("fli.publish").tag("outcome", "ok").timer().count()).isEqualTo(2);
        // acquire creates or replaces meta/state, each publish replaces it: all applied, none unknown.
        assertThat(count("fli.cas", "backend", "cql", "outcome", "applied")).isGreaterThanOrEqualTo(3);
        assertThat(count("fli.cas", "outcome", "unknown")).isZero();
        assertThat(registry.find("fli.head.block").gauge().value()).isEqualTo(19);

        index.query(LogQuery.range(0L, 19L, List.of("0xa1"), null));
        index.query(LogQuery.range(0L, 19L, List.of("0xa1"), Arrays.asList(List.of("0xt0_1"))));
        index.query(LogQuery.byHash(chain.get(3).hash(), null, null));
        assertThatThrownBy(() -> index.query(LogQuery.range(9L, 3L, null, null)))
                .isInstanceOf(InvalidQueryException.class);
        assertThat(registry.find("fli.query").tags("class", "selective-address", "outcome", "ok").timer().count())
                .isEqualTo(1);
        assertThat(registry.find("fli.query").tags("class", "address-and-topic0", "outcome", "ok").timer().count())
                .isEqualTo(1);
        assertThat(registry.find("fli.query").tags("class", "block-hash", "outcome", "ok").timer().count())
                .isEqualTo(1);
        assertThat(registry.find("fli.query").tags("class", "unfiltered", "outcome", "invalid").timer().count())
                .isEqualTo(1);
        assertThat(registry.find("fli.query.results").tag("class", "block-hash").counter().count())
                .isEqualTo(chain.get(3).logs().size());
        assertThat(registry.find("fli.health").tag("state", "ok").gauge().value()).isEqualTo(1);
        assertThat(registry.find("fli.health").tag("state", "degraded").gauge().value()).isZero();
        // Nothing warms an in-memory store, and no merge ran: no GET was made off the query path.
        assertThat(registry.find("fli.blob.reads.background").functionCounter()).isNotNull();
        assertThat(registry.find("fli.blob.reads.background").functionCounter().count()).isZero();
    }

    @Test
    void aFencedWriterCountsARejectionAndOneLeaseLoss() {
        Writer w1 = index.writer("w1");
        Writer w2 = index.writer("w2");
        w1.acquire();
        w1.publish(chain.subList(0, 5));
        assertThatThrownBy(w2::acquire).isInstanceOf(LeaseHeldException.class);
        clock.advance(Duration.ofSeconds(10));
        w2.acquire();
        assertThatThrownBy(() -> w1.publish(chain.subList(5, 10))).isInstanceOf(FencedException.class);
        assertThatThrownBy(w1::renew).isInstanceOf(FencedException.class);
        assertThat(count("fli.fence.rejections", "op", "publish")).isEqualTo(1);
        assertThat(count("fli.fence.rejections", "op", "renew")).isEqualTo(1);
        assertThat(count("fli.lease.lost")).isEqualTo(1);
        assertThat(count("fli.lease.acquires", "outcome", "held")).isEqualTo(1);
        assertThat(count("fli.lease.acquires", "outcome", "ok")).isEqualTo(2);
        assertThat(count("fli.cas", "outcome", "conflict")).isGreaterThanOrEqualTo(1);
    }

    @Test
    void gcBacklogAndDeletionsAreMeasured() {
        Writer w = index.writer("w1");
        w.acquire();
        for (int i = 0; i < 40; i += 2) {
            w.publish(chain.subList(i, i + 2));
        }
        w.compact();
        GcReport young = w.gc();
        assertThat(young.tooYoung()).isGreaterThan(0);
        assertThat(young.tooYoungBytes()).isGreaterThan(0);
        assertThat(registry.find("fli.gc.backlog.objects").gauge().value()).isEqualTo(young.tooYoung());
        assertThat(registry.find("fli.gc.backlog.bytes").gauge().value()).isEqualTo(young.tooYoungBytes());
        clock.advance(Duration.ofSeconds(2));
        w.renew();
        GcReport late = w.gc();
        assertThat(late.deleted()).hasSize(young.tooYoung());
        assertThat(count("fli.gc.deleted.objects")).isEqualTo(young.tooYoung());
        assertThat(count("fli.gc.deleted.bytes")).isEqualTo(young.tooYoungBytes());
        assertThat(registry.find("fli.gc.backlog.objects").gauge().value()).isZero();
    }

    @Test
    void backendErrorsAreCountedByTheDriversErrorClassAndUnknownCasApart() {
        BlobStore failing = new BlobStore() {
            public PutOutcome putIfAbsent(String key, byte[] data) {
                throw new BackendException("PUT " + key + " failed", new SocketTimeoutException("read timed out"));
            }

            public Optional<byte[]> get(String key) {
                return Optional.empty();
            }

            public void delete(String key) {
            }

            public List<BlobInfo> list(String prefix) {
                return List.of();
            }
        };
        BlobStore metered = Metered.blobs(failing, registry, "s3");
        assertThatThrownBy(() -> metered.putIfAbsent("packs/x", new byte[1])).isInstanceOf(BackendException.class);
        assertThat(count("fli.backend.errors", "backend", "s3", "op", "put", "class", "SocketTimeoutException"))
                .isEqualTo(1);
        MetaStore unknown = Metered.meta(new MetaStore() {
            public Optional<MetaRecord> get(String key) {
                return Optional.empty();
            }

            public CasResult putIfAbsent(String key, long epoch, byte[] value) {
                return new CasResult.Unknown(new SocketTimeoutException("lost reply"));
            }

            public CasResult compareAndSet(String key, long v, long e, long ne, byte[] value) {
                return new CasResult.Unknown(null);
            }
        }, registry, "cql");
        assertThat(unknown.putIfAbsent("k", 1, new byte[0])).isInstanceOf(CasResult.Unknown.class);
        assertThat(count("fli.cas", "backend", "cql", "op", "put-if-absent", "outcome", "unknown")).isEqualTo(1);
        assertThat(count("fli.cas", "outcome", "applied")).isZero();
    }

    @Test
    void everyQueryShapeHasItsSloClass() {
        assertThat(QueryClass.of(LogQuery.byHash("0x1", List.of("0xa"), null))).isEqualTo(QueryClass.BLOCK_HASH);
        assertThat(QueryClass.of(LogQuery.range(1L, 2L, List.of("0xa"), null)))
                .isEqualTo(QueryClass.SELECTIVE_ADDRESS);
        assertThat(QueryClass.of(LogQuery.range(1L, 2L, List.of("0xa"), Arrays.asList(null, List.of()))))
                .isEqualTo(QueryClass.SELECTIVE_ADDRESS);
        assertThat(QueryClass.of(LogQuery.range(1L, 2L, List.of("0xa", "0xb"), null))).isEqualTo(QueryClass.OR_SMALL);
        assertThat(QueryClass.of(LogQuery.range(1L, 2L, java.util.Collections.nCopies(17, "0xa"), null)))
                .isEqualTo(QueryClass.OR_LARGE);
        assertThat(QueryClass.of(LogQuery.range(null, null, null, List.of(List.of("0xt")))))
                .isEqualTo(QueryClass.WIDE_RANGE);
        assertThat(QueryClass.of(LogQuery.range(5L, null, null, List.of(List.of("0xt")))))
                .isEqualTo(QueryClass.TOPIC_ONLY);
        assertThat(QueryClass.of(LogQuery.range(5L, 9L, null, null))).isEqualTo(QueryClass.UNFILTERED);
    }

    @Test
    void headLagSurvivesCollectionAndAReopenedIndexIsTheOneMeasured() throws Exception {
        java.util.concurrent.atomic.AtomicLong lag = new java.util.concurrent.atomic.AtomicLong(7);
        Metered.headLag(registry, Tags.of("process", "a"), lag::get);
        for (int i = 0; i < 5; i++) {
            System.gc();
            Thread.sleep(20);
        }
        assertThat(registry.find("fli.head.lag.blocks").gauge().value()).isEqualTo(7.0);

        Writer w = index.writer("w");
        w.acquire();
        w.publish(chain.subList(0, 5));
        assertThat(registry.find("fli.head.block").tags("process", "a").gauge().value()).isEqualTo(4);
        // The process opens its index again (a restart): the gauges read the new index, not the first.
        LogIndex reopened = Metered.index(LogIndex.open(meta, blobs, config), registry, Tags.of("process", "a"));
        assertThat(registry.find("fli.head.block").tags("process", "a").gauges()).hasSize(1);
        assertThat(registry.find("fli.head.block").tags("process", "a").gauge().value()).isEqualTo(-1);
        reopened.query(LogQuery.range(0L, 4L, null, null));
        assertThat(registry.find("fli.head.block").tags("process", "a").gauge().value()).isEqualTo(4);
        assertThat(registry.find("fli.health").tags("process", "a", "state", "ok").gauges()).hasSize(1);
    }
}
