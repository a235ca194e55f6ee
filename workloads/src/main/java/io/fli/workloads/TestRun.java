package io.fli.workloads;

import com.fasterxml.jackson.databind.node.ObjectNode;
import eu.rekawek.toxiproxy.ToxiproxyClient;
import io.fli.backends.CqlConfig;
import io.fli.backends.Endpoints;
import io.fli.backends.LocalBackends;
import io.fli.backends.S3Config;
import io.fli.backends.ScyllaMetaStore;
import io.fli.checker.CheckResult;
import io.fli.checker.Checker;
import io.fli.checker.History;
import io.fli.checker.HistoryWriter;
import io.fli.checker.Reports;
import io.fli.checker.Timeline;
import io.fli.engine.BlobStore;
import io.fli.engine.IndexConfig;
import io.fli.engine.LogIndex;
import io.fli.engine.MetaStore;
import io.fli.engine.WriteHook;
import io.fli.engine.internal.BrokenEngines;
import io.fli.engine.internal.InMemoryBlobStore;
import io.fli.engine.internal.InMemoryMetaStore;
import io.fli.faults.ClusterNemesis;
import io.fli.faults.CorruptNemesis;
import io.fli.faults.CrashPoints;
import io.fli.faults.LostReplies;
import io.fli.faults.Nemesis;
import io.fli.faults.NetworkNemesis;
import io.fli.faults.ProcessNemesis;
import io.fli.faults.net.ToxiproxyServer;
import io.fli.zoo.BrokenStores;
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
import java.util.TreeMap;

/**
 * One Jepsen-style run: several index processes over the same stores, clients (writers and readers in each) and a
 * nemesis work against them for a while, every operation is recorded in a format-v1 history, final reads follow once
 * every fault has healed, the checker judges the history, and everything lands in a run folder
 * {@code store/<workload>/<timestamp>/}: {@code history.jsonl}, {@code results.json}, {@code test.json},
 * {@code timeline.html} and, for real servers, their logs; {@code store/latest} points at it.
 *
 * <p>The parts: {@link Run} (what they share), {@link Node} (an index process), {@link Clients} (writers, readers,
 * final reads), {@link Faults} (process-level faults and the schedule), {@link BlockSource} (the chain, and forks).
 */
public final class TestRun {
    /** What a run produced; {@code interrupted} when it was stopped from outside and its partial history checked. */
    public record Result(Path dir, CheckResult check, boolean interrupted) {
    }

    /** Index processes in every run. */
    static final int PROCESSES = 2;
    /** Short, as for fast fail-over: a writer that takes the lease over waits out the previous one (lease reads). */
    private static final Duration LEASE = Duration.ofMillis(400);
    /** Longer than any publish, query or pause of a run, and short enough that GC deletes within a default run. */
    /** How long a node fault lasts: past the nodes' 4 s write timeout, so conditional writes meet unknown outcomes. */
    static final long CLUSTER_FAULT_MS = 5_000;
    private static final Duration GC_GRACE = Duration.ofSeconds(4);

    private static volatile Run current;

    private final Run run;
    private final PrintWriter progress;
    private final BlockSource source;
    private final QueryMix mix;
    private final List<Node> nodes = new ArrayList<>();
    /** With {@code --readers-via serve}: the query-only fli serve process the readers query over JSON-RPC. */
    private ServeNode serveNode;
    /** The harness's own CQL client on real servers (it damages meta/state for the corrupt fault), or null. */
    private MetaStore rawMetaClient;
    private final List<SimBackground> merges = new ArrayList<>();

    private TestRun(TestConfig cfg, PrintWriter progress) {
        this.run = new Run(cfg);
        this.progress = progress;
        ChainGenerator gen = new ChainGenerator(ChainGenerator.Shape.defaults(cfg.seed()).withLogsPerBlock(4)
                .withCardinality(300, 30, 500));
        this.source = new BlockSource(gen);
        this.mix = new QueryMix(gen, 128, 200);
    }

    public static Result run(TestConfig cfg, PrintWriter progress) throws IOException {
        return new TestRun(cfg, progress).go();
    }

    /**
     * Stops the run in progress, if any (Ctrl-C): clients stop, faults heal, and the partial history is checked and
     * written as usual, without final reads. Returns at once; {@link #run} returns the result.
     */
    public static void interrupt() {
        Run r = current;
        if (r != null) {
            r.interrupted.set(true);
            r.running.set(false);
        }
    }

    /**
     * The unknown CAS outcomes of a run folder's index processes in one line ({@code cas-unknown.json}: how many, how
     * many had applied, which fault produced them), or null for a run without processes of their own.
     */
    public static String casUnknownLine(Path dir) {
        Path f = dir.resolve("cas-unknown.json");
        if (!Files.exists(f)) {
            return null;
        }
        try {
            return CasOutcomes.describe(Run.JSON.readTree(f.toFile()));
        } catch (IOException e) {
            return "unreadable (" + e.getMessage() + ")";
        }
    }

    /**
     * The index settings of a run's process {@code name} (also those in JVMs of their own). Processes write
     * different segment formats — p0, p2, ... format 2 (the default), p1, p3, ... format 4 (term filters) — so
     * every run's index mixes them as a rolling upgrade does: each process reads the other's segments, and merges
     * rewrite them in the merging writer's format.
     */
    static IndexConfig harnessConfig(Duration lease, Duration gcGrace, String name) {
        return IndexConfig.defaults().withLeaseDuration(lease).withMaxResults(1_000_000).withGcGrace(gcGrace)
                .withMergeFanout(4).withSegmentFormat(segmentFormat(name));
    }

    /** The segment format process {@code name} writes: 4 for a name ending in an odd digit, else 2. */
    static int segmentFormat(String name) {
        char last = name.isEmpty() ? '0' : name.charAt(name.length() - 1);
        return Character.isDigit(last) && (last - '0') % 2 == 1 ? 4 : 2;
    }


    private Result go() throws IOException {
        TestConfig cfg = run.cfg;
        String stamp = LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss.SSS"));
        Path dir = cfg.store().resolve(cfg.workload()).resolve(stamp);
        Files.createDirectories(dir);
        ObjectNode test = cfg.toJson();
        test.put("processes", PROCESSES);
        Files.writeString(dir.resolve("test.json"), Run.JSON.writerWithDefaultPrettyPrinter()
                .writeValueAsString(test));
        CrashPoints crash = new CrashPoints();
        LostReplies lost = new LostReplies();
        Stall stall = new Stall();
        LocalBackends servers = null;
        ToxiproxyServer toxiproxy = null;
        NetworkNemesis network = null;
        List<Nemesis> nemeses = new ArrayList<>();
        Faults faults = new Faults(run, nodes);
        Clients clients = new Clients(run, source, mix);
        current = run;
        try {
            CorruptNemesis.Corruptor corruptor = null;
            MetaStore rawMeta;
            boolean ownJvms = !cfg.backend().equals("memory");
            if (!ownJvms) {
                Sim sim = run.sim;
                MetaStore base = "cas-read-then-write".equals(cfg.bug())
                        ? BrokenStores.readThenWrite(sim::yieldNow) : new InMemoryMetaStore(WriteHook.NONE);
                InMemoryBlobStore mem = new InMemoryBlobStore(WriteHook.NONE, sim.clock());
                rawMeta = base;
                corruptor = CorruptNemesis.inMemory(mem);
                // Every meta call and blob write is a point where another activity may run.
                MetaStore shared = Yielding.meta(hooks(base, crash, lost, stall), sim);
                BlobStore sharedBlobs = Yielding.blobs(hooks(mem, crash, lost), sim);
                for (int i = 0; i < PROCESSES; i++) {
                    nodes.add(simulatedNode(i, shared, sharedBlobs));
                }
            } else {
                if (cfg.nemeses().contains("partition-nodes")) {
                    // Said before any server starts: the cut needs the packet filter and a group per node.
                    String why = io.fli.faults.net.PacketFilter.unavailableReason();
                    why = why != null ? why : io.fli.backends.Cgroups.unavailableReason();
                    if (why != null) {
                        throw new IllegalArgumentException("nemesis 'partition-nodes' cuts the nodes apart with the "
                                + "kernel's packet filter, one control group per node: " + why);
                    }
                }
                Endpoints at = cfg.backend().equals("local")
                        ? Endpoints.local(dir.resolve("servers"), "fli", cfg.secure(), cfg.nodes())
                        : Endpoints.fromEnvironment();
                servers = at.servers();
                CqlConfig cql = at.cql();
                S3Config s3 = at.s3();
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
                    s3 = s3.withEndpoint(java.net.URI.create(s3.endpoint()).getScheme() + "://"
                            + network.listen("blob"));
                }
                // Each index process is a JVM of its own with its own sessions (and so its own retries and circuit
                // breakers), with retry jitter drawn from the run's seed and the process.
                Path logs = Files.createDirectories(dir.resolve("processes"));
                ObjectNode coordinators = test.putObject("coordinators");
                for (int i = 0; i < PROCESSES; i++) {
                    CqlConfig own = cql;
                    if (servers != null && servers.nodes().size() > 1) {
                        // Each process sends every request to a coordinator of its own, so that a node fault or a
                        // partition of that node hits its path (not only the replicas behind a healthy coordinator).
                        var node = servers.nodes().get(i % servers.nodes().size());
                        own = cql.withCoordinator(new InetSocketAddress(node.host(), node.cqlPort()));
                        coordinators.put("p" + i, node.host() + ":" + node.cqlPort());
                    }
                    nodes.add(new RemoteNode("p" + i, own, s3, LEASE, GC_GRACE, jitter(i), cfg.bug(),
                            logs.resolve("p" + i + ".log")));
                }
                // Each process asks the others which state the lease holder among them answers from, instead of
                // reading meta/state per query (docs/design.md, "Any query process within the SLO").
                for (Node n : nodes) {
                    ((RemoteNode) n).peers(nodes.stream().filter(o -> o != n).map(o -> ((RemoteNode) o).port())
                            .toList());
                }
                if (coordinators.isEmpty()) {
                    test.remove("coordinators");
                } else {
                    Files.writeString(dir.resolve("test.json"), Run.JSON.writerWithDefaultPrettyPrinter()
                            .writeValueAsString(test));
                }
                StringBuilder urls = new StringBuilder();
                for (Node n : nodes) {
                    urls.append(n.name()).append(' ').append(((RemoteNode) n).metricsUrl()).append('\n');
                }
                if (cfg.readersVia().equals("serve")) {
                    // Through the same (possibly proxied) endpoints as the index processes: faults reach it too.
                    serveNode = new ServeNode("serve", cql, s3, logs.resolve("serve"));
                    urls.append("serve ").append(serveNode.url()).append("/metrics\n");
                }
                Files.writeString(dir.resolve("metrics.txt"), urls.toString());
                rawMeta = ScyllaMetaStore.connect(cql);
                rawMetaClient = rawMeta;
                if (servers != null) {
                    corruptor = CorruptNemesis.s3proxyFiles(servers.s3().dataDir(), s3.bucket());
                }
            }
            for (String n : cfg.nemeses()) {
                switch (n) {
                    case "crash" -> nemeses.add(ownJvms ? faults.armedInProcess("crash") : crash);
                    case "lost-reply" -> nemeses.add(ownJvms ? faults.armedInProcess("lost-reply") : lost);
                    case "restart" -> nemeses.add(faults.restart());
                    case "pause-process" -> nemeses.add(faults.pauseProcess(LEASE.toMillis()));
                    case "fork" -> nemeses.add(faults.fork(source));
                    case "lease-loss" -> nemeses.add(faults.leaseLoss(ownJvms ? faults::holderProcess
                            : () -> faults.inProcess(stall), clients, LEASE.toMillis()));
                    case "corrupt" -> {
                        if (corruptor == null) {
                            throw new IllegalArgumentException("nemesis 'corrupt' damages stored objects directly: it "
                                    + "needs --backend memory or local");
                        }
                        nemeses.add(new CorruptNemesis(corruptor, () -> nodes.forEach(Node::dropCaches),
                                // The operator repaired the object and restarts the processes, which failed closed.
                                () -> faults.restartAll("repair after corruption"), 1_000, run::pause)
                                .withMetaState(rawMeta));
                    }
                    case "kill-node", "pause-node", "partition-nodes" -> {
                        if (nemeses.stream().noneMatch(x -> x instanceof ClusterNemesis)) {
                            int size = servers.nodes().size();
                            nemeses.add(new ClusterNemesis(servers.nodes(),
                                    () -> faults.holderIndex() % size, CLUSTER_FAULT_MS));
                        }
                    }
                    case "kill", "pause" -> {
                        if (nemeses.stream().noneMatch(x -> x instanceof ProcessNemesis)) {
                            nemeses.add(new ProcessNemesis(Map.of("meta", servers.cassandra(), "blob",
                                    servers.s3()), 1_000));
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
                nemeses.add(faults.restart());
            }
            run.history = new HistoryWriter(new java.io.FileOutputStream(dir.resolve("history.jsonl").toFile()), test,
                    run.sim == null ? System::nanoTime : run.sim::nanos, cfg.compactAnswers());
            runClients(clients, faults, nemeses);
            for (Nemesis n : nemeses) {
                n.teardown();
            }
            nemeses.clear();
            if (run.recordingFailed.get() == null && !run.interrupted.get()) {
                List<Node> queried = new ArrayList<>(nodes);
                if (serveNode != null) {
                    queried.add(serveNode);
                }
                run.guarded(() -> clients.finalReads(queried));
            }
            if (run.recordingFailed.get() != null) {
                RuntimeException f = run.recordingFailed.get();
                throw new IOException("the run stopped because its history could not be written to "
                        + dir.resolve("history.jsonl") + ": " + f.getMessage()
                        + (f.getCause() == null ? "" : " (" + f.getCause().getMessage() + ")"), f);
            }
        } finally {
            current = null;
            for (Nemesis n : nemeses) {
                n.teardown();
            }
            if (run.history != null) {
                run.history.close();
            }
            scrapeMetrics(dir);
            for (Node n : nodes) {
                n.close();
            }
            if (serveNode != null) {
                serveNode.close();
            }
            if (rawMetaClient != null) {
                try {
                    rawMetaClient.close();
                } catch (RuntimeException e) {
                    // closing a client of a server that is going away
                }
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
        return finish(dir);
    }

    /** Checks the history and writes the result files; {@code store/latest} points at the run. */
    private Result finish(Path dir) throws IOException {
        if (Files.isDirectory(dir.resolve("processes"))) {
            Files.writeString(dir.resolve("cas-unknown.json"), Run.JSON.writerWithDefaultPrettyPrinter()
                    .writeValueAsString(CasOutcomes.summarize(dir.resolve("processes"),
                            List.copyOf(run.windows))));
        }
        History h = History.read(dir.resolve("history.jsonl"));
        CheckResult r = Checker.check(h);
        Files.writeString(dir.resolve("results.json"), Reports.jsonText(r));
        Files.writeString(dir.resolve("timeline.html"), Timeline.html(h, r));
        try {
            io.fli.checker.Plots.write(h, dir);
        } catch (IOException | RuntimeException e) {
            // The plots are for the reader; the verdict and the history stand without them.
            Files.writeString(dir.resolve("plots-error.txt"), e.toString());
        }
        Path latest = run.cfg.store().resolve("latest");
        Files.deleteIfExists(latest);
        try {
            Files.createSymbolicLink(latest, run.cfg.store().toAbsolutePath().relativize(dir.toAbsolutePath()));
        } catch (IOException | UnsupportedOperationException e) {
            Files.writeString(run.cfg.store().resolve("latest.txt"), dir.toString());
        }
        return new Result(dir, r, run.interrupted.get());
    }

    /** The last scrape of each index process's Prometheus endpoint, kept in the run folder as evidence. */
    private void scrapeMetrics(Path dir) {
        java.net.http.HttpClient http = java.net.http.HttpClient.newBuilder()
                .connectTimeout(Duration.ofSeconds(5)).build();
        for (Node n : nodes) {
            if (n instanceof RemoteNode r && r.metricsUrl() != null) {
                try {
                    String body = http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(r.metricsUrl()))
                            .timeout(Duration.ofSeconds(10)).build(),
                            java.net.http.HttpResponse.BodyHandlers.ofString()).body();
                    Files.writeString(dir.resolve("metrics-" + n.name() + ".prom"), body);
                } catch (IOException | RuntimeException e) {
                    // a killed or paused process: its metrics are gone with it, the run is not
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }
    }

    private long jitter(int process) {
        return run.cfg.seed() * 1_000_003 + process;
    }

    /** The meta store as the faults reach it: crash points, lost replies, lease-loss stalls. */
    static MetaStore hooks(MetaStore base, CrashPoints crash, LostReplies lost, Stall stall) {
        return MetaStore.hooked(MetaStore.hooked(MetaStore.hooked(base, crash), lost), stall);
    }

    /** The blob store as the faults reach it: crash points and lost replies. */
    static BlobStore hooks(BlobStore base, CrashPoints crash, LostReplies lost) {
        return BlobStore.hooked(BlobStore.hooked(base, crash), lost);
    }

    /**
     * Index process {@code i} of a simulation: the shared stores behind a gate of its own (so it can be paused), its
     * own index, and its merge work on a fiber of its own. Its clock is the simulation's, and its writer incarnation
     * ids come from the seed, so that a replay is the same byte for byte.
     */
    private Node simulatedNode(int i, MetaStore shared, BlobStore sharedBlobs) {
        Gate gate = new Gate(run::pause);
        MetaStore meta = gate.meta(shared);
        BlobStore blobs = gate.blobs(sharedBlobs);
        SimBackground background = new SimBackground(run);
        merges.add(background);
        // Odd processes ask the other processes which state the lease holder among them answers from (a paused one
        // answers nothing) instead of reading meta/state per query; even ones read it, as a process deployed without
        // a holder view does. Mixed, so that a holder answering from a state another process can already have read
        // past (lease-view-during-cas) still shows: processes that all ask the same holder agree with it.
        io.fli.engine.HolderView peers = i % 2 == 0 ? null : new SimPeers("p" + i, gate);
        if (peers != null && "holder-view-remembers".equals(run.cfg.bug())) {
            peers = PeerHolderView.remembering(peers);
        }
        IndexConfig config = harnessConfig(LEASE, GC_GRACE, "p" + i).withClock(run.sim.clock()).withBackground(background)
                .withRandom(new java.util.SplittableRandom(run.cfg.seed() * 6_364_136_223_846_793_005L + i + 1))
                .withHolderView(peers);
        return new InProcessNode("p" + i, () -> openIndex(run.cfg.bug(), meta, blobs, config), gate);
    }

    /** How long a read lease a simulated process asks for: a quarter of the writer lease. */
    static final long READ_LEASE_MS = 100;

    /**
     * A simulated process's holder view: it asks the run's other processes (a paused one answers nothing) and takes
     * read leases from the holder among them. Its transport is the simulation's: a revocation reaches it at once
     * unless it is paused (then never: the holder waits the grant out), and a grant's answer reaches it a simulated
     * millisecond after the holder gave it, and only while it runs (a process paused meanwhile gets it on waking).
     */
    private final class SimPeers implements io.fli.engine.HolderView {
        private final String self;
        private final Gate gate;

        SimPeers(String self, Gate gate) {
            this.self = self;
            this.gate = gate;
        }

        @Override
        public java.util.Optional<io.fli.engine.ViewStamp> current() {
            return current(null);
        }

        @Override
        public java.util.Optional<io.fli.engine.ViewStamp> current(io.fli.engine.ViewStamp have) {
            for (Node n : nodes) {
                if (!n.name().equals(self)) {
                    java.util.Optional<io.fli.engine.ViewStamp> v = n.leaseView();
                    if (v.isPresent()) {
                        return v.map(s -> s.answering(have));
                    }
                }
            }
            return java.util.Optional.empty();
        }

        @Override
        public boolean leases() {
            return true;
        }

        @Override
        public java.util.Optional<io.fli.engine.ReadLease> readLease(io.fli.engine.ViewStamp have,
                java.util.function.Consumer<byte[]> onRevoke) {
            for (Node n : nodes) {
                if (!n.name().equals(self)) {
                    java.util.Optional<io.fli.engine.ReadLease> l = n.grantReadLease(have, READ_LEASE_MS, (grant, coming) -> {
                        if (!gate.isClosed()) {
                            onRevoke.accept(coming);
                            n.readLeaseAcknowledged(grant);
                        }
                    });
                    if (l.isPresent()) {
                        run.pause(1);
                        gate.pass();
                        return l;
                    }
                }
            }
            return java.util.Optional.empty();
        }
    }

    /** The correct engine, or the bug zoo's variant {@code bug} when it is an engine-level one. */
    static LogIndex openIndex(String bug, MetaStore meta, BlobStore blobs, IndexConfig config) {
        LogIndex broken = bug == null ? null : BrokenEngines.open(bug, meta, blobs, config);
        return broken != null ? broken : LogIndex.open(meta, blobs, config);
    }

    private void runClients(Clients clients, Faults faults, List<Nemesis> nemeses) {
        TestConfig cfg = run.cfg;
        // Every process has a writer (one holds the lease, the others stand by or race for it) and readers.
        int writers = cfg.workload().equals("multi-writer") ? Math.max(PROCESSES, cfg.concurrency() / 2) : PROCESSES;
        int readers = Math.max(PROCESSES, cfg.concurrency() - writers);
        List<String> names = new ArrayList<>();
        List<Runnable> bodies = new ArrayList<>();
        for (int i = 0; i < writers; i++) {
            int k = i;
            Node n = nodes.get(k % PROCESSES);
            names.add("writer-" + k);
            bodies.add(() -> run.guarded(() -> clients.writer("w" + k, k, n)));
        }
        for (int i = 0; i < readers; i++) {
            int k = writers + i;
            Node n = serveNode != null ? serveNode : nodes.get(i % PROCESSES);
            names.add("reader-" + k);
            bodies.add(() -> run.guarded(() -> clients.reader(k, n)));
        }
        // Only the faults asked for (a nemesis may offer more: process faults offer kill and pause, the network
        // nemesis seven). The restart workload restarts processes even when not asked to.
        List<String> asked = new ArrayList<>();
        nemeses.forEach(n -> n.faults().stream().filter(f -> cfg.nemeses().contains(f)
                || (f.equals("restart") && cfg.workload().equals("restart"))).forEach(asked::add));
        names.add("nemesis");
        run.faults = List.copyOf(asked);
        bodies.add(() -> run.guarded(() -> faults.schedule(nemeses, asked)));
        if ("gc-no-grace".equals(cfg.bug())) {
            // The old design's separate GC process, on a token that bypasses the fence.
            names.add("gc");
            bodies.add(() -> run.guarded(this::unfencedGc));
        }
        for (int i = 0; i < merges.size(); i++) {
            names.add("merges-p" + i);
            bodies.add(merges.get(i)::loop);
        }
        if (run.sim != null) {
            Sim sim = run.sim;
            for (int i = 0; i < names.size(); i++) {
                sim.spawn(names.get(i), bodies.get(i));
            }
            // The run lasts its time, and longer (up to three times) until every fault has had its turn.
            long hard = 3 * cfg.time().toNanos();
            Runnable[] atDeadline = new Runnable[1];
            atDeadline[0] = () -> {
                if (run.everyFaultHadItsTurn() || sim.nanos() >= hard) {
                    run.running.set(false);
                } else {
                    sim.deadline(sim.nanos() + 100_000_000L, atDeadline[0]);
                }
            };
            sim.deadline(cfg.time().toNanos(), atDeadline[0]);
            Thread controller = new Thread(() -> {
                try {
                    sim.run();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                } catch (IllegalStateException e) {
                    run.recordingFailed.compareAndSet(null, e);
                }
            }, "sim");
            controller.start();
            while (controller.isAlive()) {
                join(controller, 2_000);
                progress.printf("  %5.1f s  %s%n", sim.nanos() / 1e9, new TreeMap<>(run.counts));
                progress.flush();
            }
            return;
        }
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < names.size(); i++) {
            threads.add(new Thread(bodies.get(i), names.get(i)));
        }
        long deadline = System.nanoTime() + cfg.time().toNanos();
        long hard = System.nanoTime() + 3 * cfg.time().toNanos();
        threads.forEach(Thread::start);
        long lastPrint = 0;
        // The run lasts its time, and longer (up to three times) until every fault has had its turn: a fault that
        // takes long on a slow machine (a server restart) must not leave another fault out.
        while (run.running.get() && (System.nanoTime() < deadline
                || (!run.everyFaultHadItsTurn() && System.nanoTime() < hard))) {
            Run.sleep(200);
            long now = System.nanoTime();
            if (now - lastPrint > 2_000_000_000L) {
                lastPrint = now;
                progress.printf("  %5.1f s  %s%n", (cfg.time().toNanos() - (deadline - now)) / 1e9,
                        new TreeMap<>(run.counts));
                progress.flush();
            }
        }
        run.running.set(false);
        for (Thread t : threads) {
            join(t, 60_000);
        }
    }

    private void unfencedGc() {
        while (run.running.get()) {
            run.pause(30);
            try {
                nodes.get(0).gc("gc");
            } catch (RuntimeException e) {
                run.pause(100);
            }
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
