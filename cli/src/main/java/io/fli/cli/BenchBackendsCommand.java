package io.fli.cli;

import io.fli.backends.CqlConfig;
import io.fli.backends.LocalBackends;
import io.fli.backends.MinioBlobStore;
import io.fli.backends.S3Config;
import io.fli.backends.ScyllaMetaStore;
import io.fli.engine.Block;
import io.fli.engine.BlobStore;
import io.fli.engine.IndexConfig;
import io.fli.engine.LogIndex;
import io.fli.engine.Writer;
import io.fli.engine.LogQuery;
import io.fli.engine.MetaStore;
import io.fli.workloads.ChainGenerator;
import io.fli.workloads.QueryMix;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import org.HdrHistogram.Histogram;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** Ingest and queries through real CQL + S3 servers, against the same work on in-memory stores in the same run. */
@Command(name = "bench-backends", mixinStandardHelpOptions = true,
        description = "Benchmark batched ingest and the three query classes through a real CQL server (LWT) and a "
                + "real S3 server, against the same data and queries on in-memory stores in the same run. "
                + "--backend local starts Cassandra and S3Proxy itself; remote reads FLI_CQL_* / FLI_S3_*.")
final class BenchBackendsCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--backend", description = "local or remote (default: ${DEFAULT-VALUE}).")
    String backend = "local";

    @Option(names = "--logs", description = "Logs to ingest (default: ${DEFAULT-VALUE}).")
    long logs = 1_000_000;

    @Option(names = "--batch-blocks", description = "Blocks per publish (default: ${DEFAULT-VALUE}).")
    int batchBlocks = 1_000;

    @Option(names = "--queries", description = "Measured queries per class (default: ${DEFAULT-VALUE}).")
    int queries = 300;

    @Option(names = "--seed", description = "Seed (default: ${DEFAULT-VALUE}).")
    long seed = 7;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        ChainGenerator gen = new ChainGenerator(ChainGenerator.Shape.defaults(seed));
        List<Block> chain = BenchCommand.chain(gen, logs);
        long total = chain.stream().mapToLong(b -> b.logs().size()).sum();
        IndexConfig config = BenchCommand.config();
        out.printf("data: %,d blocks, %,d logs; %d blocks per publish; backend %s%n", chain.size(), total,
                batchBlocks, backend);
        LocalBackends local = null;
        CqlConfig cql;
        S3Config s3;
        String suffix = Long.toHexString(System.nanoTime());
        if (backend.equals("local")) {
            local = new LocalBackends(Files.createTempDirectory("fli-bench-backends")).start();
            cql = local.cql("bench" + suffix);
            s3 = local.s3("bench" + suffix);
        } else {
            cql = withKeyspace(CqlConfig.fromEnvironment(System.getenv()), "bench" + suffix);
            s3 = S3Config.fromEnvironment(System.getenv());
        }
        try (ScyllaMetaStore meta = ScyllaMetaStore.connect(cql); MinioBlobStore blobs = MinioBlobStore.connect(s3)) {
            // In memory: warm-up, then the measured ingest and queries.
            BenchCommand.publishAll(LogIndex.open(MetaStore.inMemory(), BlobStore.inMemory(), config), chain, batchBlocks);
            long t0 = System.nanoTime();
            LogIndex mem = LogIndex.open(MetaStore.inMemory(), BlobStore.inMemory(), config);
            BenchCommand.publishAll(mem, chain, batchBlocks).compact();
            double memS = (System.nanoTime() - t0) / 1e9;
            // Real servers: the measured ingest of the whole chain (the JIT is already warm from the runs above).
            long t1 = System.nanoTime();
            LogIndex real = LogIndex.open(meta, blobs, config);
            Writer writer = BenchCommand.publishAll(real, chain, batchBlocks);
            writer.compact();
            double realS = (System.nanoTime() - t1) / 1e9;
            out.printf("ingest in memory:        %,.0f logs/s (%.2f s)%n", total / memS, memS);
            out.printf("ingest via CQL + S3:     %,.0f logs/s (%.2f s), %.1fx slower than in memory%n", total / realS,
                    realS, realS / memS);
            real.dropCaches();
            writer.renew();
            // The writer keeps its lease, as a live ingester does; its process answers queries from the lease.
            java.util.concurrent.ScheduledExecutorService renewals =
                    java.util.concurrent.Executors.newSingleThreadScheduledExecutor();
            renewals.scheduleAtFixedRate(writer::renew, 1, 1, java.util.concurrent.TimeUnit.SECONDS);
            // A second process over the same stores, without the lease: every query reads meta/state (SERIAL).
            LogIndex reader = LogIndex.open(meta, blobs, config);
            QueryMix mix = new QueryMix(gen, config.maxOrTerms());
            out.println();
            out.println("| query class | in-memory p50 ms | lease holder p50 ms (p99) | ratio | other process p50 ms "
                    + "(p99) | ratio |");
            out.println("|---|---:|---:|---:|---:|---:|");
            for (int terms : new int[]{1, 4, 256}) {
                List<LogQuery> qs = new ArrayList<>();
                SplittableRandom r = new SplittableRandom(seed + terms);
                for (int i = 0; i < queries; i++) {
                    qs.add(LogQuery.range(null, null, mix.uniformAddresses(r, terms), null));
                }
                Histogram hm = time(mem, qs);
                Histogram hr = time(real, qs);
                Histogram ho = time(reader, qs);
                out.printf("| %s | %.4f | %.4f (%.4f) | %.1fx | %.4f (%.4f) | %.1fx |%n", terms == 1
                                ? "selective address" : terms + "-term address OR", hm.getValueAtPercentile(50) / 1e6,
                        hr.getValueAtPercentile(50) / 1e6, hr.getValueAtPercentile(99) / 1e6,
                        (double) hr.getValueAtPercentile(50) / hm.getValueAtPercentile(50),
                        ho.getValueAtPercentile(50) / 1e6, ho.getValueAtPercentile(99) / 1e6,
                        (double) ho.getValueAtPercentile(50) / hm.getValueAtPercentile(50));
            }
            renewals.shutdownNow();
        } finally {
            if (local != null) {
                local.close();
            }
        }
        return 0;
    }

    private static CqlConfig withKeyspace(CqlConfig c, String ks) {
        return c.withKeyspace(ks).withMigrate(true); // the bench's own scratch keyspace
    }

    /** Runs the queries twice (warm-up, then measured) and returns the measured latencies. */
    private static Histogram time(LogIndex index, List<LogQuery> qs) {
        for (LogQuery q : qs) {
            index.query(q);
        }
        Histogram h = new Histogram(3);
        for (LogQuery q : qs) {
            long a = System.nanoTime();
            index.query(q);
            h.recordValue(System.nanoTime() - a);
        }
        return h;
    }
}
