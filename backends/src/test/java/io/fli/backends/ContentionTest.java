package io.fli.backends;

import static org.assertj.core.api.Assertions.assertThat;

import io.fli.engine.Block;
import io.fli.engine.CasResult;
import io.fli.engine.FencedException;
import io.fli.engine.IndexConfig;
import io.fli.engine.LeaseHeldException;
import io.fli.engine.LogIndex;
import io.fli.engine.LogQuery;
import io.fli.engine.MetaRecord;
import io.fli.engine.OutcomeUnknownException;
import io.fli.engine.PublishResult;
import io.fli.engine.Writer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * §6.3.5 on the real CQL server: writers racing for each CAS and for the lease. Every CAS round has exactly one
 * winner (unknown outcomes resolved by a SERIAL re-read), and a losing or fenced writer never advances the head.
 */
class ContentionTest {
    private final LocalBackends b = SharedBackends.get();

    @Test
    void everyContendedCasRoundHasExactlyOneWinner() throws Exception {
        int writers = 4;
        int rounds = 150;
        try (ScyllaMetaStore meta = ScyllaMetaStore.connect(b.cql("contention" + Long.toHexString(System.nanoTime())))) {
            assertThat(meta.putIfAbsent("race", 0, bytes("start"))).isInstanceOf(CasResult.Applied.class);
            CyclicBarrier barrier = new CyclicBarrier(writers);
            ExecutorService pool = Executors.newFixedThreadPool(writers);
            AtomicInteger applied = new AtomicInteger();
            AtomicInteger notApplied = new AtomicInteger();
            AtomicInteger unknown = new AtomicInteger();
            List<Future<?>> fs = new ArrayList<>();
            Map<Long, List<String>> winners = new ConcurrentHashMap<>();
            for (int w = 0; w < writers; w++) {
                String me = "w" + w;
                fs.add(pool.submit(() -> {
                    for (int round = 0; round < rounds; round++) {
                        barrier.await();
                        MetaRecord cur = meta.get("race").orElseThrow();
                        barrier.await(); // everyone read the same version before anyone writes
                        byte[] mine = bytes(me + "@" + cur.version());
                        CasResult r = meta.compareAndSet("race", cur.version(), cur.epoch(), cur.epoch(), mine);
                        boolean won = r instanceof CasResult.Applied;
                        if (r instanceof CasResult.Unknown) {
                            unknown.incrementAndGet();
                            MetaRecord re = meta.get("race").orElseThrow();
                            won = re.version() == cur.version() + 1 && Arrays.equals(re.value(), mine);
                        }
                        if (won) {
                            applied.incrementAndGet();
                            winners.computeIfAbsent(cur.version(), k -> new java.util.concurrent.CopyOnWriteArrayList<>())
                                    .add(me);
                        } else {
                            notApplied.incrementAndGet();
                        }
                        barrier.await();
                    }
                    return null;
                }));
            }
            for (Future<?> f : fs) {
                f.get();
            }
            pool.shutdown();
            System.out.printf("contended CAS on the local CQL server: %d writers x %d rounds: %d applied, %d not "
                    + "applied, %d unknown (resolved by re-read)%n", writers, rounds, applied.get(), notApplied.get(),
                    unknown.get());
            assertThat(winners).hasSize(rounds);
            assertThat(winners.values()).allSatisfy(w -> assertThat(w).hasSize(1));
            assertThat(applied.get()).isEqualTo(rounds);
            assertThat(meta.get("race").orElseThrow().version()).isEqualTo(1 + rounds);
        }
    }

    @Test
    void racingWritersNeverLetALoserOrAFencedWriterAdvanceTheHead() throws Exception {
        int writers = 3;
        List<Block> chain = RoundTripTest.chain(11, 120);
        String ks = "writers" + Long.toHexString(System.nanoTime());
        try (ScyllaMetaStore meta = ScyllaMetaStore.connect(b.cql(ks));
             MinioBlobStore blobs = MinioBlobStore.connect(b.s3("writers-" + Long.toHexString(System.nanoTime())))) {
            // Short leases so that writers really take over from each other.
            IndexConfig cfg = IndexConfig.defaults().withLeaseDuration(Duration.ofMillis(300));
            ExecutorService pool = Executors.newFixedThreadPool(writers);
            AtomicInteger fenced = new AtomicInteger();
            AtomicInteger leaseRefused = new AtomicInteger();
            AtomicInteger unknown = new AtomicInteger();
            AtomicInteger takeovers = new AtomicInteger();
            AtomicInteger backendErrors = new AtomicInteger();
            List<String> rejected = java.util.Collections.synchronizedList(new ArrayList<>());
            List<long[]> acknowledged = java.util.Collections.synchronizedList(new ArrayList<>());
            List<Future<?>> fs = new ArrayList<>();
            for (int w = 0; w < writers; w++) {
                String id = "w" + w;
                java.util.Random rnd = new java.util.Random(w);
                fs.add(pool.submit(() -> {
                    LogIndex index = LogIndex.open(meta, blobs, cfg);
                    Writer writer = index.writer(id);
                    // A generous limit, not a speed target: the loop ends as soon as the whole chain is indexed.
                    long deadline = System.nanoTime() + Duration.ofSeconds(240).toNanos();
                    while (System.nanoTime() < deadline) {
                        Long head;
                        try {
                            head = index.head();
                        } catch (io.fli.engine.BackendException e) {
                            // Racing SERIAL reads on a loaded machine time out until the store's circuit breaker
                            // opens and holds calls back: the client backs off and asks again, as one would.
                            backendErrors.incrementAndGet();
                            LocalServer.sleep(200);
                            continue;
                        }
                        long next = head == null ? 1 : head + 1;
                        if (next > 120) {
                            return null;
                        }
                        try {
                            if (writer.epoch() == 0 || rnd.nextDouble() < 0.2) {
                                writer.acquire();
                            }
                            int to = (int) Math.min(120, next + 4);
                            long epoch = writer.epoch();
                            PublishResult r = writer.publish(chain.subList((int) next - 1, to));
                            acknowledged.add(new long[]{epoch, r.head()});
                        } catch (LeaseHeldException e) {
                            leaseRefused.incrementAndGet();
                            // An operator takes the lease over about once per 20 blocks indexed (the holder is
                            // fenced at once). Tied to progress, not to chance or time: each new holder waits out the
                            // lease it broke before publishing (lease reads), so takeovers much more frequent than a
                            // lease would stop all progress — as they would in production — and too few would test
                            // nothing.
                            int due = 1 + (int) (next / 20);
                            if (takeovers.get() < due && takeovers.incrementAndGet() <= due) {
                                try {
                                    writer.takeOver(); // an operator takeover: the holder is now fenced
                                } catch (LeaseHeldException | OutcomeUnknownException again) {
                                    unknown.incrementAndGet();
                                }
                            } else {
                                LocalServer.sleep(50);
                            }
                        } catch (FencedException e) {
                            fenced.incrementAndGet();
                        } catch (OutcomeUnknownException e) {
                            unknown.incrementAndGet();
                        } catch (io.fli.engine.BackendException e) {
                            backendErrors.incrementAndGet(); // as above: back off, then re-read the head
                            LocalServer.sleep(200);
                        } catch (io.fli.engine.InvalidBlockException e) {
                            // Raced past our view of the head (another writer published meanwhile): re-read and
                            // continue. Anything else is a real rejection and fails the test below.
                            rejected.add(e.getMessage());
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> f : fs) {
                f.get();
            }
            pool.shutdown();
            System.out.printf("racing writers: %d acknowledged publishes, %d takeovers, %d fenced, %d lease refusals, "
                    + "%d unknown, %d backend errors backed off%n", acknowledged.size(), takeovers.get(), fenced.get(),
                    leaseRefused.get(), unknown.get(), backendErrors.get());
            LogIndex reader = LogIndex.open(meta, blobs, cfg);
            assertThat(reader.head()).isEqualTo(120);
            LogQuery all = LogQuery.range(null, null, null, null);
            assertThat(reader.query(all).logs()).isEqualTo(RoundTripTest.expected(chain, all, 120));
            // Acknowledged heads per epoch never go backwards, and epochs of acknowledgements only grow.
            acknowledged.sort((x, y) -> Long.compare(x[1], y[1]));
            for (int i = 1; i < acknowledged.size(); i++) {
                assertThat(acknowledged.get(i)[0]).isGreaterThanOrEqualTo(acknowledged.get(i - 1)[0]);
            }
            assertThat(fenced.get()).as("takeovers must fence someone").isPositive();
            // The only rejection a racing writer may meet is a gap behind another writer's newer head.
            assertThat(rejected).allSatisfy(m -> assertThat(m).startsWith("gap: the next block to index is"));
            assertThat(leaseRefused.get()).isPositive();
        }
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
