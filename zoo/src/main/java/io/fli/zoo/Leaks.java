package io.fli.zoo;

import io.fli.engine.Block;
import io.fli.engine.GcReport;
import io.fli.engine.Health;
import io.fli.engine.IndexStats;
import io.fli.engine.LogIndex;
import io.fli.engine.LogQuery;
import io.fli.engine.PublishResult;
import io.fli.engine.QueryResult;
import io.fli.engine.Writer;
import java.util.ArrayList;
import java.util.List;

/**
 * Stability bugs for the soak: engines that answer correctly (every history stays valid) but do not run for a day.
 * Only {@code fli soak --bug NAME} and tests select them.
 */
public final class Leaks {
    /** The names {@code fli soak --bug} accepts. */
    public static final List<String> NAMES = List.of("leak-published-batches");

    private Leaks() {
    }

    /**
     * {@code index} with a classic leak: a "recently published" list that is appended to on every publish and never
     * trimmed (a listener or replay buffer someone forgot to bound), so the heap grows with everything ingested.
     */
    public static LogIndex retainingPublishedBatches(LogIndex index) {
        List<List<Block>> retained = new ArrayList<>();
        return new LogIndex() {
            @Override
            public Writer writer(String writerId) {
                Writer w = index.writer(writerId);
                return new Writer() {
                    @Override
                    public String id() {
                        return w.id();
                    }

                    @Override
                    public long epoch() {
                        return w.epoch();
                    }

                    @Override
                    public long acquire() {
                        return w.acquire();
                    }

                    @Override
                    public long takeOver() {
                        return w.takeOver();
                    }

                    @Override
                    public void renew() {
                        w.renew();
                    }

                    @Override
                    public PublishResult publish(List<Block> blocks) {
                        PublishResult r = w.publish(blocks);
                        synchronized (retained) {
                            retained.add(new ArrayList<>(blocks));
                        }
                        return r;
                    }

                    @Override
                    public void compact() {
                        w.compact();
                    }

                    @Override
                    public GcReport gc() {
                        return w.gc();
                    }
                };
            }

            @Override
            public QueryResult query(LogQuery query) {
                return index.query(query);
            }

            @Override
            public Long head() {
                return index.head();
            }

            @Override
            public Health health() {
                return index.health();
            }

            @Override
            public void dropCaches() {
                index.dropCaches();
            }

            @Override
            public io.fli.engine.Health clearDegraded(String reason) {
                return index.clearDegraded(reason);
            }

            @Override
            public java.util.Optional<io.fli.engine.ViewStamp> leaseView() {
                return index.leaseView();
            }

            @Override
            public java.util.Optional<io.fli.engine.ReadLease> grantReadLease(io.fli.engine.ViewStamp have,
                    long lengthMs, io.fli.engine.ReadLease.Revoker revoker) {
                return index.grantReadLease(have, lengthMs, revoker);
            }

            @Override
            public void readLeaseAcknowledged(long grant) {
                index.readLeaseAcknowledged(grant);
            }

            @Override
            public IndexStats stats() {
                return index.stats();
            }

            @Override
            public void close() {
                index.close();
            }
        };
    }

    /** The variant named {@code name} around {@code index}. */
    public static LogIndex named(String name, LogIndex index) {
        if (name.equals("leak-published-batches")) {
            return retainingPublishedBatches(index);
        }
        throw new IllegalArgumentException("unknown stability bug '" + name + "'; the soak knows " + NAMES);
    }
}
