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
    private MetaStore meta;
    private BlobStore blobs;
    private final AtomicReference<LogIndex> index = new AtomicReference<>();

    private TestRun(TestConfig cfg, PrintWriter progress) {
        this.cfg = cfg;
        this.progress = progress;
        this.gen = new ChainGenerator(ChainGenerator.Shape.defaults(cfg.seed()).withLogsPerBlock(4)
                .withCardinality(300, 30, 500));
        this.mix = new QueryMix(gen, 128);
    }

    public static Result run(TestConfig cfg, PrintWriter progress) throws IOException {
        return new TestRun(cfg, progress).go();
    }

    private IndexConfig indexConfig() {
        return IndexConfig.defaults().withLeaseDuration(Duration.ofSeconds(2)).withMaxResults(1_000_000)
                .withGcGrace(Duration.ofSeconds(30));
    }

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
                meta = "cas-read-then-write".equals(cfg.bug()) ? crash.wrap(Bugs.readThenWrite())
                        : MetaStore.inMemory(crash);
                blobs = BlobStore.inMemory(crash, java.time.Clock.systemUTC());
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
                meta = crash.wrap(ScyllaMetaStore.connect(cql));
                blobs = crash.wrap(MinioBlobStore.connect(s3));
            }
            index.set(open());
            for (String n : cfg.nemeses()) {
                switch (n) {
                    case "crash" -> nemeses.add(crash);
                    case "restart" -> nemeses.add(restartNemesis());
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
            history = HistoryWriter.create(dir.resolve("history.jsonl"), test);
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
        LogIndex i = LogIndex.open(meta, blobs, indexConfig());
        if (cfg.bug() != null && Bugs.engineBug(cfg.bug()) != null) {
            ((io.fli.engine.internal.DefaultLogIndex) i).withBug(Bugs.engineBug(cfg.bug()));
        }
        return i;
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

    private void runClients(List<Nemesis> nemeses) {
        int writers = cfg.workload().equals("multi-writer") ? Math.max(2, cfg.concurrency() / 2) : 1;
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < cfg.concurrency(); i++) {
            int k = i;
            Runnable work = k < writers ? () -> writer("w" + k, k) : () -> reader(k);
            Runnable body = () -> guarded(work);
            Thread t = new Thread(body, (k < writers ? "writer-" : "reader-") + k);
            threads.add(t);
        }
        List<String> faults = new ArrayList<>();
        nemeses.forEach(n -> faults.addAll(n.faults()));
        Thread nem = new Thread(() -> guarded(() -> nemesisLoop(nemeses, faults)), "nemesis");
        long deadline = System.nanoTime() + cfg.time().toNanos();
        threads.forEach(Thread::start);
        nem.start();
        long lastPrint = 0;
        while (System.nanoTime() < deadline && running.get()) {
            sleep(200);
            long now = System.nanoTime();
            if (now - lastPrint > 2_000_000_000L) {
                lastPrint = now;
                progress.printf("  %5.1f s  %s%n", (cfg.time().toNanos() - (deadline - now)) / 1e9, counts);
                progress.flush();
            }
        }
        running.set(false);
        for (Thread t : threads) {
            join(t);
        }
        join(nem);
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
        List<String> schedule = new ArrayList<>();
        while (running.get() && !faults.isEmpty()) {
            sleep(cfg.nemesisInterval().toMillis());
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
                v = JSON.valueToTree(n.invoke(f, r));
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
        while (running.get()) {
            if (w == null || seenGeneration != generation.get()) {
                seenGeneration = generation.get();
                w = index.get().writer(id);
            }
            if (w.epoch() == 0 || r.nextInt(50) == 0) {
                // In the multi-writer workload an operator sometimes takes the lease over from a live holder.
                process = acquire(w, id, process, racing && r.nextInt(4) == 0);
                if (w.epoch() == 0) {
                    sleep(20 + r.nextInt(50));
                }
                continue;
            }
            List<Block> batch = retry;
            if (batch == null) {
                Long head;
                try {
                    head = index.get().head();
                } catch (RuntimeException e) {
                    sleep(100);
                    continue;
                }
                long next = head == null ? 0 : head + 1;
                batch = gen.blocks(next, 1 + r.nextInt(cfg.batchBlocks()));
            }
            int before = process;
            process = publish(w, id, process, batch);
            retry = null;
            if (process != before) {
                // The outcome is unknown (a lost reply, a crash point): the writer process restarts from the
                // stores and, like any ingester without an acknowledgement, publishes the same batch again.
                w = null;
                retry = batch;
            }
        }
    }

    private int acquire(Writer w, String id, int process, boolean takeOver) {
        history.invoke(process, "acquire", JSON.createObjectNode().put("writer", id));
        ObjectNode v = JSON.createObjectNode().put("writer", id);
        try {
            long epoch = takeOver ? w.takeOver() : w.acquire();
            history.complete(process, Op.Type.OK, v.put("epoch", epoch));
            count("acquire", Op.Type.OK);
            return process;
        } catch (LeaseHeldException | DegradedException | BackendException e) {
            // Refused, failed closed, or the store was unreachable before anything was written.
            history.complete(process, Op.Type.FAIL, v.put("error", e.getMessage()));
            count("acquire", Op.Type.FAIL);
            sleep(100);
            return process;
        } catch (RuntimeException e) {
            history.complete(process, Op.Type.INFO, v.put("error", describe(e)));
            count("acquire", Op.Type.INFO);
            sleep(100);
            return nextProcess.getAndIncrement();
        }
    }

    private int publish(Writer w, String id, int process, List<Block> batch) {
        long epoch = w.epoch();
        ObjectNode args = JSON.createObjectNode().put("writer", id).put("epoch", epoch);
        args.set("blocks", blocksJson(batch));
        history.invoke(process, "publish", args);
        ObjectNode v = args.deepCopy();
        try {
            PublishResult res = w.publish(batch);
            history.complete(process, Op.Type.OK, v.put("head", res.head()));
            count("publish", Op.Type.OK);
            return process;
        } catch (FencedException | LeaseHeldException | InvalidBlockException | DegradedException e) {
            // Definitely not applied: fenced before the CAS, rejected before anything was stored, or failed closed.
            history.complete(process, Op.Type.FAIL, v.put("error", e.getMessage()));
            count("publish", Op.Type.FAIL);
            if (e instanceof DegradedException) {
                sleep(200);
            }
            return process;
        } catch (BackendException e) {
            // A backend failure before the visibility barrier: nothing became visible by this call.
            history.complete(process, Op.Type.FAIL, v.put("error", e.getMessage()));
            count("publish", Op.Type.FAIL);
            sleep(100);
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
            if (q.blockHash() != null) {
                q = LogQuery.range(q.fromBlock(), q.toBlock(), List.of(gen.address(r.nextInt(300))), null);
            }
            ObjectNode args = JSON.createObjectNode();
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
            history.invoke(process, "query", args);
            ObjectNode v = args.deepCopy();
            try {
                QueryResult res = index.get().query(q);
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
                sleep(100);
            } catch (InvalidQueryException e) {
                history.complete(process, Op.Type.FAIL, v.put("error", e.getMessage()));
                count("query", Op.Type.FAIL);
            } catch (BackendException e) {
                history.complete(process, Op.Type.FAIL, v.put("error", e.getMessage()));
                count("query", Op.Type.FAIL);
                sleep(100); // the store is down or its breaker is open: do not spin
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

    private static void join(Thread t) {
        try {
            t.join(60_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
