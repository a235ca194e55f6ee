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
        return new Serve(cfg, meta, blobs, backend);
    }

    private Serve(Config cfg, io.fli.engine.MetaStore meta, io.fli.engine.BlobStore blobs, String backend) {
        this.registry = MetricsEndpoint.newRegistry(closing);
        IndexConfig config = IndexConfig.defaults().withMaxOrTerms(256);
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
                    w = index.writer(cfg.writerId());
                    w.acquire();
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
                    List<Block> batch = gen.blocks(next, n);
                    w.publish(batch);
                    next += n;
                    due -= n;
                    indexedHead.set(next - 1);
                } else {
                    w.renew();
                    Thread.sleep(Math.max(1, (long) ((1 - due) / cfg.blocksPerSecond() * 1000)));
                }
                if (now - lastGc > Duration.ofSeconds(30).toNanos()) {
                    lastGc = now;
                    w.gc();
                }
            } catch (FencedException e) {
                w = null; // another writer took over: ask for the lease again
                sleep(1_000);
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
