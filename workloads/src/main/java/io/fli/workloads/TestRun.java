package io.fli.workloads;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import eu.rekawek.toxiproxy.ToxiproxyClient;
import io.fli.backends.CqlConfig;
import io.fli.backends.LocalBackends;
import io.fli.backends.S3Config;
import io.fli.backends.MinioBlobStore;
import io.fli.backends.ScyllaMetaStore;
import io.fli.checker.CheckResult;
import io.fli.checker.Checker;
import io.fli.checker.History;
import io.fli.checker.HistoryWriter;
import io.fli.checker.Op;
import io.fli.checker.Reports;
import io.fli.checker.Timeline;
import io.fli.engine.BackendException;
import io.fli.engine.BlobStore;
import io.fli.engine.Block;
import io.fli.engine.DegradedException;
import io.fli.engine.FencedException;
import io.fli.engine.IndexConfig;
import io.fli.engine.InvalidBlockException;
import io.fli.engine.InvalidQueryException;
import io.fli.engine.LeaseHeldException;
import io.fli.engine.Log;
import io.fli.engine.LogIndex;
import io.fli.engine.LogQuery;
import io.fli.engine.MatchedLog;
import io.fli.engine.MetaStore;
import io.fli.engine.PublishResult;
import io.fli.engine.QueryResult;
import io.fli.engine.WriteHook;
import io.fli.engine.Writer;
import io.fli.engine.internal.InMemoryBlobStore;
import io.fli.faults.CorruptNemesis;
import io.fli.faults.CrashPoints;
import io.fli.faults.Nemesis;
import io.fli.faults.NetworkNemesis;
import io.fli.faults.net.ToxiproxyServer;
import io.fli.faults.ProcessNemesis;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * One Jepsen-style run: clients (writers and readers) and a nemesis work against an index for a while, every
 * operation is recorded in a format-v1 history, the checker judges it, and everything lands in a run folder
 * {@code store/<workload>/<timestamp>/}: {@code history.jsonl}, {@code results.json}, {@code test.json},
 * {@code timeline.html} and, for real servers, their logs; {@code store/latest} points at it.
 */
public final class TestRun {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** What a run produced. */
    public record Result(Path dir, CheckResult check) {
    }

    private final TestConfig cfg;
    private final PrintWriter progress;
    private final ChainGenerator gen;
    private final QueryMix mix;
    private final AtomicInteger nextProcess = new AtomicInteger();
    private final AtomicBoolean running = new AtomicBoolean(true);
    /** The first failure to record the history (a full disk, say): the run stops and reports it. */
    private final AtomicReference<RuntimeException> recordingFailed = new AtomicReference<>();
    private final AtomicInteger generation = new AtomicInteger();
    private final Map<String, AtomicInteger> counts = new ConcurrentHashMap<>();
    private HistoryWriter history;
    /** The deterministic scheduler of a memory run; null when clients run as free threads on real servers. */
    private final Sim sim;
    private MetaStore meta;
    private BlobStore blobs;
    private final AtomicReference<LogIndex> index = new AtomicReference<>();
    private CorruptNemesis.Corruptor corruptor;
    /** Lease loss: when armed, the next meta write stalls its writer past the lease. */
    private final Stall stall = new Stall();

    private TestRun(TestConfig cfg, PrintWriter progress) {
        this.cfg = cfg;
        this.progress = progress;
        this.gen = new ChainGenerator(ChainGenerator.Shape.defaults(cfg.seed()).withLogsPerBlock(4)
                .withCardinality(300, 30, 500));
        this.mix = new QueryMix(gen, 128, 200);
        this.sim = cfg.backend().equals("memory") ? new Sim(cfg.seed() * 1_000_003 + 17, 250_000) : null;
    }

    public static Result run(TestConfig cfg, PrintWriter progress) throws IOException {
        return new TestRun(cfg, progress).go();
    }

    private IndexConfig indexConfig() {
        IndexConfig c = IndexConfig.defaults().withLeaseDuration(LEASE).withMaxResults(1_000_000)
                .withGcGrace(Duration.ofSeconds(30));
        // A simulation has one logical clock and no background threads: merges happen inside publish.
        return sim == null ? c : c.withClock(sim.clock()).withBackgroundMerges(false);
    }

    /** Short, as for fast fail-over: a writer that takes the lease over waits out the previous one (lease reads). */
    private static final Duration LEASE = Duration.ofMillis(400);

    private Result go() throws IOException {
        String stamp = LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss.SSS"));
        Path dir = cfg.store().resolve(cfg.workload()).resolve(stamp);
        Files.createDirectories(dir);
        ObjectNode test = cfg.toJson();
        Files.writeString(dir.resolve("test.json"), JSON.writerWithDefaultPrettyPrinter().writeValueAsString(test));
        CrashPoints crash = new CrashPoints();
        LocalBackends servers = null;
        ToxiproxyServer toxiproxy = null;
        NetworkNemesis network = null;
        List<Nemesis> nemeses = new ArrayList<>();
        try {
            if (cfg.backend().equals("memory")) {
                meta = "cas-read-then-write".equals(cfg.bug()) ? crash.wrap(io.fli.zoo.BrokenStores.readThenWrite(sim::yieldNow))
                        : MetaStore.inMemory(crash);
                InMemoryBlobStore mem = new InMemoryBlobStore(crash, sim.clock());
                blobs = mem;
                corruptor = CorruptNemesis.inMemory(mem);
                // Every meta call and blob write is a point where another client may run.
                meta = Yielding.meta(MetaStore.hooked(meta, stall), sim);
                blobs = Yielding.blobs(blobs, sim);
            } else {
                CqlConfig cql;
                S3Config s3;
                if (cfg.backend().equals("local")) {
                    servers = new LocalBackends(dir.resolve("servers")).start();
                    cql = servers.cql("fli");
                    s3 = servers.s3("fli");
                } else {
                    cql = CqlConfig.fromEnvironment(System.getenv());
                    s3 = S3Config.fromEnvironment(System.getenv());
                }
                if (cfg.nemeses().stream().anyMatch(NetworkNemesis::offers)) {
                    // The engine talks to its servers through one proxy each, driven by the Toxiproxy API: a real
                    // Toxiproxy server if FLI_TOXIPROXY names one, else the in-JVM one.
                    String tp = System.getenv("FLI_TOXIPROXY");
                    ToxiproxyClient client;
                    if (tp != null && !tp.isBlank()) {
                        client = new ToxiproxyClient(tp.substring(0, tp.lastIndexOf(':')),
                                Integer.parseInt(tp.substring(tp.lastIndexOf(':') + 1)));
                    } else if (cfg.backend().equals("remote")) {
                        throw new IllegalArgumentException("network nemeses on --backend remote need a Toxiproxy "
                                + "server next to the backends: set FLI_TOXIPROXY=host:port");
                    } else {
                        toxiproxy = ToxiproxyServer.start(0, cfg.seed());
                        client = new ToxiproxyClient(toxiproxy.host(), toxiproxy.port());
                    }
                    InetSocketAddress cp = cql.contactPoints().get(0);
                    network = NetworkNemesis.create(client, Map.of("meta", cp.getHostString() + ":" + cp.getPort(),
                            "blob", s3.hostPort()), Duration.ofMillis(1_500));
                    cql = cql.withContactPoint(network.listen("meta"));
                    s3 = s3.withEndpoint("http://" + network.listen("blob"));
                }
                meta = MetaStore.hooked(crash.wrap(ScyllaMetaStore.connect(cql)), stall);
                blobs = crash.wrap(MinioBlobStore.connect(s3));
                if (servers != null) {
                    corruptor = CorruptNemesis.s3proxyFiles(servers.s3().dataDir(), s3.bucket());
                }
            }
            index.set(open());
            for (String n : cfg.nemeses()) {
                switch (n) {
                    case "crash" -> nemeses.add(crash);
                    case "restart" -> nemeses.add(restartNemesis());
                    case "lease-loss" -> nemeses.add(leaseLossNemesis());
                    case "corrupt" -> {
                        if (corruptor == null) {
                            throw new IllegalArgumentException("nemesis 'corrupt' damages stored objects directly: it "
                                    + "needs --backend memory or local");
                        }
                        nemeses.add(new CorruptNemesis(corruptor, () -> index.get().dropCaches(), () -> {
                            // The operator repaired the object and restarts the index, which had failed closed.
                            history.nemesis(Op.Type.INVOKE, "restart", JSON.createObjectNode());
                            LogIndex old = index.getAndSet(open());
                            generation.incrementAndGet();
                            old.close();
                            history.nemesis(Op.Type.INFO, "restart", JSON.createObjectNode().put("target", "index")
                                    .put("why", "repair after corruption"));
                        }, 1_000, this::pause));
                    }
                    case "kill", "pause" -> {
                        if (nemeses.stream().noneMatch(x -> x instanceof ProcessNemesis)) {
                            nemeses.add(new ProcessNemesis(Map.of("meta", servers.cassandra(), "blob", servers.s3()),
                                    1_000));
                        }
                    }
                    default -> {
                        if (NetworkNemesis.offers(n) && !nemeses.contains(network)) {
                            nemeses.add(network);
                        }
                    }
                }
            }
            if (cfg.workload().equals("restart") && nemeses.stream().noneMatch(x -> x.faults().contains("restart"))) {
                nemeses.add(restartNemesis());
            }
            history = sim == null ? HistoryWriter.create(dir.resolve("history.jsonl"), test)
                    : HistoryWriter.create(dir.resolve("history.jsonl"), test, sim::nanos);
            runClients(nemeses);
            if (recordingFailed.get() != null) {
                throw new IOException("the run stopped because its history could not be written to "
                        + dir.resolve("history.jsonl") + ": " + recordingFailed.get().getMessage()
                        + (recordingFailed.get().getCause() == null ? "" : " (" + recordingFailed.get().getCause()
                        .getMessage() + ")"), recordingFailed.get());
            }
        } finally {
            for (Nemesis n : nemeses) {
                n.teardown();
            }
            if (history != null) {
                history.close();
            }
            if (network != null) {
                network.delete();
            }
            if (toxiproxy != null) {
                toxiproxy.close();
            }
            if (servers != null) {
                servers.close();
            }
        }
        History h = History.read(dir.resolve("history.jsonl"));
        CheckResult r = Checker.check(h);
        Files.writeString(dir.resolve("results.json"), Reports.jsonText(r));
        Files.writeString(dir.resolve("timeline.html"), Timeline.html(h, r));
        Path latest = cfg.store().resolve("latest");
        Files.deleteIfExists(latest);
        try {
            Files.createSymbolicLink(latest, cfg.store().toAbsolutePath().relativize(dir.toAbsolutePath()));
        } catch (IOException | UnsupportedOperationException e) {
            Files.writeString(cfg.store().resolve("latest.txt"), dir.toString());
        }
        return new Result(dir, r);
    }

    private LogIndex open() {
        LogIndex broken = cfg.bug() == null ? null
                : io.fli.engine.internal.BrokenEngines.open(cfg.bug(), meta, blobs, indexConfig());
        return broken != null ? broken : LogIndex.open(meta, blobs, indexConfig());
    }

    private Nemesis restartNemesis() {
        return new Nemesis() {
            @Override
            public List<String> faults() {
                return List.of("restart");
            }

            @Override
            public Map<String, Object> invoke(String fault, Random random) {
                // The index process loses its in-memory state: caches, writer objects, leases held in memory.
                LogIndex old = index.getAndSet(open());
                generation.incrementAndGet();
                old.close();
                return Map.of("target", "index");
            }
        };
    }

    /**
     * Lease loss: the writer that next reaches a write of meta/state stalls there past its lease; meanwhile a standby
     * writer acquires the lease. When the stalled writer wakes, its write must be fenced.
     */
    private Nemesis leaseLossNemesis() {
        return new Nemesis() {
            @Override
            public List<String> faults() {
                return List.of("lease-loss");
            }

            @Override
            public Map<String, Object> invoke(String fault, Random random) {
                long stallMs = LEASE.toMillis() + 1_500;
                stall.arm(stallMs, TestRun.this::pause);
                for (int waited = 0; !stall.stalled() && waited < 5_000 && running.get(); waited += 10) {
                    pause(10);
                }
                if (!stall.stalled()) {
                    stall.disarm();
                    return Map.of("skipped", "no writer reached a write of meta/state");
                }
                pause(LEASE.toMillis() + 200); // the stalled writer's lease runs out
                Writer standby = index.get().writer("standby");
                acquire(standby, "standby", nextProcess.getAndIncrement(), false);
                return Map.of("target", "writer", "stalled_ms", stallMs, "taken_over_by", "standby",
                        "epoch", standby.epoch());
            }

            @Override
            public void teardown() {
                stall.disarm();
            }
        };
    }

    private void runClients(List<Nemesis> nemeses) {
        int writers = cfg.workload().equals("multi-writer") ? Math.max(2, cfg.concurrency() / 2) : 1;
        List<String> names = new ArrayList<>();
        List<Runnable> bodies = new ArrayList<>();
        for (int i = 0; i < cfg.concurrency(); i++) {
            int k = i;
            Runnable work = k < writers ? () -> writer("w" + k, k) : () -> reader(k);
            names.add((k < writers ? "writer-" : "reader-") + k);
            bodies.add(() -> guarded(work));
        }
        // Only the faults asked for: a nemesis may offer more (process faults offer kill and pause, the network
        // nemesis all seven network faults). The restart workload restarts the index even when not asked to.
        List<String> faults = new ArrayList<>();
        nemeses.forEach(n -> n.faults().stream().filter(f -> cfg.nemeses().contains(f)
                || (f.equals("restart") && cfg.workload().equals("restart"))).forEach(faults::add));
        names.add("nemesis");
        bodies.add(() -> guarded(() -> nemesisLoop(nemeses, faults)));
        if ("gc-no-grace".equals(cfg.bug())) {
            // The old design's separate GC process, on a token that bypasses the fence.
            names.add("gc");
            bodies.add(() -> guarded(this::unfencedGc));
        }
        if (sim != null) {
            for (int i = 0; i < names.size(); i++) {
                sim.spawn(names.get(i), bodies.get(i));
            }
            sim.deadline(cfg.time().toNanos(), () -> running.set(false));
            Thread controller = new Thread(() -> {
                try {
                    sim.run();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                } catch (IllegalStateException e) {
                    recordingFailed.compareAndSet(null, e);
                }
            }, "sim");
            controller.start();
            while (controller.isAlive()) {
                join(controller, 2_000);
                progress.printf("  %5.1f s  %s%n", sim.nanos() / 1e9, new java.util.TreeMap<>(counts));
                progress.flush();
            }
            return;
        }
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < names.size(); i++) {
            threads.add(new Thread(bodies.get(i), names.get(i)));
        }
        long deadline = System.nanoTime() + cfg.time().toNanos();
        threads.forEach(Thread::start);
        long lastPrint = 0;
        while (System.nanoTime() < deadline && running.get()) {
            sleep(200);
            long now = System.nanoTime();
            if (now - lastPrint > 2_000_000_000L) {
                lastPrint = now;
                progress.printf("  %5.1f s  %s%n", (cfg.time().toNanos() - (deadline - now)) / 1e9,
                        new java.util.TreeMap<>(counts));
                progress.flush();
            }
        }
        running.set(false);
        for (Thread t : threads) {
            join(t, 60_000);
        }
    }

    /** Sleeps: logical time in a simulation, real time otherwise. */
    private void pause(long ms) {
        if (sim != null && Sim.inFiber()) {
            sim.sleep(ms);
        } else {
            sleep(ms);
        }
    }

    /** A point where, in a simulation, another client may run. */
    private void yieldPoint() {
        if (sim != null) {
            sim.yieldNow();
        }
    }

    private void unfencedGc() {
        while (running.get()) {
            pause(30);
            try {
                index.get().writer("gc").gc();
            } catch (RuntimeException e) {
                pause(100);
            }
        }
    }

    /** Runs a client or the nemesis; a failure to record the history stops the whole run. */
    private void guarded(Runnable r) {
        try {
            r.run();
        } catch (java.io.UncheckedIOException | IllegalStateException e) {
            recordingFailed.compareAndSet(null, e);
            running.set(false);
        }
    }

    private void nemesisLoop(List<Nemesis> nemeses, List<String> faults) {
        Random r = new Random(cfg.seed() * 7919);
        for (Nemesis n : nemeses) {
            n.setup();
        }
        pause(cfg.nemesisInterval().toMillis() / 2);
        List<String> schedule = new ArrayList<>();
        while (running.get() && !faults.isEmpty()) {
            pause(cfg.nemesisInterval().toMillis());
            if (!running.get()) {
                break;
            }
            // Every fault gets its turn: a fresh seeded shuffle of all of them, then the next round.
            if (schedule.isEmpty()) {
                schedule.addAll(faults);
                java.util.Collections.shuffle(schedule, r);
            }
            String f = schedule.remove(0);
            Nemesis n = nemeses.stream().filter(x -> x.faults().contains(f)).findFirst().orElseThrow();
            history.nemesis(Op.Type.INVOKE, f, JSON.createObjectNode());
            ObjectNode v;
            try {
                // Sorted keys: the same fault is recorded the same way in every run (Map.of has no fixed order).
                v = JSON.valueToTree(new java.util.TreeMap<>(n.invoke(f, r)));
            } catch (RuntimeException e) {
                v = JSON.createObjectNode().put("error", String.valueOf(e.getMessage()));
            }
            history.nemesis(Op.Type.INFO, f, v);
            counts.computeIfAbsent("nemesis " + f, k -> new AtomicInteger()).incrementAndGet();
        }
    }

    private void count(String f, Op.Type t) {
        counts.computeIfAbsent(f + " " + t.wire(), k -> new AtomicInteger()).incrementAndGet();
    }

    // ------------------------------------------------------------------ writers

    private void writer(String id, int k) {
        int process = nextProcess.getAndIncrement();
        Writer w = null;
        int seenGeneration = -1;
        SplittableRandom r = new SplittableRandom(cfg.seed() * 31 + k);
        boolean racing = cfg.workload().equals("multi-writer");
        List<Block> retry = null;
        long published = 0;
        boolean justFenced = false;
        while (running.get()) {
            if (w == null || seenGeneration != generation.get()) {
                seenGeneration = generation.get();
                w = index.get().writer(id);
            }
            if (w.epoch() == 0 || r.nextInt(50) == 0) {
                // In the multi-writer workload an operator sometimes takes the lease over from a live holder (but a
                // writer that was just fenced asks politely: two writers forcing each other out would livelock,
                // since each new holder waits out the lease it broke before it publishes).
                process = acquire(w, id, process, racing && !justFenced && r.nextInt(4) == 0);
                justFenced = false;
                if (w.epoch() == 0) {
                    pause(20 + r.nextInt(50));
                }
                continue;
            }
            List<Block> batch = retry;
            if (batch == null) {
                Long head;
                try {
                    head = index.get().head();
                } catch (RuntimeException e) {
                    pause(100);
                    continue;
                }
                long next = head == null ? 0 : head + 1;
                batch = gen.blocks(next, 1 + r.nextInt(cfg.batchBlocks()));
            }
            int before = process;
            fenced.set(false);
            keepBatch.set(true);
            process = publish(w, id, process, batch);
            // Like any ingester, it publishes the same batch again until it is acknowledged (or rejected).
            retry = keepBatch.get() ? batch : null;
            if (process != before) {
                // The outcome is unknown (a lost reply, a crash point): the writer process restarts from the
                // stores.
                w = null;
            } else if (fenced.get()) {
                // Another writer holds the lease now: start over and ask for it again.
                w = null;
                justFenced = true;
            } else if (retry == null && ++published % 25 == 0) {
                // The lease holder collects garbage now and then (fenced, with the grace period).
                try {
                    w.gc();
                } catch (RuntimeException e) {
                    pause(50);
                }
            }
        }
    }

    /** Set by {@link #publish} when the writer was fenced: it must acquire the lease again. */
    private final ThreadLocal<Boolean> fenced = ThreadLocal.withInitial(() -> false);
    /** Cleared by {@link #publish} when the batch is done with: acknowledged, or rejected for good. */
    private final ThreadLocal<Boolean> keepBatch = ThreadLocal.withInitial(() -> true);

    private int acquire(Writer w, String id, int process, boolean takeOver) {
        yieldPoint();
        history.invoke(process, "acquire", JSON.createObjectNode().put("writer", id));
        ObjectNode v = JSON.createObjectNode().put("writer", id);
        try {
            long epoch = takeOver ? w.takeOver() : w.acquire();
            yieldPoint();
            history.complete(process, Op.Type.OK, v.put("epoch", epoch));
            count("acquire", Op.Type.OK);
            return process;
        } catch (LeaseHeldException | DegradedException | BackendException e) {
            // Refused, failed closed, or the store was unreachable before anything was written.
            history.complete(process, Op.Type.FAIL, v.put("error", e.getMessage()));
            count("acquire", Op.Type.FAIL);
            pause(100);
            return process;
        } catch (RuntimeException e) {
            history.complete(process, Op.Type.INFO, v.put("error", describe(e)));
            count("acquire", Op.Type.INFO);
            pause(100);
            return nextProcess.getAndIncrement();
        }
    }

    private int publish(Writer w, String id, int process, List<Block> batch) {
        long epoch = w.epoch();
        ObjectNode args = JSON.createObjectNode().put("writer", id).put("epoch", epoch);
        args.set("blocks", blocksJson(batch));
        yieldPoint();
        history.invoke(process, "publish", args);
        ObjectNode v = args.deepCopy();
        try {
            PublishResult res = w.publish(batch);
            keepBatch.set(false);
            yieldPoint();
            history.complete(process, Op.Type.OK, v.put("head", res.head()));
            count("publish", Op.Type.OK);
            return process;
        } catch (FencedException | LeaseHeldException | InvalidBlockException | DegradedException e) {
            // Definitely not applied: fenced before the CAS, rejected before anything was stored, or failed closed.
            history.complete(process, Op.Type.FAIL, v.put("error", e.getMessage()));
            count("publish", Op.Type.FAIL);
            if (e instanceof DegradedException) {
                pause(200);
            }
            if (e instanceof FencedException) {
                fenced.set(true);
            }
            if (e instanceof InvalidBlockException || e instanceof DegradedException) {
                keepBatch.set(false); // rejected: the next batch starts again from the head
            }
            if (e instanceof LeaseHeldException) {
                pause(100);
            }
            return process;
        } catch (BackendException e) {
            // A backend failure before the visibility barrier: nothing became visible by this call.
            history.complete(process, Op.Type.FAIL, v.put("error", e.getMessage()));
            count("publish", Op.Type.FAIL);
            pause(100);
            return process;
        } catch (RuntimeException | Error e) {
            // Unknown outcome (a lost CAS reply, a crash point): the process is gone; the next one starts fresh.
            history.complete(process, Op.Type.INFO, v.put("error", describe(e)));
            count("publish", Op.Type.INFO);
            return nextProcess.getAndIncrement();
        }
    }

    private static String describe(Throwable e) {
        return e.getClass().getSimpleName() + ": " + e.getMessage();
    }

    private static ArrayNode blocksJson(List<Block> batch) {
        ArrayNode blocks = JSON.createArrayNode();
        for (Block b : batch) {
            ObjectNode bn = blocks.addObject();
            bn.put("number", b.number());
            bn.put("hash", b.hash());
            ArrayNode logs = bn.putArray("logs");
            for (Log l : b.logs()) {
                ObjectNode ln = logs.addObject();
                ln.put("index", l.index());
                if (l.tx() != null) {
                    ln.put("tx", l.tx());
                }
                ln.put("address", l.address());
                ArrayNode t = ln.putArray("topics");
                l.topics().forEach(t::add);
                if (l.data() != null) {
                    ln.put("data", l.data());
                }
            }
        }
        return blocks;
    }

    // ------------------------------------------------------------------ readers

    private void reader(int k) {
        int process = nextProcess.getAndIncrement();
        SplittableRandom r = new SplittableRandom(cfg.seed() * 131 + k);
        while (running.get()) {
            Long head;
            try {
                head = index.get().head();
            } catch (RuntimeException e) {
                head = null;
            }
            LogQuery q = mix.next(r, 0, head == null ? 0 : head);
            ObjectNode args = JSON.createObjectNode();
            if (q.blockHash() != null) {
                // On a finalized chain a block's hash names one block number: the format records the query as
                // that one-block range (its expected answer), with the hash alongside for the reader.
                Long b = mix.blockOfHash(q.blockHash());
                args.put("from", b);
                args.put("to", b);
            } else {
                if (q.fromBlock() == null) {
                    args.putNull("from");
                } else {
                    args.put("from", q.fromBlock());
                }
                if (q.toBlock() == null) {
                    args.putNull("to");
                } else {
                    args.put("to", q.toBlock());
                }
            }
            ArrayNode a = args.putArray("addresses");
            q.addresses().forEach(a::add);
            ArrayNode t = args.putArray("topics");
            for (List<String> pos : q.topics()) {
                if (pos == null) {
                    t.addNull();
                } else {
                    ArrayNode p = t.addArray();
                    pos.forEach(p::add);
                }
            }
            if (q.blockHash() != null) {
                args.put("blockHash", q.blockHash());
            }
            yieldPoint();
            history.invoke(process, "query", args);
            ObjectNode v = args.deepCopy();
            try {
                QueryResult res = index.get().query(q);
                yieldPoint();
                if (res.head() == null) {
                    v.putNull("head");
                } else {
                    v.put("head", res.head());
                }
                ArrayNode logs = v.putArray("logs");
                for (MatchedLog m : res.logs()) {
                    ObjectNode ln = logs.addObject();
                    ln.put("block", m.block());
                    ln.put("index", m.log().index());
                    ln.put("address", m.log().address());
                    ArrayNode tp = ln.putArray("topics");
                    m.log().topics().forEach(tp::add);
                    if (m.log().data() != null) {
                        ln.put("data", m.log().data());
                    }
                }
                history.complete(process, Op.Type.OK, v);
                count("query", Op.Type.OK);
            } catch (DegradedException e) {
                history.complete(process, Op.Type.FAIL, v.put("error", "degraded"));
                count("query", Op.Type.FAIL);
                pause(100);
            } catch (InvalidQueryException e) {
                history.complete(process, Op.Type.FAIL, v.put("error", e.getMessage()));
                count("query", Op.Type.FAIL);
            } catch (BackendException e) {
                history.complete(process, Op.Type.FAIL, v.put("error", e.getMessage()));
                count("query", Op.Type.FAIL);
                pause(100); // the store is down or its breaker is open: do not spin
            } catch (RuntimeException e) {
                history.complete(process, Op.Type.INFO, v.put("error", describe(e)));
                count("query", Op.Type.INFO);
                process = nextProcess.getAndIncrement();
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

    private static void join(Thread t, long millis) {
        try {
            t.join(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
