package io.fli.soak;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fli.backends.Endpoints;
import io.fli.backends.LocalBackends;
import io.fli.backends.LocalServer;
import io.fli.backends.MinioBlobStore;
import io.fli.backends.ScyllaMetaStore;
import io.fli.checker.CheckResult;
import io.fli.checker.HistoryWriter;
import io.fli.checker.IncrementalChecker;
import io.fli.checker.Op;
import io.fli.checker.Reports;
import io.fli.engine.BackendException;
import io.fli.engine.BlobStore;
import io.fli.engine.Block;
import io.fli.engine.DegradedException;
import io.fli.engine.FencedException;
import io.fli.engine.GcReport;
import io.fli.engine.IndexConfig;
import io.fli.engine.InvalidBlockException;
import io.fli.engine.InvalidQueryException;
import io.fli.engine.LeaseHeldException;
import io.fli.engine.LogIndex;
import io.fli.engine.LogQuery;
import io.fli.engine.MetaStore;
import io.fli.engine.Metered;
import io.fli.engine.PublishResult;
import io.fli.engine.QueryClass;
import io.fli.engine.QueryResult;
import io.fli.engine.Writer;
import io.fli.faults.ProcessNemesis;
import io.fli.workloads.ChainGenerator;
import io.fli.workloads.HistoryJson;
import io.fli.workloads.MetricsEndpoint;
import io.fli.workloads.QueryMix;
import io.micrometer.core.instrument.Tags;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.zip.GZIPOutputStream;

/**
 * A soak: sustained ingest at a profile's rate with periodic bursts, readers running every query class, GC and
 * merges on schedule, optional faults; every operation recorded in a compact history, latency in HdrHistogram
 * interval logs per class, and a time series of heap, RSS, threads, storage and GC backlog. At the end (or on
 * SIGINT/SIGTERM) it checks the history, computes the stability checks ({@link Verdict}) and writes
 * {@code soak.json}.
 *
 * <p>A run folder {@code store/soak/<time>/} holds {@code soak.json}, {@code history.jsonl.gz},
 * {@code results.json} (the checker's answer), {@code timeseries.jsonl}, {@code latency-<class>.hlog},
 * {@code ingest.hlog}, {@code metrics.prom} (the last scrape) and, for local servers, their folders.
 */
public final class Soak {
    static final ObjectMapper JSON = new ObjectMapper();
    private static final String WRITER = "soak-writer";
    private static volatile Soak current;

    /** What a soak produced. */
    public record Result(Path dir, boolean valid, boolean stable, List<Verdict.Check> checks, CheckResult check,
                         boolean interrupted, ObjectNode summary) {
        /** 0 when the history is valid and every stability check passed, else 1. */
        public int exitCode() {
            return valid && stable ? 0 : 1;
        }
    }

    private final SoakConfig cfg;
    private final SoakProfile p;
    private final PrintWriter out;
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final AtomicBoolean interrupted = new AtomicBoolean();
    private final CountDownLatch stopped = new CountDownLatch(1);
    private final AtomicInteger nextProcess = new AtomicInteger();
    private final AtomicLong sourceHead = new AtomicLong(-1);
    private final AtomicLong indexedHead = new AtomicLong(-1);
    private final AtomicLong ingestedLogs = new AtomicLong();
    private final AtomicLong queries = new AtomicLong();
    private final AtomicLong queryErrors = new AtomicLong();
    private final AtomicLong publishErrors = new AtomicLong();
    private final AtomicReference<GcReport> lastGc = new AtomicReference<>();
    private final AtomicReference<Throwable> failure = new AtomicReference<>();
    private final Map<String, AtomicLong> nemesisCounts = new java.util.concurrent.ConcurrentHashMap<>();
    /** Readers and the writer hold it shared; a restart (the index process losing its memory) holds it alone. */
    private final ReentrantReadWriteLock indexLock = new ReentrantReadWriteLock();
    private volatile LogIndex index;
    /** With {@code readersVia serve}: the JSON-RPC server over the index (as fli serve runs it) and its client. */
    private io.fli.serve.RpcServer rpc;
    private io.fli.workloads.RpcClient rpcClient;
    /** Bumped by each restart: a writer of an older generation belongs to an index that is gone. */
    private final AtomicInteger generation = new AtomicInteger();
    private long startNanos;
    private HistoryWriter history;
    /** The history checked as it is written. */
    private IncrementalChecker.Live live;
    private volatile Path runDir;
    private final java.util.concurrent.atomic.AtomicLong anomaliesFound = new java.util.concurrent.atomic.AtomicLong();
    private final java.util.concurrent.atomic.AtomicLong maxCheckLag = new java.util.concurrent.atomic.AtomicLong();
    private Latency latency;

    private Soak(SoakConfig cfg, PrintWriter out) {
        this.cfg = cfg;
        this.p = cfg.profile();
        this.out = out;
    }

    /** Stops a running soak early (SIGINT/SIGTERM): it writes everything it has and its verdict, then returns. */
    public static void interrupt() {
        Soak s = current;
        if (s != null) {
            s.interrupted.set(true);
            s.running.set(false);
            s.stopped.countDown();
        }
    }

    public static Result run(SoakConfig cfg, PrintWriter out) throws Exception {
        Soak s = new Soak(cfg, out);
        current = s;
        try {
            return s.go();
        } finally {
            current = null;
        }
    }

    /** The stores, wrapped for metrics, and what must be closed after. */
    private record Stores(MetaStore meta, BlobStore blobs, BlobStore rawBlobs, LocalBackends servers,
                          List<AutoCloseable> closing) {
    }

    private Stores open(Path dir, PrometheusMeterRegistry registry) {
        List<AutoCloseable> closing = new ArrayList<>();
        if (cfg.backend().equals("memory")) {
            BlobStore blobs = BlobStore.inMemory(io.fli.engine.WriteHook.NONE, Clock.systemUTC());
            return new Stores(Metered.meta(MetaStore.inMemory(), registry, "memory"),
                    Metered.blobs(blobs, registry, "memory"), blobs, null, closing);
        }
        Endpoints at = cfg.backend().equals("local") ? Endpoints.local(dir.resolve("servers"), "fli")
                : Endpoints.fromEnvironment();
        LocalBackends servers = at.servers();
        ScyllaMetaStore meta = ScyllaMetaStore.connect(at.cql());
        MinioBlobStore blobs = MinioBlobStore.connect(at.s3());
        closing.add(meta);
        closing.add(blobs);
        return new Stores(Metered.meta(meta, registry, "cql"), Metered.blobs(blobs, registry, "s3"), blobs,
                servers, closing);
    }

    private IndexConfig indexConfig() {
        return IndexConfig.defaults().withLeaseDuration(Duration.ofSeconds(10)).withGcGrace(p.gcGrace())
                .withMaxResults(1_000_000).withMaxOrTerms(256).withMaxBlockRange(Long.MAX_VALUE / 4)
                .withCacheBytes(p.cacheMb() << 20);
    }

    private LogIndex openIndex(Stores s, PrometheusMeterRegistry registry) {
        LogIndex raw = LogIndex.open(s.meta(), s.blobs(), indexConfig());
        if (cfg.bug() != null) {
            raw = io.fli.zoo.Leaks.named(cfg.bug(), raw);
        }
        return Metered.index(raw, registry, Tags.of("process", "soak"));
    }

    private Result go() throws Exception {
        String stamp = LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss.SSS"));
        Path dir = cfg.store().resolve("soak").resolve(stamp);
        runDir = dir;
        Files.createDirectories(dir);
        ObjectNode test = cfg.toJson();
        Files.writeString(dir.resolve("soak-config.json"), JSON.writerWithDefaultPrettyPrinter()
                .writeValueAsString(test.deepCopy().set("profile_settings", p.toJson())));
        JsonNode slo = JSON.readTree(cfg.slo().toFile());

        MetricsEndpoint metrics = MetricsEndpoint.start(cfg.metricsPort());
        PrometheusMeterRegistry registry = metrics.registry();
        Metered.headLag(registry, Tags.of("process", "soak"), () -> Math.max(0, sourceHead.get() - indexedHead.get()));
        Files.writeString(dir.resolve("metrics.url"), "http://127.0.0.1:" + metrics.port() + "/metrics\n");
        out.printf("fli soak: profile %s, backend %s, %s, nemesis %s, seed %d%s%n  run folder %s%n  metrics "
                        + "http://127.0.0.1:%d/metrics%n", p.name(), cfg.backend(), human(p.duration()),
                cfg.nemeses().isEmpty() ? "none" : String.join(",", cfg.nemeses()), cfg.seed(),
                cfg.bug() == null ? "" : ", BUG " + cfg.bug(), dir, metrics.port());
        out.flush();

        Stores stores = null;
        Sampler sampler = null;
        ProcessNemesis processNemesis = null;
        List<Thread> threads = new ArrayList<>();
        OutputStream gz = null;
        try {
            stores = open(dir, registry);
            index = openIndex(stores, registry);
            gz = new SyncableGzip(Files.newOutputStream(dir.resolve("history.jsonl.gz")));
            live = new IncrementalChecker.Live(dir.resolve("history.jsonl.gz"), LIVE_CHECK_CAPACITY, this::found,
                    new IncrementalChecker.Memory(LIVE_CHECK_HOT_LOGS, 16, dir));
            history = new HistoryWriter(gz, test, System::nanoTime, true, live::offer);
            startNanos = System.nanoTime();
            latency = new Latency(dir, System.currentTimeMillis());
            Map<String, LocalServer> targets = new LinkedHashMap<>();
            if (stores.servers() != null) {
                targets.put("meta", stores.servers().cassandra());
                targets.put("blob", stores.servers().s3());
                processNemesis = new ProcessNemesis(targets, 5_000);
            }
            sampler = new Sampler(dir, p, cfg.backend().equals("memory") ? stores.rawBlobs() : null, stores.blobs(),
                    stores.meta(), targets, latency, this::gauges);
            SyncableGzip syncable = (SyncableGzip) gz;
            sampler.onSample(() -> {
                try {
                    syncable.sync();
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException("writing the history", e);
                }
            });

            if (cfg.readersVia().equals("serve")) {
                // Readers are clients of the service: eth_getLogs over HTTP, answered by fli serve's own JSON-RPC
                // server over this soak's index (a restarted index included).
                rpc = new io.fli.serve.RpcServer(() -> index, registry::scrape, "127.0.0.1", 0);
                rpcClient = new io.fli.workloads.RpcClient("http://127.0.0.1:" + rpc.port());
            }
            ChainGenerator gen = new ChainGenerator(ChainGenerator.Shape.defaults(cfg.seed())
                    .withCardinality(p.addresses(), p.topic0s(), p.topicValues()).withLogsPerBlock(p.logsPerBlock()));
            QueryMix mix = new QueryMix(gen, 256, p.broadSpanBlocks());
            Thread w = thread("soak-writer", () -> writer(gen));
            threads.add(w);
            for (int i = 0; i < p.readers(); i++) {
                int k = i;
                threads.add(thread("soak-reader-" + i, () -> reader(k, mix)));
            }
            Sampler sam = sampler;
            Thread sampling = thread("soak-sampler", () -> {
                while (running.get()) {
                    sleep(p.sampleEvery().toMillis());
                    if (running.get()) {
                        sam.sample(elapsed(), inBurst());
                    }
                }
            });
            threads.add(sampling);
            Stores st = stores;
            ProcessNemesis pn = processNemesis;
            if (!cfg.nemeses().isEmpty()) {
                threads.add(thread("soak-nemesis", () -> nemesis(st, registry, pn)));
            }
            threads.forEach(Thread::start);
            long end = startNanos + p.duration().toNanos();
            long lastReport = System.nanoTime();
            while (running.get() && System.nanoTime() < end) {
                stopped.await(Math.min(1_000, Math.max(1, (end - System.nanoTime()) / 1_000_000)),
                        TimeUnit.MILLISECONDS);
                if (failure.get() != null) {
                    break;
                }
                if (System.nanoTime() - lastReport > 30_000_000_000L) {
                    lastReport = System.nanoTime();
                    out.printf("  %s: head %,d (lag %,d), %,d logs, %,d queries (%,d errors), backlog %s%n",
                            human(elapsed()), indexedHead.get(), Math.max(0, sourceHead.get() - indexedHead.get()),
                            ingestedLogs.get(), queries.get(), queryErrors.get(),
                            lastGc.get() == null ? "-" : lastGc.get().tooYoung() + " objects");
                    out.flush();
                }
            }
            running.set(false);
            for (Thread t : threads) {
                t.join(120_000);
            }
            if (processNemesis != null) {
                processNemesis.teardown();
            }
            sampler.sample(elapsed(), false);
            if (failure.get() == null) {
                finalReads(mix);
            }
        } finally {
            running.set(false);
            if (rpc != null) {
                rpc.close();
            }
            if (history != null) {
                history.close();
            }
            if (latency != null) {
                latency.close();
            }
            if (sampler != null) {
                sampler.close();
            }
            Files.writeString(dir.resolve("metrics.prom"), metrics.scrape());
            metrics.close();
            if (index != null) {
                index.close();
            }
            if (stores != null) {
                for (AutoCloseable c : stores.closing()) {
                    try {
                        c.close();
                    } catch (Exception e) {
                        // closing after the soak: nothing left to protect
                    }
                }
                if (stores.servers() != null) {
                    stores.servers().close();
                }
            }
        }
        if (failure.get() != null && live != null) {
            live.close(); // the history is abandoned with the run
        }
        if (failure.get() != null && !(failure.get() instanceof RuntimeException)) {
            throw new IllegalStateException("the soak failed", failure.get());
        }
        if (failure.get() != null) {
            throw (RuntimeException) failure.get();
        }

        // The stability verdict first, on disk before the history is checked: a check that fails (a day of history
        // beyond the heap, say) must not take the rest of the evidence with it.
        Verdict verdict = Verdict.of(p, slo, sampler.samples(), latency.intervals(), queries.get(),
                queryErrors.get(), elapsed());
        ObjectNode summary = verdict.toJson(null, interrupted.get());
        summary.set("config", test);
        summary.put("duration_s", elapsed().toMillis() / 1000.0);
        summary.put("logs_ingested", ingestedLogs.get());
        summary.put("head", indexedHead.get());
        summary.put("queries", queries.get());
        summary.put("query_errors", queryErrors.get());
        summary.put("publish_errors", publishErrors.get());
        summary.set("nemesis", JSON.valueToTree(nemesisCounts));
        summary.put("history_bytes", Files.size(dir.resolve("history.jsonl.gz")));
        Path soakJson = dir.resolve("soak.json");
        Files.writeString(soakJson, JSON.writerWithDefaultPrettyPrinter().writeValueAsString(summary));
        try {
            SoakPlots.write(dir);
        } catch (IOException | RuntimeException e) {
            out.println("plots: not drawn (" + e + "); the data is in the run folder (fli plot " + dir + ")");
        }
        out.println("checking the rest of the history (" + live.lag() + " operations behind) ...");
        out.flush();
        CheckResult check = null;
        try {
            IncrementalChecker.Outcome checked;
            try {
                checked = live.finish();
            } finally {
                live.close();
            }
            check = checked.result();
            summary.set("check", JSON.createObjectNode()
                    .put("mode", checked.inexact() == null ? "streaming" : "batch")
                    .put("why_batch", checked.inexact())
                    .put("operations", checked.progress().opsRead())
                    .put("queries_judged", checked.progress().judged())
                    .put("max_waiting_queries", checked.progress().maxWaiting())
                    .put("max_lag_operations", maxCheckLag.get())
                    .put("writer_blocked_ms", live.blockedNanos() / 1_000_000));
            Files.writeString(dir.resolve("results.json"), Reports.jsonText(check));
            summary.setAll(verdict.toJson(check.valid(), interrupted.get()).retain("valid", "validity"));
            summary.put("anomalies", check.anomalies().size());
        } catch (IOException | RuntimeException | OutOfMemoryError | InterruptedException e) {
            summary.put("validity", "unknown");
            summary.put("check_error", "the history could not be checked here (" + e + "): run fli check --streaming "
                    + dir.resolve("history.jsonl.gz"));
        }
        Files.writeString(soakJson, JSON.writerWithDefaultPrettyPrinter().writeValueAsString(summary));
        out.print(verdict.text(check, interrupted.get()));
        if (check == null) {
            out.println(summary.get("check_error").asText());
        }
        out.println("run folder: " + dir);
        out.flush();
        return new Result(dir, check != null && check.valid() == io.fli.checker.Validity.VALID, verdict.stable(),
                verdict.checks(), check, interrupted.get(), summary);
    }

    /** Lines the live check's feed holds before the history writer waits for it. */
    static final int LIVE_CHECK_CAPACITY = 100_000;
    /**
     * Published logs the live check keeps in memory (the rest of the chain goes to its on-disk store): small, so that
     * its share of the soak's heap is full within the warm-up of any profile (ci: 20 s of ingest; production-shape:
     * 50 s) and the heap trend judges the engine, not the check.
     */
    static final long LIVE_CHECK_HOT_LOGS = 20_000;

    /** An anomaly the live check found: said at once, and kept in anomalies.jsonl. */
    private void found(io.fli.checker.Anomaly a) {
        anomaliesFound.incrementAndGet();
        synchronized (out) {
            out.println("fli soak: ANOMALY " + a.invariant().wire() + " (operations " + a.ops() + "): "
                    + a.explanation());
            out.flush();
        }
        try {
            Files.writeString(runDir.resolve("anomalies.jsonl"), JSON.createObjectNode()
                    .put("invariant", a.invariant().wire()).put("explanation", a.explanation())
                    .<ObjectNode>set("ops", JSON.valueToTree(a.ops())).toString() + "\n",
                    java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND);
        } catch (IOException e) {
            // the anomaly is in the final result too
        }
    }

    /** Bytes of the live check's on-disk chain (a temporary folder in the run folder while the soak runs). */
    private long checkStoreBytes() {
        Path d = runDir;
        if (d == null) {
            return 0;
        }
        try (var s = Files.walk(d, 2)) {
            return s.filter(p -> p.getParent() != null && p.getParent().getFileName().toString()
                    .startsWith("fli-check-chain") && Files.isRegularFile(p)).mapToLong(p -> {
                        try {
                            return Files.size(p);
                        } catch (IOException e) {
                            return 0; // compacted away meanwhile
                        }
                    }).sum();
        } catch (IOException | java.io.UncheckedIOException e) {
            return 0;
        }
    }

    /** The soak's own gauges for the time series. */
    private void gauges(ObjectNode row) {
        long lag = live == null ? 0 : live.lag();
        maxCheckLag.accumulateAndGet(lag, Math::max);
        row.put("check_lag_operations", lag);
        row.put("check_waiting_queries", live == null ? 0 : live.progress().waiting());
        row.put("anomalies_found", anomaliesFound.get());
        row.put("check_store_bytes", checkStoreBytes());
        GcReport g = lastGc.get();
        row.put("head", indexedHead.get());
        row.put("source_head", sourceHead.get());
        row.put("head_lag", Math.max(0, sourceHead.get() - indexedHead.get()));
        row.put("backlog_objects", g == null ? 0 : g.tooYoung());
        row.put("backlog_bytes", g == null ? 0 : g.tooYoungBytes());
        row.put("ingested_logs", ingestedLogs.get());
        row.put("queries", queries.get());
        row.put("query_errors", queryErrors.get());
    }

    private Duration elapsed() {
        return Duration.ofNanos(System.nanoTime() - startNanos);
    }

    private boolean inBurst() {
        return p.inBurst(elapsed());
    }

    private Thread thread(String name, Runnable r) {
        Thread t = new Thread(() -> {
            try {
                r.run();
            } catch (Throwable e) {
                // A failure to record the history (a full disk) or a harness bug: stop, and report it.
                failure.compareAndSet(null, e);
                running.set(false);
                stopped.countDown();
            }
        }, name);
        t.setDaemon(true);
        return t;
    }

    // ------------------------------------------------------------------ the writer

    /** The generation of the index the current writer belongs to. */
    private int writerGeneration;

    private Writer acquire(int[] process) {
        while (running.get()) {
            Writer w;
            indexLock.readLock().lock();
            try {
                writerGeneration = generation.get();
                w = index.writer(WRITER);
                history.invoke(process[0], "acquire", JSON.createObjectNode().put("writer", WRITER));
                ObjectNode v = JSON.createObjectNode().put("writer", WRITER);
                try {
                    long epoch = w.acquire();
                    history.complete(process[0], Op.Type.OK, v.put("epoch", epoch));
                    return w;
                } catch (LeaseHeldException | DegradedException | BackendException e) {
                    history.complete(process[0], Op.Type.FAIL, v.put("error", String.valueOf(e.getMessage())));
                } catch (RuntimeException e) {
                    history.complete(process[0], Op.Type.INFO, v.put("error", describe(e)));
                    process[0] = nextProcess.getAndIncrement();
                }
            } finally {
                indexLock.readLock().unlock();
            }
            sleep(500);
        }
        return null;
    }

    private void writer(ChainGenerator gen) {
        int[] process = {nextProcess.getAndIncrement()};
        Writer w = acquire(process);
        Long h = w == null ? null : index.head();
        long next = h == null ? 0 : h + 1;
        indexedHead.set(next - 1);
        double due = 0;
        long last = System.nanoTime();
        long lastPublish = last;
        long lastRenew = last;
        long lastGcRun = last;
        long lastCompact = last;
        List<Block> retry = null;
        while (running.get() && w != null) {
            long now = System.nanoTime();
            boolean burst = inBurst();
            double rate = p.blocksPerSecond() * (burst ? p.burstFactor() : 1);
            due += rate * (now - last) / 1e9;
            last = now;
            sourceHead.set(next - 1 + (long) Math.floor(due));
            int max = (int) Math.ceil(p.batchBlocks() * (burst ? p.burstFactor() : 1));
            boolean publishNow = retry != null || due >= max || (due >= 1 && now - lastPublish >= 1_000_000_000L);
            if (publishNow) {
                List<Block> batch = retry != null ? retry : gen.blocks(next, (int) Math.min(max, Math.floor(due)));
                String outcome = publish(w, process, batch);
                lastPublish = System.nanoTime();
                lastRenew = lastPublish;
                switch (outcome) {
                    case "ok" -> {
                        retry = null;
                        next += batch.size();
                        due -= batch.size();
                    }
                    case "retry" -> {
                        retry = batch;
                        sleep(200);
                    }
                    case "drop" -> {
                        // Rejected for good (the index failed closed): start again from its head, after a pause.
                        retry = null;
                        sleep(1_000);
                    }
                    default -> { // fenced, restarted, or an unknown outcome (the writer process starts over)
                        retry = batch;
                        process[0] = outcome.equals("reacquire") ? process[0] : nextProcess.getAndIncrement();
                        w = acquire(process);
                    }
                }
                continue;
            }
            now = System.nanoTime();
            try {
                indexLock.readLock().lock();
                try {
                    if (writerGeneration != generation.get()) {
                        process[0] = nextProcess.getAndIncrement();
                        w = null;
                    } else if (now - lastRenew >= 1_000_000_000L) {
                        lastRenew = now;
                        w.renew();
                    }
                    if (w != null && now - lastGcRun >= p.gcEvery().toNanos()) {
                        lastGcRun = now;
                        GcReport g = w.gc();
                        lastGc.set(g);
                        if (!g.deleted().isEmpty()) {
                            history.nemesis(Op.Type.INFO, "gc", JSON.createObjectNode().put("writer", WRITER)
                                    .put("deleted", g.deleted().size()).put("kept_young", g.tooYoung()));
                        }
                    }
                    if (w != null && now - lastCompact >= p.compactEvery().toNanos()) {
                        lastCompact = now;
                        w.compact();
                    }
                } finally {
                    indexLock.readLock().unlock();
                }
                if (w == null) {
                    w = acquire(process);
                    continue;
                }
            } catch (FencedException e) {
                w = acquire(process);
                continue;
            } catch (io.fli.engine.FliException e) {
                // A backend failure or an unknown outcome during housekeeping: nothing became visible; try later.
                sleep(200);
            }
            double missing = Math.max(0.05, Math.min(max, 1) - due);
            sleep(Math.max(1, Math.min(100, (long) (missing / rate * 1000))));
        }
    }

    /** Publishes and records one batch; returns ok, retry, drop, reacquire or unknown. */
    private String publish(Writer w, int[] process, List<Block> batch) {
        ObjectNode args = JSON.createObjectNode().put("writer", WRITER).put("epoch", w.epoch());
        args.set("blocks", HistoryJson.blocks(batch));
        indexLock.readLock().lock();
        try {
            if (writerGeneration != generation.get()) {
                return "restarted"; // the index process restarted: its writer is gone with it
            }
            history.invoke(process[0], "publish", args);
            ObjectNode v = JSON.createObjectNode(); // compact: a completion carries only its outcome
            long t0 = System.nanoTime();
            try {
                PublishResult r = w.publish(batch);
                latency.ingest(System.nanoTime() - t0);
                history.complete(process[0], Op.Type.OK, v.put("head", r.head()));
                indexedHead.set(r.head());
                ingestedLogs.addAndGet(r.logsIndexed());
                return "ok";
            } catch (FencedException | LeaseHeldException e) {
                history.complete(process[0], Op.Type.FAIL, v.put("error", String.valueOf(e.getMessage())));
                publishErrors.incrementAndGet();
                return "reacquire";
            } catch (InvalidBlockException | DegradedException e) {
                history.complete(process[0], Op.Type.FAIL, v.put("error", e instanceof DegradedException
                        ? "degraded: " + e.getMessage() : String.valueOf(e.getMessage())));
                publishErrors.incrementAndGet();
                return "drop";
            } catch (BackendException e) {
                history.complete(process[0], Op.Type.FAIL, v.put("error", String.valueOf(e.getMessage())));
                publishErrors.incrementAndGet();
                return "retry";
            } catch (RuntimeException e) {
                history.complete(process[0], Op.Type.INFO, v.put("error", describe(e)));
                publishErrors.incrementAndGet();
                return "unknown";
            }
        } finally {
            indexLock.readLock().unlock();
        }
    }

    // ------------------------------------------------------------------ readers

    private static final QueryMix.Kind[] KINDS = QueryMix.Kind.values();

    private void reader(int k, QueryMix mix) {
        int process = nextProcess.getAndIncrement();
        SplittableRandom r = new SplittableRandom(cfg.seed() * 131 + k);
        int turn = k;
        while (running.get()) {
            long head = indexedHead.get();
            if (head < 0) {
                sleep(50);
                continue;
            }
            LogQuery q = mix.of(KINDS[turn++ % KINDS.length], r, 0, head);
            if (r.nextDouble() < p.historyQueryFraction()) {
                process = query(process, mix, q, false);
            } else {
                unrecorded(q);
            }
            if (p.readerPauseMs() > 0) {
                sleep(p.readerPauseMs());
            }
        }
    }

    /** Issues and records one query (compact answer); returns the process number to use next. */
    private int query(int process, QueryMix mix, LogQuery q, boolean finalRead) {
        ObjectNode args = HistoryJson.queryArgs(q, q.blockHash() == null ? null : mix.blockOfHash(q.blockHash()),
                finalRead);
        String cls = QueryClass.of(q).label();
        indexLock.readLock().lock();
        try {
            history.invoke(process, "query", args);
            ObjectNode v = JSON.createObjectNode(); // compact: a completion carries only its outcome
            long t0 = System.nanoTime();
            queries.incrementAndGet();
            try {
                QueryResult res = ask(q);
                latency.query(cls, System.nanoTime() - t0);
                history.complete(process, Op.Type.OK, HistoryJson.answer(v, res, true));
                return process;
            } catch (DegradedException e) {
                queryErrors.incrementAndGet();
                history.complete(process, Op.Type.FAIL, v.put("error", "degraded"));
                return process;
            } catch (InvalidQueryException | BackendException e) {
                queryErrors.incrementAndGet();
                latency.error(cls);
                history.complete(process, Op.Type.FAIL, v.put("error", String.valueOf(e.getMessage())));
                return process;
            } catch (RuntimeException e) {
                queryErrors.incrementAndGet();
                latency.error(cls);
                history.complete(process, Op.Type.INFO, v.put("error", describe(e)));
                return nextProcess.getAndIncrement();
            }
        } finally {
            indexLock.readLock().unlock();
        }
    }

    /** A reader's query: to the index, or through the JSON-RPC server ({@code readersVia serve}). */
    private QueryResult ask(LogQuery q) {
        return rpcClient != null ? rpcClient.query(q) : index.query(q);
    }

    /** A query timed but not recorded in the history (beyond the profile's history_query_fraction). */
    private void unrecorded(LogQuery q) {
        String cls = QueryClass.of(q).label();
        indexLock.readLock().lock();
        try {
            long t0 = System.nanoTime();
            queries.incrementAndGet();
            try {
                ask(q);
                latency.query(cls, System.nanoTime() - t0);
            } catch (RuntimeException e) {
                queryErrors.incrementAndGet();
                latency.error(cls);
            }
        } finally {
            indexLock.readLock().unlock();
        }
    }

    /** After every fault healed: a few filters over the whole chain, each on a fresh process, marked final. */
    private void finalReads(QueryMix mix) {
        long deadline = System.nanoTime() + 60_000_000_000L;
        while (System.nanoTime() < deadline) {
            try {
                index.head();
                break;
            } catch (DegradedException e) {
                break;
            } catch (RuntimeException e) {
                sleep(500);
            }
        }
        SplittableRandom r = new SplittableRandom(cfg.seed() * 977);
        long h = Math.max(0, indexedHead.get());
        for (QueryMix.Kind kind : List.of(QueryMix.Kind.SELECTIVE_ADDRESS, QueryMix.Kind.TOPIC_ONLY,
                QueryMix.Kind.ADDRESS_AND_TOPIC)) {
            LogQuery q = mix.of(kind, r, 0, h);
            query(nextProcess.getAndIncrement(), mix, LogQuery.range(null, null, q.addresses(), q.topics()), true);
        }
    }

    // ------------------------------------------------------------------ faults

    private void nemesis(Stores stores, PrometheusMeterRegistry registry, ProcessNemesis processes) {
        Random r = new Random(cfg.seed() * 7919);
        while (running.get()) {
            long wait = p.nemesisEvery().toMillis();
            long until = System.currentTimeMillis() + wait;
            while (running.get() && System.currentTimeMillis() < until) {
                sleep(Math.min(500, Math.max(1, until - System.currentTimeMillis())));
            }
            if (!running.get()) {
                return;
            }
            String f = cfg.nemeses().get(r.nextInt(cfg.nemeses().size()));
            history.nemesis(Op.Type.INVOKE, f, JSON.createObjectNode());
            Map<String, Object> done;
            if (f.equals("restart")) {
                indexLock.writeLock().lock();
                try {
                    index.close();
                    index = openIndex(stores, registry);
                    generation.incrementAndGet();
                } finally {
                    indexLock.writeLock().unlock();
                }
                done = Map.of("target", "index", "what", "closed and reopened: caches and the writer's lease view "
                        + "lost");
            } else {
                done = processes.invoke(f, r);
            }
            history.nemesis(Op.Type.INFO, f, JSON.valueToTree(done));
            nemesisCounts.computeIfAbsent(f, x -> new AtomicLong()).incrementAndGet();
        }
    }

    // ------------------------------------------------------------------ helpers

    private static String describe(Throwable e) {
        return e.getClass().getSimpleName() + ": " + e.getMessage();
    }

    static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    static String human(Duration d) {
        long s = d.toSeconds();
        return s >= 3600 ? String.format("%dh%02dm", s / 3600, s / 60 % 60) : s >= 60
                ? String.format("%dm%02ds", s / 60, s % 60) : s + "s";
    }

    /**
     * A gzip stream whose {@code flush()} does nothing (the history writer flushes every line, which would end a
     * deflate block per line); {@link #sync()} — called with every sample — flushes what is buffered so that a
     * soak killed outright leaves a readable prefix.
     */
    static final class SyncableGzip extends OutputStream {
        private final GZIPOutputStream gz;

        SyncableGzip(OutputStream raw) throws IOException {
            this.gz = new GZIPOutputStream(new java.io.BufferedOutputStream(raw, 1 << 16), 1 << 16, true);
        }

        @Override
        public synchronized void write(int b) throws IOException {
            gz.write(b);
        }

        @Override
        public synchronized void write(byte[] b, int off, int len) throws IOException {
            gz.write(b, off, len);
        }

        @Override
        public void flush() {
        }

        synchronized void sync() throws IOException {
            gz.flush();
        }

        @Override
        public synchronized void close() throws IOException {
            gz.close();
        }
    }
}
