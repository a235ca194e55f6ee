package io.fli.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fli.backends.CqlConfig;
import io.fli.backends.LocalBackends;
import io.fli.backends.MinioBlobStore;
import io.fli.backends.S3Config;
import io.fli.backends.ScyllaMetaStore;
import io.fli.engine.BlobStore;
import io.fli.engine.Block;
import io.fli.engine.IndexConfig;
import io.fli.engine.LogIndex;
import io.fli.engine.LogQuery;
import io.fli.engine.MetaStore;
import io.fli.engine.Writer;
import io.fli.workloads.ChainGenerator;
import io.fli.workloads.QueryMix;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.HdrHistogram.Histogram;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * The SLO suite: builds (or extends) a production-shape index, then measures every target of {@code slo.json} with
 * ingest running — from the lease holder and from a second process, warm and cold — and prints each figure next to
 * its target and margin. Exit 0 only when every figure meets its target with the margin.
 */
@Command(name = "slo", mixinStandardHelpOptions = true,
        description = "Run the SLO suite: build a production-shape index (Zipf addresses and topics), measure query "
                + "p50/p95/p99 per class from the lease holder and from a second process (warm and cold) while ingest "
                + "runs, ingest rate, cold start and warm-up; compare with slo.json. Exit 0 only if every figure "
                + "meets its target with the stated margin.")
final class SloCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--backend", description = "memory, local (starts Cassandra and S3Proxy) or remote "
            + "(FLI_CQL_* / FLI_S3_*) (default: ${DEFAULT-VALUE}).")
    String backend = "local";

    @Option(names = "--logs", description = "Logs in the index before measuring (default: ${DEFAULT-VALUE}).")
    long logs = 1_000_000;

    @Option(names = "--slo", description = "The targets (default: slo.json of the fli checkout).")
    Path sloFile;

    @Option(names = "--queries", description = "Measured warm queries per class and process (default: ${DEFAULT-VALUE}).")
    int queries = 1_000;

    @Option(names = "--cold-queries", description = "Measured cold queries (caches dropped before each) per class and "
            + "process (default: ${DEFAULT-VALUE}).")
    int coldQueries = 50;

    @Option(names = "--ingest-rate", description = "Logs/s ingested while queries are measured (default: ${DEFAULT-VALUE}).")
    long ingestRate = 20_000;

    @Option(names = "--batch-blocks", description = "Blocks per publish (default: ${DEFAULT-VALUE}).")
    int batchBlocks = 1_000;

    @Option(names = "--ingest-batch-blocks", description = "Blocks per publish while queries are measured: how often "
            + "the lease holder's CAS withdraws its view (default: a tenth of --batch-blocks).")
    Integer ingestBatchBlocks;

    @Option(names = "--seed", description = "Seed of data and queries (default: ${DEFAULT-VALUE}).")
    long seed = 7;

    @Option(names = "--out", description = "Where results.json and the HDR histograms go (default: store/slo/<time>).")
    Path out;

    @Option(names = "--metrics-port", description = "Port of the Prometheus endpoint on 127.0.0.1 while the suite "
            + "runs; 0 picks a free one (default: ${DEFAULT-VALUE}).")
    int metricsPort = 0;

    @Option(names = "--store", description = "With --backend local: where the local servers keep the index, kept "
            + "after the run and reused (extended to --logs) by the next run with the same --store and --seed "
            + "(default: a temporary folder, deleted after the run; a 50M-log index takes about 13 GB).")
    Path store;

    @Option(names = "--segment-format", description = "Format of the index segments the build writes: 4 adds term "
            + "filters to 3 (a lookup of a term a segment lacks reads no directory page); 5 adds to 4 fine id buckets for "
            + "posting lists of up to 512 ids (opt-in: docs/performance.md, twelfth round); 3 stores long posting lists "
            + "in parts a range query reads alone; 2 is what the previous release reads (default: ${DEFAULT-VALUE}; "
            + "extending an index that older processes read needs a format they read, docs/upgrade.md).")
    int segmentFormat = 4;

    @Option(names = "--holder-view", description = "How the second process learns which state is current: http "
            + "asks the lease holder (GET /lease-view, as fli serve --holder-url does) and answers from its own copy "
            + "when that is the one, else reads meta/state; none reads meta/state for every query "
            + "(default: ${DEFAULT-VALUE}).")
    String holderView = "http";

    @Option(names = "--read-lease-ms", description = "With --holder-view http, the second process asks the holder "
            + "for read leases of this many ms (GET /read-lease): between two publishes its queries answer without "
            + "asking; the holder revokes them before each CAS and waits for the acknowledgement (docs/design.md, "
            + "\"Read leases for query processes\"). 0 asks per query (default: ${DEFAULT-VALUE}).")
    long readLeaseMs = 200;

    @Option(names = "--warm-segment-mb", description = "The second process warms each segment a new state adds on a "
            + "background thread: a publish's segment and the small merges fetched whole (a publish's with its pack), "
            + "as the writer holds them; a larger segment's directory and block pages up to this many MB, else its "
            + "head and filters; 0 turns it off (default: ${DEFAULT-VALUE}).")
    // 1 MB: a larger (merged) segment its head and filters only. At 16 MB the warmer read a
    // few hundred directory pages a second while ingest ran, on a store that serves ~2,000 GETs/s; two paired 50M
    // runs of fli slo (performance.md, eleventh round): 23 -> 27 and 19 -> 33 of 47 figures with 1 MB.
    long warmSegmentMb = 1;

    /** {@link #warmSegmentMb} in bytes, once checked. */
    private long warmSegmentBytes;

    private io.fli.workloads.MetricsEndpoint metrics;

    private PrintWriter w;

    /** The query classes of slo.json and the workload kind each measures. */
    static final Map<String, QueryMix.Kind> CLASSES = new LinkedHashMap<>();

    /** Consecutive failed publishes of one batch the build retries (a second apart) before it gives up. */
    static final int BUILD_RETRIES = 30;

    static {
        CLASSES.put("selective-address", QueryMix.Kind.SELECTIVE_ADDRESS);
        CLASSES.put("address-and-topic0", QueryMix.Kind.ADDRESS_AND_TOPIC);
        CLASSES.put("topic-only", QueryMix.Kind.TOPIC_ONLY);
        CLASSES.put("or-4", QueryMix.Kind.ADDRESS_OR4);
        CLASSES.put("or-256", QueryMix.Kind.BROAD_OR);
        CLASSES.put("wide-range", QueryMix.Kind.WIDE_RANGE);
        CLASSES.put("block-hash", QueryMix.Kind.BLOCK_HASH);
    }

    /**
     * A class's warm phase: its latencies and answer sizes, where its draws stopped, and the blob GETs its queries
     * made (per query, in all, in KB and by kind) and those made off their path in the same window (background
     * warming, merges: per query, by kind).
     */
    private record Warm(Histogram latencies, Histogram results, SplittableRandom random, double getsPerQuery,
                        double kbPerQuery, Map<String, Double> byKind, Map<String, Double> backgroundByKind,
                        SlowQueries slow) {
    }

    /**
     * The measured queries of a class slower than its p99 limit, by what they waited on: a read of {@code meta/state}
     * (the process had no state it could answer from), a blob GET on their own path, both, or neither (the CPU, the
     * collector, a lock). Told from the process's counters read around each query: state reads are only made by
     * queries, and GETs off the query path are counted apart.
     */
    static final class SlowQueries {
        final double limitMs;
        long measured;
        long slow;
        long stateRead;
        long blobGet;
        long both;
        /** Of the slow queries that waited on neither, those whose question to the holder took half the limit. */
        long holderQuestion;

        SlowQueries(double limitMs) {
            this.limitMs = limitMs;
        }

        void add(long nanos, io.fli.engine.IndexStats before, io.fli.engine.IndexStats after) {
            add(nanos, before, after, 0);
        }

        /** {@code questionNanos}: the time the query's question to the lease holder took (0 when it asked none). */
        void add(long nanos, io.fli.engine.IndexStats before, io.fli.engine.IndexStats after, long questionNanos) {
            measured++;
            if (nanos / 1e6 <= limitMs) {
                return;
            }
            slow++;
            boolean state = after.stateReads() > before.stateReads();
            boolean get = (after.blobReads() - after.backgroundReads()) > (before.blobReads() - before.backgroundReads());
            if (state && get) {
                both++;
            } else if (state) {
                stateRead++;
            } else if (get) {
                blobGet++;
            } else if (questionNanos / 1e6 >= limitMs / 2) {
                holderQuestion++;
            }
        }

        long neither() {
            return slow - stateRead - blobGet - both - holderQuestion;
        }

        String describe() {
            return String.format("%d of %d (%.1f%%): state read %d, GET %d, both %d, slow question to the holder %d, "
                    + "neither %d", slow, measured, 100.0 * slow / Math.max(1, measured), stateRead, blobGet, both,
                    holderQuestion, neither());
        }

        /** The same counts into {@code results.json}'s {@code warm_slow_queries}. */
        void write(ObjectNode o) {
            o.put("limit_ms", limitMs).put("measured", measured).put("slow", slow).put("state_read", stateRead)
                    .put("get", blobGet).put("both", both).put("holder_question", holderQuestion)
                    .put("neither", neither());
        }
    }

    /**
     * The second process's questions to the lease holder, timed: their distribution over the run, and the time the
     * current thread's questions took in all (read around each query to tell a slow question from a slow query).
     */
    static final class TimedHolderView implements io.fli.engine.HolderView {
        private final io.fli.engine.HolderView view;
        final org.HdrHistogram.Recorder latencies = new org.HdrHistogram.Recorder(3);
        private final ThreadLocal<long[]> spent = ThreadLocal.withInitial(() -> new long[1]);

        TimedHolderView(io.fli.engine.HolderView view) {
            this.view = view;
        }

        @Override
        public java.util.Optional<io.fli.engine.ViewStamp> current() {
            return current(null);
        }

        @Override
        public java.util.Optional<io.fli.engine.ViewStamp> current(io.fli.engine.ViewStamp have) {
            return timed(() -> view.current(have));
        }

        /** {@code question} asked, its time recorded and added to this thread's. */
        private <T> T timed(java.util.function.Supplier<T> question) {
            long a = System.nanoTime();
            try {
                return question.get();
            } finally {
                long took = System.nanoTime() - a;
                latencies.recordValue(took);
                spent.get()[0] += took;
            }
        }

        @Override
        public boolean leases() {
            return view.leases();
        }

        /** A request for a read lease is a question too: timed alike. */
        @Override
        public java.util.Optional<io.fli.engine.ReadLease> readLease(io.fli.engine.ViewStamp have,
                java.util.function.Consumer<byte[]> onRevoke) {
            return timed(() -> view.readLease(have, onRevoke));
        }

        /** A renewal off the query path, which may wait at the holder for its CAS: not timed as a question. */
        @Override
        public java.util.Optional<io.fli.engine.ReadLease> renewLease(io.fli.engine.ViewStamp have,
                java.util.function.Consumer<byte[]> onRevoke) {
            return view.renewLease(have, onRevoke);
        }

        /** Nanoseconds this thread's questions took in all. */
        long spent() {
            return spent.get()[0];
        }
    }

    /** GETs per query in a window, by kind: the counts {@code s1} less those of {@code s0}, over {@code n}. */
    static Map<String, Double> perQuery(Map<String, Long> s0, Map<String, Long> s1, double n) {
        Map<String, Double> out = new java.util.TreeMap<>();
        for (Map.Entry<String, Long> k : s1.entrySet()) {
            long d = k.getValue() - s0.getOrDefault(k.getKey(), 0L);
            if (d > 0) {
                out.put(k.getKey(), d / n);
            }
        }
        return out;
    }

    /**
     * Seconds from {@code since} until {@code idx}'s warming queue is first empty ({@link
     * io.fli.engine.IndexStats#warmsPending}), polled every 20 ms for at most {@code limitNanos}; NaN if it never was.
     */
    static double waitUntilWarmed(LogIndex idx, long since, long limitNanos) {
        long t0 = System.nanoTime();
        while (System.nanoTime() - t0 < limitNanos) {
            if (idx.stats().warmsPending() == 0) {
                return (System.nanoTime() - since) / 1e9;
            }
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return Double.NaN;
            }
        }
        return Double.NaN;
    }

    /** {@code all} less {@code background}, kind by kind (kinds left at zero are dropped). */
    static Map<String, Double> minus(Map<String, Double> all, Map<String, Double> background) {
        Map<String, Double> out = new java.util.TreeMap<>();
        all.forEach((k, v) -> {
            double d = v - background.getOrDefault(k, 0.0);
            if (d > 1e-9) {
                out.put(k, d);
            }
        });
        return out;
    }

    /** The JVM's garbage collectors, as it names them (e.g. {@code G1 Young Generation, G1 Old Generation}). */
    static String collector() {
        return String.join(", ", java.lang.management.ManagementFactory.getGarbageCollectorMXBeans().stream()
                .map(java.lang.management.GarbageCollectorMXBean::getName).toList());
    }

    /** {@code kind 0.12, kind 0.03} or {@code none}. */
    private static String byKind(Map<String, Double> m) {
        return m.isEmpty() ? "none" : String.join(", ", m.entrySet().stream()
                .map(e -> String.format("%s %.2f", e.getKey(), e.getValue())).toList());
    }

    /** One compared figure. */
    record Figure(String name, double measured, double target, boolean lowerIsBetter, String unit) {
        boolean passes(double margin) {
            return lowerIsBetter ? measured <= target * (1 - margin) : measured >= target * (1 + margin);
        }
    }

    @Override
    public Integer call() throws Exception {
        w = spec.commandLine().getOut();
        Inputs.atLeast(spec, "--logs", logs, 1_000);
        Inputs.segmentFormat(spec, segmentFormat);
        warmSegmentBytes = Inputs.warmSegmentBytes(spec, warmSegmentMb);
        if (!List.of("http", "none").contains(holderView)) {
            throw Inputs.bad(spec, "--holder-view must be http or none, got '" + holderView + "'");
        }
        Inputs.readLeaseMs(spec, readLeaseMs);
        if (store != null && !backend.equals("local")) {
            throw Inputs.bad(spec, "--store is where local servers keep their data: use --backend local");
        }
        Inputs.atLeast(spec, "--queries", queries, 10);
        Inputs.atLeast(spec, "--cold-queries", coldQueries, 1);
        Inputs.atLeast(spec, "--batch-blocks", batchBlocks, 1);
        if (ingestBatchBlocks != null) {
            Inputs.atLeast(spec, "--ingest-batch-blocks", ingestBatchBlocks, 1);
        }
        Inputs.atLeast(spec, "--ingest-rate", ingestRate, 0);
        if (!List.of("memory", "local", "remote").contains(backend)) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(),
                    "--backend must be memory, local or remote, got '" + backend + "'");
        }
        Path sloPath = sloFile != null ? sloFile : Path.of(System.getProperty("fli.home", "."), "slo.json");
        if (!Files.isRegularFile(sloPath)) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(),
                    "--slo: no SLO file at " + sloPath.toAbsolutePath());
        }
        JsonNode slo = new ObjectMapper().readTree(sloPath.toFile());
        double margin = slo.path("margin").asDouble(0.2);
        Path dir = out != null ? out : Path.of("store", "slo",
                LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss")));
        Files.createDirectories(dir);

        ChainGenerator gen = new ChainGenerator(ChainGenerator.Shape.defaults(seed)
                .withCardinality(1_000_000, 20_000, 2_000_000));
        IndexConfig config = IndexConfig.defaults().withMaxOrTerms(256).withMaxResults(1_000_000)
                .withMaxBlockRange(Long.MAX_VALUE / 4).withSegmentFormat(segmentFormat);
        w.printf("fli slo: backend %s, %,d logs, seed %d, margin %.0f%%, %d cores, max heap %,d MB, collector %s, "
                        + "segment format %d%n", backend, logs, seed, margin * 100,
                Runtime.getRuntime().availableProcessors(), Runtime.getRuntime().maxMemory() >> 20, collector(),
                segmentFormat);
        w.flush();

        LocalBackends local = null;
        Path serversDir = null;
        List<AutoCloseable> closing = new ArrayList<>();
        if (metricsPort < 0 || metricsPort > 65_535) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(),
                    "--metrics-port must be 0..65535, got " + metricsPort);
        }
        metrics = io.fli.workloads.MetricsEndpoint.start(metricsPort, BACKEND_PERCENTILES);
        closing.add(metrics);
        w.printf("metrics: %s%n", metrics.url());
        io.micrometer.core.instrument.MeterRegistry registry = metrics.registry();
        try {
            Stores first;
            java.util.function.Function<String, Stores> another;
            if (backend.equals("memory")) {
                Stores s = new Stores(io.fli.engine.Metered.meta(MetaStore.inMemory(), registry, "memory"),
                        io.fli.engine.Metered.blobs(BlobStore.inMemory(), registry, "memory"));
                first = s;
                another = process -> s;
            } else {
                io.fli.backends.Endpoints at;
                if (backend.equals("local")) {
                    serversDir = store != null ? Files.createDirectories(store)
                            : Files.createTempDirectory("fli-slo");
                    at = io.fli.backends.Endpoints.local(serversDir, "slo");
                } else {
                    at = io.fli.backends.Endpoints.fromEnvironment();
                }
                local = at.servers();
                CqlConfig c = at.cql();
                S3Config b = at.s3();
                another = process -> {
                    ScyllaMetaStore m = ScyllaMetaStore.connect(c);
                    MinioBlobStore bl = MinioBlobStore.connect(b);
                    closing.add(m);
                    closing.add(bl);
                    return new Stores(io.fli.engine.Metered.meta(m, registry, "cql" + process),
                            io.fli.engine.Metered.blobs(bl, registry, "s3" + process));
                };
                first = another.apply("");
            }
            return run(slo, margin, dir, gen, config, first, another);
        } finally {
            for (AutoCloseable c : closing) {
                c.close();
            }
            if (local != null) {
                local.close();
            }
            if (store == null && serversDir != null) {
                Dirs.delete(serversDir); // the servers are stopped; a temporary index is not kept
            }
        }
    }

    record Stores(MetaStore meta, BlobStore blobs) {
    }

    /**
     * Publishes {@code batch} for the build, again after a failure whose cause may pass (an unknown outcome, a
     * backend error), {@code pauseMs} apart, up to {@link #BUILD_RETRIES} times in a row: a stalled server (a GC pause,
     * a dropped connection) fails a publish now and then over a half-hour build, and publishing the same batch again
     * is idempotent (what a lost attempt indexed is recognised by its hashes). A fence, a degraded index or a bad
     * block ends the build. Returns the failed attempts.
     */
    static int publishRetrying(Writer writer, List<Block> batch, PrintWriter w, long pauseMs)
            throws InterruptedException {
        for (int failed = 0; ; ) {
            try {
                writer.publish(batch);
                return failed;
            } catch (io.fli.engine.OutcomeUnknownException | io.fli.engine.BackendException e) {
                if (++failed > BUILD_RETRIES) {
                    throw e;
                }
                w.printf("  ingest: publish of blocks %,d..%,d failed (%s); again in %,d ms%n",
                        batch.get(0).number(), batch.get(batch.size() - 1).number(), e.getMessage(), pauseMs);
                w.flush();
                Thread.sleep(pauseMs);
            }
        }
    }

    private int run(JsonNode slo, double margin, Path dir, ChainGenerator gen, IndexConfig config, Stores first,
                    java.util.function.Function<String, Stores> another) throws Exception {
        ObjectMapper json = new ObjectMapper();
        ObjectNode results = json.createObjectNode();
        // What the figures were measured on: the query tails follow the collector's pauses (docs/slo.md, "The JVM").
        results.put("cores", Runtime.getRuntime().availableProcessors())
                .put("max_heap_mb", Runtime.getRuntime().maxMemory() >> 20).put("collector", collector());
        List<Figure> figures = new ArrayList<>();
        LogIndex holder = measured(LogIndex.open(first.meta(), first.blobs(), config), "lease-holder");
        Writer writer = holder.writer("slo-holder");
        writer.acquire();
        Long head = holder.head();
        long next = head == null ? 0 : head + 1;
        long have = 0;
        // Build (or extend) the index to --logs, generation on its own thread, publishes on this one.
        java.util.concurrent.ScheduledExecutorService renewals = java.util.concurrent.Executors
                .newSingleThreadScheduledExecutor();
        // Every applied publish renews the lease too: a renewal is due only when none was applied for a third of the
        // lease. (A renewal between a publish's read and its CAS makes the publish do its CAS again.)
        AtomicLong lastPublish = new AtomicLong(System.nanoTime());
        long renewAfter = config.leaseDuration().toNanos() / 3;
        renewals.scheduleAtFixedRate(() -> {
            if (System.nanoTime() - lastPublish.get() < renewAfter) {
                return;
            }
            try {
                writer.renew();
            } catch (RuntimeException e) {
                // a failed renewal shows up as a failed publish below
            }
        }, 1, 1, TimeUnit.SECONDS);
        long already = countLogs(gen, next);
        long startBlock = next;
        long t0 = System.nanoTime();
        long ingested = 0;
        long blocks = 0;
        long buildErrors = 0;
        if (already < logs) {
            BlockingQueue<List<Block>> q = new ArrayBlockingQueue<>(4);
            long target = logs - already;
            long from = next;
            Thread producer = new Thread(() -> {
                long n = from;
                long made = 0;
                try {
                    while (made < target) {
                        List<Block> batch = gen.blocks(n, batchBlocks);
                        n += batch.size();
                        for (Block b : batch) {
                            made += b.logs().size();
                        }
                        q.put(batch);
                    }
                    q.put(List.of());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }, "slo-generator");
            producer.setDaemon(true);
            producer.start();
            long lastReport = System.nanoTime();
            while (true) {
                List<Block> batch = q.take();
                if (batch.isEmpty()) {
                    break;
                }
                buildErrors += publishRetrying(writer, batch, w, 1_000);
                lastPublish.set(System.nanoTime());
                blocks += batch.size();
                for (Block b : batch) {
                    ingested += b.logs().size();
                }
                next = batch.get(batch.size() - 1).number() + 1;
                if (System.nanoTime() - lastReport > 10_000_000_000L) {
                    lastReport = System.nanoTime();
                    w.printf("  ingest: %,d logs, %,.0f logs/s%n", already + ingested,
                            ingested / ((System.nanoTime() - t0) / 1e9));
                    w.flush();
                }
            }
        }
        double ingestS = (System.nanoTime() - t0) / 1e9;
        writer.compact();
        have = already + ingested;
        long headBlock = next - 1;
        if (ingested > 0) {
            w.printf("ingest: %,d logs in %,d blocks in %.1f s: %,.0f logs/s, %,.0f blocks/s (blocks %,d..%,d)%n",
                    ingested, blocks, ingestS, ingested / ingestS, blocks / ingestS, startBlock, headBlock);
            figures.add(new Figure("ingest logs/s", ingested / ingestS, slo.path("ingest").path("logs_per_s")
                    .asDouble(), false, "logs/s"));
            figures.add(new Figure("ingest blocks/s", blocks / ingestS, slo.path("ingest").path("blocks_per_s")
                    .asDouble(), false, "blocks/s"));
        } else {
            w.printf("ingest: the index already holds %,d logs (blocks 0..%,d): reused, ingest rate not measured%n",
                    have, headBlock);
        }
        results.put("logs", have).put("head", headBlock).put("build_errors", buildErrors);
        if (buildErrors > 0) {
            w.printf("ingest: %,d publishes failed and were retried while building%n", buildErrors);
        }
        storage(first.blobs(), have, headBlock + 1, results);

        // Cold start of a second process: open -> first answered query.
        QueryMix mix = new QueryMix(gen, 256, 10_000);
        SplittableRandom r = new SplittableRandom(seed * 17 + 3);
        long c0 = System.nanoTime();
        Stores second = another.apply(OTHER);
        // The holder answers GET /lease-view over HTTP as fli serve does; the second process asks it.
        io.fli.serve.RpcServer holderHttp = null;
        io.fli.serve.HttpHolderView asked = null;
        TimedHolderView timed = null;
        IndexConfig otherConfig = config.withWarmSegmentBytes(warmSegmentBytes);
        if (holderView.equals("http")) {
            LogIndex h = holder;
            holderHttp = new io.fli.serve.RpcServer(() -> h, () -> "", "127.0.0.1", 0);
            asked = new io.fli.serve.HttpHolderView(java.net.URI.create("http://127.0.0.1:" + holderHttp.port()),
                    java.time.Duration.ofMillis(20), java.time.Duration.ofMillis(readLeaseMs));
            timed = new TimedHolderView(asked);
            otherConfig = otherConfig.withHolderView(timed);
        }
        LogIndex other = measured(LogIndex.open(second.meta(), second.blobs(), otherConfig), "other-process");
        other.query(mix.of(QueryMix.Kind.SELECTIVE_ADDRESS, r, 0, headBlock));
        double coldStartMs = (System.nanoTime() - c0) / 1e6;
        w.printf("cold start (open -> first answer, second process): %.0f ms%n", coldStartMs);
        figures.add(new Figure("cold start ms", coldStartMs, slo.path("cold_start_ms").path("target").asDouble(),
                true, "ms"));

        // Ingest keeps running while queries are measured.
        AtomicBoolean stop = new AtomicBoolean();
        AtomicLong live = new AtomicLong(headBlock);
        AtomicLong ingestErrors = new AtomicLong();
        long nextBlock = next;
        int liveBatch = ingestBatchBlocks != null ? ingestBatchBlocks : Math.max(1, batchBlocks / 10);
        Thread ingest = new Thread(() -> {
            long n = nextBlock;
            while (!stop.get()) {
                long s = System.nanoTime();
                List<Block> batch = gen.blocks(n, liveBatch);
                try {
                    writer.publish(batch);
                    lastPublish.set(System.nanoTime());
                    n += batch.size();
                    live.set(n - 1);
                } catch (RuntimeException e) {
                    ingestErrors.incrementAndGet();
                }
                long logsIn = batch.stream().mapToLong(b -> b.logs().size()).sum();
                long pace = ingestRate == 0 ? 1_000_000_000L : (long) (logsIn * 1e9 / ingestRate);
                long sleep = pace - (System.nanoTime() - s);
                if (sleep > 0) {
                    try {
                        Thread.sleep(sleep / 1_000_000, (int) (sleep % 1_000_000));
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            }
        }, "slo-ingest");
        ingest.setDaemon(true);
        if (ingestRate > 0) {
            ingest.start();
        }
        w.printf("ingest while measuring: %,d logs/s in publishes of %,d blocks%n", ingestRate, liveBatch);
        results.putObject("ingest_while_measuring").put("logs_per_s", ingestRate).put("batch_blocks", liveBatch);
        long total = 0;
        long errors = 0;
        // Warm-up: the second process was just opened (a restart); until the p99 of a window of selective queries is
        // within target. Its warm figures below are those of a warmed process, as a query process serves once up.
        double target99 = slo.path("queries").path("selective-address").path("p99_ms").asDouble();
        long u0 = System.nanoTime();
        double warmUpS = Double.NaN;
        SplittableRandom ur = new SplittableRandom(seed + 99);
        for (int window = 0; window < 100 && System.nanoTime() - u0 < 120_000_000_000L; window++) {
            Histogram h = new Histogram(3);
            for (int i = 0; i < 200; i++) {
                long a = System.nanoTime();
                try {
                    other.query(mix.of(QueryMix.Kind.SELECTIVE_ADDRESS, ur, 0, live.get()));
                } catch (RuntimeException e) {
                    errors++;
                }
                total++;
                h.recordValue(System.nanoTime() - a);
            }
            if (ms(h, 99) <= target99) {
                warmUpS = (System.nanoTime() - u0) / 1e9;
                break;
            }
        }
        w.printf("warm-up after restart (the second process, just opened: selective p99 back within %.0f ms, windows of "
                + "200): %s%n", target99,
                Double.isNaN(warmUpS) ? "not within 120 s" : String.format("%.2f s", warmUpS));
        figures.add(new Figure("warm-up s", Double.isNaN(warmUpS) ? Double.MAX_VALUE : warmUpS,
                slo.path("warm_up_s").path("target").asDouble(), true, "s"));
        // Warm figures are those of a warmed process: its first state's warming (every segment's heads and filters,
        // block pages and pack heads, on threads of their own) done. Until then its GETs compete with the measured
        // queries' and new segments queue behind it; a query process serves during that time too, and the warm-up
        // figure above is what it costs. Polled, at most two minutes; ingest goes on meanwhile.
        double warmedS = waitUntilWarmed(other, u0, 120_000_000_000L);
        w.printf("second process warmed (its warming queue first empty): %s after the warm-up began%n",
                Double.isNaN(warmedS) ? "not within 120 s" : String.format("%.2f s", warmedS));
        results.put("second_process_warmed_s", Double.isNaN(warmedS) ? -1 : warmedS);
        w.println();
        w.println("| process | class | warm p50 ms | p95 ms | p99 ms | cold p50 ms | cold p99 ms | results mean | p99 "
                + "| max | GETs/query | KB/query |");
        w.println("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        ObjectNode qres = results.putObject("queries");
        // The order the phases ran in: a cold phase empties the caches, so no warm phase of a process may follow one.
        com.fasterxml.jackson.databind.node.ArrayNode phases = results.putArray("phases");
        Map<String, Map<String, Histogram>> distributions = new java.util.LinkedHashMap<>();
        List<String> getsByKind = new ArrayList<>(); // the GETs/query column, told apart by what they read
        // The second process first, straight after its warm-up: while the holder is measured, ingest and merges go on
        // making segments the second process has not read yet.
        for (String who : List.of("other-process", "lease-holder")) {
            LogIndex idx = who.equals("lease-holder") ? holder : other;
            // Every class's warm queries first, then every class's cold ones: a cold query drops the caches, and a
            // class measured after another's cold queries would start its "warm" phase from an empty cache.
            Map<String, Warm> warmOf = new java.util.HashMap<>();
            for (Map.Entry<String, QueryMix.Kind> c : CLASSES.entrySet()) {
                Histogram warm = new Histogram(3);
                Histogram sizes = new Histogram(3); // logs per answer: the cost of a class follows its answers
                SplittableRandom qr = new SplittableRandom(seed * 1_000 + c.getKey().hashCode());
                io.fli.engine.IndexStats s0 = null;
                // What the queries slower than the p99 limit waited on (read from the counters around each query).
                SlowQueries slow = new SlowQueries(slo.path("queries").path(c.getKey()).path("p99_ms").asDouble()
                        * (1 - margin));
                // The counters before the query being measured: the window's start, then each query's end.
                io.fli.engine.IndexStats before = null;
                for (int i = 0; i < Math.min(200, queries) + queries; i++) {
                    if (i == Math.min(200, queries)) {
                        s0 = idx.stats();
                        before = s0;
                    }
                    boolean measuring = i >= Math.min(200, queries);
                    long asking = idx == other && timed != null ? timed.spent() : 0;
                    LogQuery q = mix.of(c.getValue(), qr, 0, live.get());
                    long a = System.nanoTime();
                    try {
                        int n = idx.query(q).logs().size();
                        if (measuring) {
                            long took = System.nanoTime() - a;
                            warm.recordValue(took);
                            sizes.recordValue(n);
                            io.fli.engine.IndexStats after = idx.stats();
                            slow.add(took, before, after, idx == other && timed != null ? timed.spent() - asking : 0);
                            before = after;
                        }
                    } catch (RuntimeException e) {
                        errors++;
                        if (measuring) {
                            before = idx.stats(); // the failed query's reads are not the next one's
                        }
                    }
                    total++;
                }
                phases.add(who + " warm " + c.getKey());
                // The blob GETs of the measured queries, and apart from them those made in the same window off
                // their path (the second process warming the segments ingest adds, the holder's merges): counted
                // together, the warmer's directory pages once looked like a selective query's own.
                io.fli.engine.IndexStats s1 = idx.stats();
                double n = Math.max(1, queries);
                Map<String, Double> background = perQuery(s0.backgroundReadsByKind(), s1.backgroundReadsByKind(), n);
                Map<String, Double> byKind = minus(perQuery(s0.blobReadsByKind(), s1.blobReadsByKind(), n),
                        background);
                long gets = (s1.blobReads() - s0.blobReads()) - (s1.backgroundReads() - s0.backgroundReads());
                long bytes = (s1.blobBytesRead() - s0.blobBytesRead())
                        - (s1.backgroundBytesRead() - s0.backgroundBytesRead());
                warmOf.put(c.getKey(), new Warm(warm, sizes, qr, gets / n, bytes / n / 1024, byKind, background,
                        slow));
            }
            for (Map.Entry<String, QueryMix.Kind> c : CLASSES.entrySet()) {
                Warm earlier = warmOf.get(c.getKey());
                Histogram warm = earlier.latencies();
                Histogram cold = new Histogram(3);
                Histogram sizes = earlier.results();
                SplittableRandom qr = earlier.random(); // the class's cold queries continue its draws
                phases.add(who + " cold " + c.getKey());
                for (int i = 0; i < coldQueries; i++) {
                    LogQuery q = mix.of(c.getValue(), qr, 0, live.get());
                    idx.dropCaches();
                    long a = System.nanoTime();
                    try {
                        idx.query(q);
                        cold.recordValue(System.nanoTime() - a);
                    } catch (RuntimeException e) {
                        errors++;
                    }
                    total++;
                }
                w.printf("| %s | %s | %.3f | %.3f | %.3f | %.3f | %.3f | %.1f | %d | %d | %.2f | %.1f |%n", who,
                        c.getKey(), ms(warm, 50), ms(warm, 95), ms(warm, 99), ms(cold, 50), ms(cold, 99),
                        sizes.getMean(), sizes.getValueAtPercentile(99), sizes.getMaxValue(), earlier.getsPerQuery(),
                        earlier.kbPerQuery());
                w.flush();
                JsonNode t = slo.path("queries").path(c.getKey());
                for (String p : List.of("p50", "p95", "p99")) {
                    double pct = Double.parseDouble(p.substring(1));
                    figures.add(new Figure(who + " " + c.getKey() + " " + p, ms(warm, pct), t.path(p + "_ms")
                            .asDouble(), true, "ms"));
                }
                ObjectNode o = qres.putObject(who + "/" + c.getKey());
                o.put("warm_p50_ms", ms(warm, 50)).put("warm_p95_ms", ms(warm, 95)).put("warm_p99_ms", ms(warm, 99))
                        .put("cold_p50_ms", ms(cold, 50)).put("cold_p99_ms", ms(cold, 99))
                        .put("mean_results", sizes.getMean()).put("results_p99", sizes.getValueAtPercentile(99))
                        .put("results_max", sizes.getMaxValue()).put("warm_gets_per_query", earlier.getsPerQuery())
                        .put("warm_kb_per_query", earlier.kbPerQuery());
                ObjectNode kinds = o.putObject("warm_gets_per_query_by_kind");
                earlier.byKind().forEach(kinds::put);
                ObjectNode off = o.putObject("warm_background_gets_per_query_by_kind");
                earlier.backgroundByKind().forEach(off::put);
                getsByKind.add(String.format("| %s | %s | %s | %s | %s |", who, c.getKey(), byKind(earlier.byKind()),
                        byKind(earlier.backgroundByKind()), earlier.slow().describe()));
                earlier.slow().write(o.putObject("warm_slow_queries"));
                hgrm(dir.resolve(who + "-" + c.getKey() + "-warm.hgrm"), warm);
                hgrm(dir.resolve(who + "-" + c.getKey() + "-cold.hgrm"), cold);
                distributions.computeIfAbsent(who + " warm", k -> new java.util.LinkedHashMap<>()).put(c.getKey(), warm);
                distributions.computeIfAbsent(who + " cold", k -> new java.util.LinkedHashMap<>()).put(c.getKey(), cold);
            }
        }

        w.println();
        w.println("| process | class | warm GETs per query by what they read | GETs off the query path in the same "
                + "window, per query (warming, merges) | warm queries over the p99 limit, by what they waited on |");
        w.println("|---|---|---|---|---|");
        getsByKind.forEach(w::println);
        for (Map.Entry<String, Map<String, Histogram>> d : distributions.entrySet()) {
            try {
                percentilePlot(dir, d.getKey(), d.getValue(), slo);
            } catch (java.io.IOException | RuntimeException e) {
                w.println("plot " + d.getKey() + ": not drawn (" + e + "); the .hgrm files hold the data");
            }
        }

        stop.set(true);
        ingest.join(60_000);
        renewals.shutdownNow();
        double errorRatio = errors / (double) Math.max(1, total);
        w.printf("query errors: %d of %,d (%.4f%%); ingest errors while measuring: %d; blocks ingested while "
                + "measuring: %,d%n", errors, total, errorRatio * 100, ingestErrors.get(), live.get() - headBlock);
        figures.add(new Figure("query error ratio", errorRatio, slo.path("error_budget").path("query_error_ratio")
                .asDouble(), true, "ratio"));
        backendCalls(metrics.registry(), results);
        var st = other.stats();
        w.printf("second process cache: %,d of %,d bytes, %,d hits, %,d misses, %,d evictions, %,d blob GETs "
                        + "(%,d bytes), %,d state reads%n", st.cacheWeightBytes(), st.cacheLimitBytes(),
                st.cacheHits(), st.cacheMisses(), st.cacheEvictions(), st.blobReads(), st.blobBytesRead(),
                st.stateReads());
        if (asked != null) {
            long[] c = asked.counts();
            Histogram q = timed.latencies.getIntervalHistogram();
            w.printf("second process holder view: %,d questions to the holder (p50 / p99 / max %.3f / %.3f / %.1f ms), "
                    + "%,d named a state, %,d failed or timed out; %,d queries answered from the named state, %,d of "
                    + "them from a record the answer carried (a state not read yet)%n", c[0], ms(q, 50), ms(q, 99),
                    q.getMaxValue() / 1e6, c[1], c[2], st.holderViewAnswers(), st.holderViewRecords());
            long[] l = asked.leaseCounts();
            w.printf("second process read leases (%d ms): %,d granted, %,d revoked and acknowledged; %,d queries "
                    + "answered under one without asking%n", readLeaseMs, l[0], l[1], st.readLeaseAnswers());
            results.putObject("read_leases").put("ms", readLeaseMs).put("granted", l[0]).put("revoked", l[1])
                    .put("answers", st.readLeaseAnswers());
            results.putObject("holder_view").put("asked", c[0]).put("named", c[1]).put("failed", c[2])
                    .put("answers", st.holderViewAnswers()).put("records", st.holderViewRecords())
                    .put("question_p50_ms", ms(q, 50)).put("question_p99_ms", ms(q, 99))
                    .put("question_max_ms", q.getMaxValue() / 1e6);
        }

        // The verdict.
        w.println();
        w.println("| figure | measured | target | must be | margin | verdict |");
        w.println("|---|---:|---:|---:|---:|---|");
        boolean all = true;
        com.fasterxml.jackson.databind.node.ArrayNode fs = results.putArray("figures");
        for (Figure f : figures) {
            boolean ok = f.passes(margin);
            all &= ok;
            double limit = f.lowerIsBetter() ? f.target() * (1 - margin) : f.target() * (1 + margin);
            double m = f.lowerIsBetter() ? 1 - f.measured() / f.target() : f.measured() / f.target() - 1;
            w.printf("| %s | %s | %s | %s %s | %+.0f%% | %s |%n", f.name(), num(f.measured()), num(f.target()),
                    f.lowerIsBetter() ? "<=" : ">=", num(limit), m * 100, ok ? "pass" : "FAIL");
            fs.addObject().put("name", f.name()).put("measured", f.measured()).put("target", f.target())
                    .put("unit", f.unit()).put("pass", ok);
        }
        results.put("pass", all).put("margin", margin);
        json.writerWithDefaultPrettyPrinter().writeValue(dir.resolve("results.json").toFile(), results);
        w.printf("%n%s: %d figures, %d within target with the %.0f%% margin; results in %s%n", all ? "PASS" : "FAIL",
                figures.size(), figures.stream().filter(f -> f.passes(margin)).count(), margin * 100, dir);
        w.flush();
        if (holderHttp != null) {
            holderHttp.close();
        }
        holder.close();
        other.close();
        return all ? 0 : 1;
    }

    /** The suffix of the second process's backend tags ({@code cql-other}, {@code s3-other}). */
    static final String OTHER = "-other";

    /**
     * Percentiles of every backend call over the whole run (not the registry's default two-minute window): the
     * second process's committed state reads are a backend call per query, and their tail is its tail.
     */
    static final io.micrometer.core.instrument.config.MeterFilter BACKEND_PERCENTILES =
            new io.micrometer.core.instrument.config.MeterFilter() {
                @Override
                public io.micrometer.core.instrument.distribution.DistributionStatisticConfig configure(
                        io.micrometer.core.instrument.Meter.Id id,
                        io.micrometer.core.instrument.distribution.DistributionStatisticConfig config) {
                    if (!id.getName().equals("fli.backend.requests")) {
                        return config;
                    }
                    return io.micrometer.core.instrument.distribution.DistributionStatisticConfig.builder()
                            .percentiles(0.5, 0.95, 0.99).percentilePrecision(2)
                            .expiry(java.time.Duration.ofDays(7)).bufferLength(1).build().merge(config);
                }
            };

    /** Prints and records count, p50/p95/p99 and max of every backend call the run made, by backend and call. */
    private void backendCalls(io.micrometer.core.instrument.MeterRegistry registry, ObjectNode results) {
        ObjectNode o = results.putObject("backend_calls");
        w.println("backend calls over the run (the second process's are tagged " + OTHER + "):");
        w.println("| backend | call | count | p50 ms | p95 ms | p99 ms | max ms |");
        w.println("|---|---|---:|---:|---:|---:|---:|");
        List<io.micrometer.core.instrument.Timer> timers = new ArrayList<>(
                registry.find("fli.backend.requests").timers());
        timers.sort(java.util.Comparator.comparing((io.micrometer.core.instrument.Timer t) -> t.getId().getTag(
                "backend")).thenComparing(t -> t.getId().getTag("op")));
        for (io.micrometer.core.instrument.Timer t : timers) {
            var snap = t.takeSnapshot();
            double[] p = new double[3];
            for (var v : snap.percentileValues()) {
                int i = v.percentile() < 0.9 ? 0 : v.percentile() < 0.98 ? 1 : 2;
                p[i] = v.value(java.util.concurrent.TimeUnit.MILLISECONDS);
            }
            String b = t.getId().getTag("backend");
            String op = t.getId().getTag("op");
            double max = snap.max(java.util.concurrent.TimeUnit.MILLISECONDS);
            w.printf("| %s | %s | %,d | %.3f | %.3f | %.3f | %.1f |%n", b, op, snap.count(), p[0], p[1], p[2], max);
            o.putObject(b + "/" + op).put("count", snap.count()).put("p50_ms", p[0]).put("p95_ms", p[1])
                    .put("p99_ms", p[2]).put("max_ms", max);
        }
        w.flush();
    }

    /** {@code index} measured into the endpoint's registry under {@code process}. */
    private LogIndex measured(LogIndex index, String process) {
        return io.fli.engine.Metered.index(index, metrics.registry(), io.micrometer.core.instrument.Tags.of("process",
                process));
    }

    private static String num(double v) {
        return v >= 1000 ? String.format("%,.0f", v) : v >= 1 ? String.format("%.2f", v) : String.format("%.4f", v);
    }

    /** Logs in blocks {@code 0..next-1} of the generated chain (0 when starting afresh). */
    private static long countLogs(ChainGenerator gen, long next) {
        long n = 0;
        for (long b = 0; b < next; b++) {
            n += gen.block(b).logs().size();
        }
        return n;
    }

    /** Stored bytes per object kind, per log and per block: the capacity model's input. */
    private void storage(BlobStore blobs, long logs, long blocks, ObjectNode results) {
        ObjectNode s = results.putObject("storage");
        for (String prefix : List.of("packs/", "index/")) {
            long bytes = 0;
            long count = 0;
            for (BlobStore.BlobInfo b : blobs.list(prefix)) {
                bytes += b.size();
                count++;
            }
            w.printf("storage %-7s %,d objects, %,d bytes: %.1f bytes per log, %.0f bytes per block%n", prefix, count,
                    bytes, bytes / (double) logs, bytes / (double) blocks);
            s.putObject(prefix).put("objects", count).put("bytes", bytes).put("bytes_per_log", bytes / (double) logs)
                    .put("bytes_per_block", bytes / (double) blocks);
        }
        w.flush();
    }

    /**
     * The latency distribution of each class, as HdrHistogram's percentile plots draw it: latency against the
     * percentile on a "nines" axis (1 = 90%, 2 = 99%, 3 = 99.9%), one line per class, each class's p99 target as a
     * dot at 2. Written as {@code slo-<process>-<warm|cold>.png}.
     */
    static void percentilePlot(Path dir, String name, Map<String, Histogram> byClass, JsonNode slo)
            throws java.io.IOException {
        org.jfree.data.xy.XYSeriesCollection data = new org.jfree.data.xy.XYSeriesCollection();
        // Each class's p99 target, drawn in the class's own colour (series index of the class -> its target).
        List<double[]> targets = new ArrayList<>();
        for (Map.Entry<String, Histogram> e : byClass.entrySet()) {
            Histogram h = e.getValue();
            if (h.getTotalCount() == 0) {
                continue;
            }
            org.jfree.data.xy.XYSeries s = new org.jfree.data.xy.XYSeries(e.getKey(), false, true);
            for (org.HdrHistogram.HistogramIterationValue v : h.percentiles(5)) {
                double p = v.getPercentileLevelIteratedTo();
                if (p >= 100.0) {
                    break;
                }
                s.add(-Math.log10(1 - p / 100.0), Math.max(1e-3, v.getValueIteratedTo() / 1e6));
            }
            double t = slo.path("queries").path(e.getKey()).path("p99_ms").asDouble(Double.NaN);
            if (!Double.isNaN(t)) {
                targets.add(new double[]{data.getSeriesCount(), t});
            }
            data.addSeries(s);
        }
        if (data.getSeriesCount() == 0) {
            return;
        }
        int classes = data.getSeriesCount();
        for (int i = 0; i < targets.size(); i++) {
            org.jfree.data.xy.XYSeries t = new org.jfree.data.xy.XYSeries(
                    data.getSeriesKey((int) targets.get(i)[0]) + " p99 target", false, true);
            t.add(2.0 + 0.02 * i, targets.get(i)[1]);
            data.addSeries(t);
        }
        org.jfree.chart.JFreeChart chart = io.fli.checker.Plots.lineChart("query latency by percentile: " + name
                + " (triangles: each class's p99 target)", "percentile (nines: 1 = 90%, 2 = 99%, 3 = 99.9%)",
                "latency (ms, log)", data, true);
        org.jfree.chart.renderer.xy.XYLineAndShapeRenderer r =
                (org.jfree.chart.renderer.xy.XYLineAndShapeRenderer) chart.getXYPlot().getRenderer();
        java.awt.Shape triangle = new java.awt.Polygon(new int[]{-5, 5, -5}, new int[]{-5, 0, 5}, 3);
        for (int i = 0; i < classes; i++) {
            r.lookupSeriesPaint(i); // the classes take the palette's colours in order, before their targets copy them
        }
        for (int i = 0; i < targets.size(); i++) {
            int ti = classes + i;
            r.setSeriesLinesVisible(ti, false);
            r.setSeriesShapesVisible(ti, true);
            r.setSeriesShapesFilled(ti, true);
            r.setSeriesShape(ti, triangle);
            r.setSeriesPaint(ti, r.lookupSeriesPaint((int) targets.get(i)[0]));
            r.setSeriesVisibleInLegend(ti, false);
        }
        io.fli.checker.Plots.save(dir, "slo-" + name.replace(' ', '-') + ".png", chart);
    }

    private static double ms(Histogram h, double percentile) {
        return h.getTotalCount() == 0 ? Double.NaN : h.getValueAtPercentile(percentile) / 1e6;
    }

    private static void hgrm(Path file, Histogram h) throws java.io.IOException {
        try (PrintStream p = new PrintStream(Files.newOutputStream(file))) {
            h.outputPercentileDistribution(p, 1_000_000.0);
        }
    }
}
