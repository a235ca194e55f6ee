package io.fli.serve;

import io.fli.engine.BackendException;
import io.fli.engine.Block;
import io.fli.engine.FencedException;
import io.fli.engine.FliException;
import io.fli.engine.IndexConfig;
import io.fli.engine.LogIndex;
import io.fli.engine.Metered;
import io.fli.engine.Writer;
import io.fli.workloads.ChainGenerator;
import io.fli.workloads.MetricsEndpoint;
import io.micrometer.core.instrument.Tags;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@code fli serve}: the index as the long-running service operators run — as the lease-holding writer following a
 * block source (the seeded chain generator), or as a query-only process — answering {@code eth_getLogs} over HTTP
 * JSON-RPC with {@code /metrics} and {@code /health} beside it ({@link RpcServer}).
 */
public final class Serve implements AutoCloseable {
    /**
     * @param follow          follow the seeded chain as the writer (else query-only)
     * @param blocksPerSecond the block source's rate
     * @param batchBlocks     blocks per publish at most
     */
    public record Config(String host, int port, boolean follow, double blocksPerSecond, int batchBlocks, long seed,
                         String writerId) {
    }

    /**
     * What a drill changes in a serving process; {@link #DEFAULT} is what {@code fli serve} runs.
     *
     * @param source   where the follower's batches come from
     * @param observer told of every publish (a drill records them in its history)
     * @param gcEvery  how often the writer runs GC
     * @param config   the index configuration, from the default one
     */
    public record Hooks(Source source, PublishObserver observer, Duration gcEvery,
                        java.util.function.UnaryOperator<IndexConfig> config) {
        public static final Hooks DEFAULT = new Hooks(ChainGenerator::blocks, PublishObserver.NONE,
                Duration.ofSeconds(30), c -> c);
    }

    /** The follower's block source: blocks {@code next..next+count-1} of the chain, or what a fault hands over. */
    @FunctionalInterface
    public interface Source {
        List<Block> blocks(ChainGenerator gen, long next, int count);
    }

    /** Told before and after each publish of the follower. */
    public interface PublishObserver {
        PublishObserver NONE = new PublishObserver() {
            @Override
            public Object before(Writer w, List<Block> batch) {
                return null;
            }

            @Override
            public void after(Object token, io.fli.engine.PublishResult result, RuntimeException error) {
            }
        };

        Object before(Writer w, List<Block> batch);

        /** Exactly one of {@code result} and {@code error} is set. */
        void after(Object token, io.fli.engine.PublishResult result, RuntimeException error);
    }

    private final PrometheusMeterRegistry registry;
    private final List<AutoCloseable> closing = new ArrayList<>();
    private final LogIndex index;
    private final RpcServer server;
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final AtomicLong sourceHead = new AtomicLong(-1);
    private final AtomicLong indexedHead = new AtomicLong(-1);
    private final Thread follower;

    /** Serves {@code index} (opened over stores the caller owns) with metrics; follows the chain if asked. */
    public static Serve start(Config cfg, io.fli.engine.MetaStore meta, io.fli.engine.BlobStore blobs,
                              String backend) {
        return new Serve(cfg, meta, blobs, backend, Hooks.DEFAULT);
    }

    /** As {@link #start(Config, io.fli.engine.MetaStore, io.fli.engine.BlobStore, String)}, changed by {@code hooks}. */
    public static Serve start(Config cfg, io.fli.engine.MetaStore meta, io.fli.engine.BlobStore blobs,
                              String backend, Hooks hooks) {
        return new Serve(cfg, meta, blobs, backend, hooks);
    }

    private final Hooks hooks;

    private Serve(Config cfg, io.fli.engine.MetaStore meta, io.fli.engine.BlobStore blobs, String backend,
                  Hooks hooks) {
        this.hooks = hooks;
        this.registry = MetricsEndpoint.newRegistry(closing);
        IndexConfig config = hooks.config().apply(IndexConfig.defaults().withMaxOrTerms(256));
        this.index = Metered.index(LogIndex.open(Metered.meta(meta, registry, backend.equals("memory") ? "memory"
                : "cql"), Metered.blobs(blobs, registry, backend.equals("memory") ? "memory" : "s3"), config),
                registry, Tags.of("process", "serve"));
        Metered.headLag(registry, Tags.of("process", "serve"), () -> cfg.follow()
                ? Math.max(0, sourceHead.get() - indexedHead.get()) : 0);
        this.server = new RpcServer(() -> index, registry::scrape, cfg.host(), cfg.port());
        if (cfg.follow()) {
            ChainGenerator gen = new ChainGenerator(ChainGenerator.Shape.defaults(cfg.seed()));
            follower = new Thread(() -> follow(cfg, gen), "fli-serve-follower");
            follower.setDaemon(true);
            follower.start();
        } else {
            follower = null;
        }
    }

    public int port() {
        return server.port();
    }

    /** The head this process last indexed (the writer), or -1. */
    public long indexedHead() {
        return indexedHead.get();
    }

    public LogIndex index() {
        return index;
    }

    private void follow(Config cfg, ChainGenerator gen) {
        Writer w = null;
        long next = 0;
        double due = 0;
        long last = System.nanoTime();
        long lastGc = last;
        while (running.get()) {
            try {
                if (w == null) {
                    Writer candidate = index.writer(cfg.writerId());
                    candidate.acquire();
                    w = candidate;
                    Long h = index.head();
                    next = h == null ? 0 : h + 1;
                    indexedHead.set(next - 1);
                }
                long now = System.nanoTime();
                due += cfg.blocksPerSecond() * (now - last) / 1e9;
                last = now;
                sourceHead.set(next - 1 + (long) Math.floor(due));
                int n = (int) Math.min(cfg.batchBlocks(), Math.floor(due));
                if (n >= 1) {
                    List<Block> batch = hooks.source().blocks(gen, next, n);
                    Object token = hooks.observer().before(w, batch);
                    io.fli.engine.PublishResult res;
                    try {
                        res = w.publish(batch);
                    } catch (RuntimeException e) {
                        hooks.observer().after(token, null, e);
                        throw e;
                    }
                    hooks.observer().after(token, res, null);
                    next = res.head() + 1;
                    due -= n;
                    indexedHead.set(next - 1);
                } else {
                    w.renew();
                    Thread.sleep(Math.max(1, (long) ((1 - due) / cfg.blocksPerSecond() * 1000)));
                }
                if (now - lastGc > hooks.gcEvery().toNanos()) {
                    lastGc = now;
                    w.gc();
                }
            } catch (FencedException e) {
                w = null; // another writer took over: ask for the lease again
                sleep(1_000);
            } catch (io.fli.engine.LeaseHeldException e) {
                // Acquire refused (w still null: another writer's lease is live), or publish refused while this
                // writer, holding the lease, waits out its predecessor's: keep it, a new acquire would not help.
                sleep(w == null ? 1_000 : 250);
            } catch (BackendException e) {
                sleep(500);
            } catch (FliException e) {
                // lease held elsewhere, an unknown outcome, the index failed closed: try again, slowly
                w = null;
                sleep(1_000);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        running.set(false);
        if (follower != null) {
            follower.interrupt();
            try {
                follower.join(10_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        server.close();
        index.close();
        for (AutoCloseable c : closing) {
            try {
                c.close();
            } catch (Exception e) {
                // closing: nothing left to protect
            }
        }
        registry.close();
    }
}
