package io.fli.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fli.backends.Endpoints;
import io.fli.backends.LocalBackends;
import io.fli.backends.MinioBlobStore;
import io.fli.backends.ScyllaMetaStore;
import io.fli.checker.CheckResult;
import io.fli.checker.Checker;
import io.fli.checker.History;
import io.fli.checker.HistoryWriter;
import io.fli.checker.Op;
import io.fli.checker.Validity;
import io.fli.engine.Admin;
import io.fli.engine.BackendException;
import io.fli.engine.Block;
import io.fli.engine.DegradedException;
import io.fli.engine.FencedException;
import io.fli.engine.InvalidBlockException;
import io.fli.engine.LeaseHeldException;
import io.fli.engine.LogQuery;
import io.fli.engine.PublishResult;
import io.fli.engine.QueryResult;
import io.fli.engine.Writer;
import io.fli.serve.Serve;
import io.fli.workloads.ChainGenerator;
import io.fli.workloads.HistoryJson;
import io.fli.workloads.QueryMix;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * The on-call dry run: {@code fli serve} on local servers, scraped by a real Prometheus that evaluates
 * {@code ops/prometheus/alerts.yml}; for each runbook, the fault is injected, the drill waits until Prometheus fires the
 * runbook's alert, runs the runbook's own commands, mitigates as the runbook says, and waits until the alert has
 * resolved and {@code /health} is ok. The serving process's publishes and a reader's queries are recorded as a history
 * and checked at the end. Notes (seed section 10.3) go to the run folder.
 */
@Command(name = "drill", mixinStandardHelpOptions = true,
        description = {"The on-call dry run: fli serve on local Cassandra + S3Proxy, scraped by a real Prometheus with "
                + "ops/prometheus/alerts.yml. For each runbook scenario: inject the fault, wait until its alert fires, run "
                + "the runbook's commands, mitigate, wait until the alert resolves and /health is ok. The history of the "
                + "serving process's publishes and a reader's queries must be valid. Writes drill-notes.md and drill.json.",
                "Time is compressed by --time-scale: every 'for:' and range window of the alert rules, the lease and the "
                        + "GC grace are divided by it (the thresholds are not); range windows stay at least 20 s, "
                        + "several cycles of the faults, which are not compressed."})
final class DrillCommand implements Callable<Integer> {
    static final List<String> SCENARIOS = List.of("s3-down", "cql-down", "cql-stall", "throttling", "corruption",
            "finality-violation", "lease-loss", "gc-backlog");

    /** The runbook page each scenario drills. */
    static String runbookOf(String scenario) {
        return scenario.equals("cql-stall") ? "cql-down.md" : scenario + ".md";
    }

    @Spec
    CommandSpec spec;

    @Option(names = "--backend", description = "local: Cassandra and S3Proxy started as child processes (the only one: "
            + "a drill kills and pauses its servers) (default: ${DEFAULT-VALUE}).")
    String backend = "local";

    @Option(names = "--store", description = "The run folder (default: store/drill/<time>).")
    Path store;

    @Option(names = "--scenario", split = ",", description = "Scenarios to drill, in order (default: all: "
            + "s3-down, cql-down, cql-stall, throttling, corruption, finality-violation, lease-loss, gc-backlog).")
    List<String> scenarios;

    @Option(names = "--time-scale", description = "How much faster than real time the alerts' windows, 'for' "
            + "durations, the lease and the GC grace run (default: ${DEFAULT-VALUE}).")
    double timeScale = 30;

    @Option(names = "--prometheus", description = "The Prometheus binary (default: ${DEFAULT-VALUE} on the PATH).")
    String prometheus = "prometheus";

    @Option(names = "--phase-timeout", description = "Longest wait, in seconds, for an alert to fire or to resolve "
            + "(default: ${DEFAULT-VALUE}).")
    int phaseTimeout = 300;

    private static final ObjectMapper JSON = new ObjectMapper();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private PrintWriter out;
    private Path dir;
    private LocalBackends servers;
    private Endpoints at;
    /** The drill's own connection to meta/state (to pick a segment to damage, to see who holds the lease). */
    private ScyllaMetaStore checks;
    private Serve serve;
    private String promUrl;
    private HistoryWriter history;
    private final AtomicBoolean forkArmed = new AtomicBoolean();
    private final AtomicInteger nextProcess = new AtomicInteger(2);
    private final ChainGenerator gen = new ChainGenerator(ChainGenerator.Shape.defaults(7));
    private final StringBuilder notes = new StringBuilder();
    private Duration lease;

    /** One scenario's outcome. */
    record Outcome(String scenario, String alert, Instant injected, Instant fired, Instant mitigated,
                   Instant resolved, boolean ok, String failure) {
    }

    @Override
    public Integer call() throws Exception {
        out = spec.commandLine().getOut();
        if (!backend.equals("local")) {
            throw Inputs.bad(spec, "--backend must be local (a drill kills, pauses and restarts its own servers), got '"
                    + backend + "'");
        }
        if (!(timeScale >= 1)) {
            throw Inputs.bad(spec, "--time-scale must be at least 1, got " + timeScale);
        }
        Inputs.atLeast(spec, "--phase-timeout", phaseTimeout, 10);
        List<String> chosen = scenarios == null || scenarios.isEmpty() ? SCENARIOS : scenarios;
        for (String s : chosen) {
            if (!SCENARIOS.contains(s)) {
                throw Inputs.bad(spec, "--scenario: unknown scenario '" + s + "'; known: " + String.join(", ",
                        SCENARIOS));
            }
        }
        Path prom = findOnPath(prometheus);
        if (prom == null) {
            throw Inputs.bad(spec, "--prometheus: '" + prometheus + "' not found (install Debian's prometheus package, "
                    + "or name the binary)");
        }
        Path home = Path.of(System.getProperty("fli.home", "."));
        Path rules = home.resolve("ops/prometheus/alerts.yml");
        if (!Files.isRegularFile(rules)) {
            throw Inputs.bad(spec, "no alert rules at " + rules.toAbsolutePath() + " (set fli.home to the checkout)");
        }
        dir = store != null ? store : Path.of("store", "drill",
                LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss")));
        Files.createDirectories(dir);
        List<Outcome> outcomes = new ArrayList<>();
        Process promProcess = null;
        Thread reader = null;
        AtomicBoolean stop = new AtomicBoolean();
        CheckResult verdict = null;
        RunLog log = RunLog.start(dir, "drill");
        // Ctrl-C or SIGTERM: stop Prometheus and the servers this drill started (nothing else).
        Process[] started = new Process[1];
        Thread onSignal = new Thread(() -> {
            if (started[0] != null) {
                started[0].destroy();
            }
            if (servers != null) {
                servers.close();
            }
        }, "drill-shutdown");
        Runtime.getRuntime().addShutdownHook(onSignal);
        try {
            out.printf("fli drill: run folder %s, time scale %.0fx, scenarios %s%n", dir, timeScale, chosen);
            out.flush();
            at = Endpoints.local(dir.resolve("servers"), "fli");
            servers = at.servers();
            // Serve's CQL requests time out after 2 s (the local default is 4 s): the cql-stall scenario's stalls of
            // 2.5 s then outlast a request, as a production node's multi-second stalls outlast its timeouts.
            ScyllaMetaStore meta = ScyllaMetaStore.connect(at.cql().withRequestTimeout(Duration.ofSeconds(2)));
            MinioBlobStore blobs = MinioBlobStore.connect(at.s3());
            checks = ScyllaMetaStore.connect(at.cql());
            ObjectNode test = JSON.createObjectNode().put("name", "drill").put("backend", "local")
                    .put("time_scale", timeScale);
            test.putArray("scenarios").addAll(chosen.stream().map(JSON.getNodeFactory()::textNode).toList());
            history = HistoryWriter.create(dir.resolve("history.jsonl"), test);
            lease = scaled(Duration.ofMinutes(1));
            Duration grace = scaled(Duration.ofHours(1));
            serve = Serve.start(new Serve.Config("127.0.0.1", 0, true, 20, 10, 7, "serve-main"), meta, blobs, "local",
                    new Serve.Hooks(this::source, new Recorder(), Duration.ofSeconds(5),
                            c -> c.withLeaseDuration(lease).withGcGrace(grace)));
            String serveUrl = "http://127.0.0.1:" + serve.port();
            out.printf("fli serve on %s (writer serve-main, lease %s, GC grace %s, GC every 5 s)%n", serveUrl,
                    lease, grace);
            reader = new Thread(() -> read(stop), "drill-reader");
            reader.setDaemon(true);
            reader.start();
            promProcess = startPrometheus(prom, rules);
            started[0] = promProcess;
            out.printf("prometheus on %s (pid %d), rules: %s scaled %.0fx%n", promUrl, promProcess.pid(), rules,
                    timeScale);
            out.flush();
            waitFor("the first scrape of fli serve", () -> scrapedUp(), Duration.ofSeconds(phaseTimeout));
            waitFor("no alert firing or pending before the first scenario", () -> alerts().isEmpty(),
                    Duration.ofSeconds(phaseTimeout));
            notes.append("# Drill notes\n\n")
                    .append("`fli drill` on local Cassandra + S3Proxy, `fli serve` following the seeded chain at 20 blocks/s, ")
                    .append("a real Prometheus (`").append(prom).append("`) scraping it every second with `")
                    .append("ops/prometheus/alerts.yml`, every `for:` and range window divided by ")
                    .append(String.format("%.0f", timeScale)).append(" (range windows at least ").append(MIN_WINDOW_S)
                    .append(" s; lease ").append(lease).append(", GC grace ")
                    .append(grace).append(").\n\n");
            for (String s : chosen) {
                Outcome o = drill(s, serveUrl);
                outcomes.add(o);
                out.printf("%s: %s%n", s, o.ok() ? "recovered" : "FAILED: " + o.failure());
                out.flush();
            }
            stop.set(true);
            reader.join(30_000);
            finalReads();
        } finally {
            stop.set(true);
            if (serve != null) {
                serve.close();
            }
            if (history != null) {
                history.close();
            }
            if (promProcess != null) {
                promProcess.destroy();
                if (!promProcess.waitFor(20, TimeUnit.SECONDS)) {
                    promProcess.destroyForcibly();
                }
            }
            if (checks != null) {
                checks.close();
            }
            if (servers != null) {
                servers.close();
            }
            try {
                Runtime.getRuntime().removeShutdownHook(onSignal);
            } catch (IllegalStateException e) {
                // shutting down already: the hook runs
            }
            log.moveInto(dir);
        }
        verdict = Checker.check(History.read(dir.resolve("history.jsonl")));
        boolean valid = verdict.valid() == Validity.VALID;
        boolean all = outcomes.stream().allMatch(Outcome::ok);
        writeNotes(outcomes, verdict);
        out.printf("history: %s (%,d operations)%s%n", verdict.valid(), verdict.stats().ops(),
                valid ? "" : ": " + verdict.anomalies().stream().limit(3).map(a -> a.invariant() + ": "
                        + a.explanation()).toList());
        out.printf("%s: %d of %d scenarios recovered; notes in %s%n", all && valid ? "PASS" : "FAIL",
                outcomes.stream().filter(Outcome::ok).count(), outcomes.size(), dir.resolve("drill-notes.md"));
        out.flush();
        return all && valid ? 0 : 1;
    }

    private Duration scaled(Duration d) {
        return Duration.ofMillis(Math.max(1_000, (long) (d.toMillis() / timeScale)));
    }

    // ------------------------------------------------------------------ scenarios

    /** What one scenario does: the alert it expects (and a label it must carry), its fault and its mitigation. */
    private record Plan(String runbook, String alert, String label, String labelValue, Fault inject, Fault mitigate,
                        String mitigation, List<String> also) {
        Plan(String runbook, String alert, String label, String labelValue, Fault inject, Fault mitigate,
             String mitigation) {
            this(runbook, alert, label, labelValue, inject, mitigate, mitigation, List.of());
        }

        Plan with(String... alerts) {
            return new Plan(runbook, alert, label, labelValue, inject, mitigate, mitigation, List.of(alerts));
        }

        /** The names of the alerts the scenario expects ({@code also} holds names only). */
        List<String> names() {
            List<String> all = new ArrayList<>();
            all.add(alert);
            all.addAll(also);
            return all;
        }

        /** Every alert the scenario must see firing: the page's alert and the others the fault raises with it. */
        List<String> expected() {
            List<String> all = new ArrayList<>();
            all.add(label == null ? alert : alert + "{" + label + "=" + labelValue + "}");
            all.addAll(also);
            return all;
        }
    }

    @FunctionalInterface
    private interface Fault {
        void run() throws Exception;
    }

    private Outcome drill(String scenario, String serveUrl) throws Exception {
        Plan p = plan(scenario, serveUrl);
        notes.append("## ").append(scenario).append("\n\n").append("Runbook: `docs/runbooks/").append(p.runbook())
                .append("`; expected alerts: `").append(String.join("`, `", p.expected())).append("`.\n\n");
        Instant injected = Instant.now();
        notes.append("- ").append(injected).append(" fault injected\n");
        p.inject().run();
        java.util.Set<String> seen = new java.util.LinkedHashSet<>();
        Map<String, Instant> firedAt = new java.util.LinkedHashMap<>();
        Instant fired = waitUntil(() -> {
            for (String a : firingNow()) {
                if (p.expected().contains(a) && seen.add(a)) {
                    firedAt.put(a, Instant.now());
                }
            }
            return seen.containsAll(p.expected());
        }, Duration.ofSeconds(phaseTimeout));
        if (fired == null) {
            List<String> missing = new ArrayList<>(p.expected());
            missing.removeAll(seen);
            notes.append("- the alert(s) ").append(missing).append(" did not fire within ").append(phaseTimeout)
                    .append(" s; active: ").append(alerts()).append("\n\n");
            p.mitigate().run();
            waitUntil(() -> alerts().isEmpty(), Duration.ofSeconds(phaseTimeout));
            return new Outcome(scenario, String.join(", ", p.expected()), injected, null, null, null, false,
                    "alert(s) " + missing + " did not fire within " + phaseTimeout + " s");
        }
        for (Map.Entry<String, Instant> e : firedAt.entrySet()) {
            notes.append("- ").append(e.getValue()).append(" `").append(e.getKey()).append("` firing in Prometheus (")
                    .append(Duration.between(injected, e.getValue()).toMillis() / 1000.0).append(" s after the fault)\n");
        }
        runbookCommands(p.runbook(), "Diagnosis", serveUrl);
        Instant mitigated = Instant.now();
        p.mitigate().run();
        notes.append("- ").append(mitigated).append(" mitigated: ").append(p.mitigation()).append("\n");
        Instant resolved = waitUntil(() -> !anyActive(p.names()) && healthOk(serveUrl),
                Duration.ofSeconds(phaseTimeout));
        if (resolved == null) {
            notes.append("- not recovered within ").append(phaseTimeout).append(" s: alerts ").append(alerts())
                    .append(", health ").append(health(serveUrl)).append("\n\n");
            return new Outcome(scenario, String.join(", ", p.expected()), injected, fired, mitigated, null, false,
                    "alert(s) " + p.expected()
                    + " still active or health not ok " + phaseTimeout + " s after mitigation");
        }
        notes.append("- ").append(resolved).append(" recovered: the alert resolved and /health is ok (")
                .append(Duration.between(mitigated, resolved).toMillis() / 1000.0).append(" s after mitigation)\n");
        runbookCommands(p.runbook(), "Verify recovery", serveUrl);
        // The next scenario starts from a quiet system.
        waitUntil(() -> alerts().isEmpty(), Duration.ofSeconds(phaseTimeout));
        notes.append("\n");
        return new Outcome(scenario, String.join(", ", p.expected()), injected, fired, mitigated, resolved, true,
                null);
    }

    private Plan plan(String scenario, String serveUrl) {
        switch (scenario) {
            case "s3-down":
                return killed("s3-down.md", "s3", servers.s3(), "object store (S3Proxy)");
            case "cql-down":
                return killed("cql-down.md", "cql", servers.cassandra(), "CQL node (Cassandra)");
            case "cql-stall": {
                // A CQL node that stalls for seconds at a time (long GC pauses, a saturated disk): requests in flight
                // time out, so conditional writes end with unknown outcomes, while the calls between stalls succeed
                // and keep the circuit breaker closed.
                AtomicBoolean stalling = new AtomicBoolean();
                Thread[] cycler = new Thread[1];
                return new Plan("cql-down.md", "FliCasUnknownOutcomes", null, null, () -> {
                    nemesis("stall", JSON.createObjectNode().put("target", "cql").put("pattern",
                            "SIGSTOP 2.5 s, SIGCONT 1.5 s, repeated"));
                    stalling.set(true);
                    cycler[0] = new Thread(() -> {
                        while (stalling.get()) {
                            servers.cassandra().pause();
                            sleep(2_500);
                            servers.cassandra().resume();
                            sleep(1_500);
                        }
                    }, "drill-cql-stall");
                    cycler[0].start();
                }, () -> {
                    stalling.set(false);
                    cycler[0].join(30_000);
                    servers.cassandra().resume();
                    nemesis("resume", JSON.createObjectNode().put("target", "cql").put("signal", "CONT"));
                }, "the CQL node stopped stalling; the writer resolves its unknown outcomes by re-reading");
            }
            case "throttling":
                // The source keeps producing while writes are held back: the head lag grows too.
                return new Plan("throttling.md", "FliThrottled", null, null, () -> {
                    nemesis("pause", JSON.createObjectNode().put("target", "s3").put("signal", "STOP"));
                    servers.s3().pause();
                }, () -> {
                    servers.s3().resume();
                    nemesis("resume", JSON.createObjectNode().put("target", "s3").put("signal", "CONT"));
                }, "the stalled object store resumed (SIGCONT); the breaker closes through successful calls")
                        .with("FliHeadLagGrowing");
            case "corruption":
                return corruption(serveUrl);
            case "finality-violation":
                return new Plan("finality-violation.md", "FliDegraded", null, null, () -> forkArmed.set(true),
                        () -> {
                            forkArmed.set(false);
                            runCommand(List.of("admin", "clear-degraded", "--url", serveUrl, "--reason",
                                    "drill: source switched back to the canonical chain"), true);
                        }, "the source switched back to the canonical chain; `fli admin clear-degraded --url ... "
                                + "--reason ...` (the runbook's command)");
            case "lease-loss": {
                // A second writer (another process with serve-main's lease settings) keeps taking the lease, each time
                // as soon as serve-main holds it again (before it may publish): lease losses, and serve-main's next
                // conditional write conflicts each time. It competes until the mitigation stops it, so the conflict
                // rate stays up for as long as the alert's window and `for:` need on a slow machine (a fixed number
                // of takeovers could end before FliCasConflictSpike had fired).
                AtomicBoolean competing = new AtomicBoolean();
                Thread[] intruderThread = new Thread[1];
                java.util.concurrent.atomic.AtomicReference<Exception> failed =
                        new java.util.concurrent.atomic.AtomicReference<>();
                return new Plan("lease-loss.md", "FliLeaseFlapping", null, null, () -> {
                    competing.set(true);
                    intruderThread[0] = new Thread(() -> {
                        try (MinioBlobStore b = MinioBlobStore.connect(at.s3());
                             io.fli.engine.LogIndex intruder = io.fli.engine.LogIndex.open(checks, b,
                                     io.fli.engine.IndexConfig.defaults().withLeaseDuration(lease))) {
                            for (int i = 0; competing.get(); i++) {
                                // Polled closely: the takeover lands before serve-main may publish again, so every
                                // conditional write serve-main makes between its acquires conflicts.
                                while (competing.get() && !serveHoldsLease()) {
                                    sleep(100);
                                }
                                if (!competing.get()) {
                                    break;
                                }
                                nemesis("takeover", JSON.createObjectNode().put("writer", "intruder-" + i));
                                intruder.writer("intruder-" + i).takeOver();
                            }
                        } catch (Exception e) {
                            failed.set(e);
                        }
                    }, "drill-intruder");
                    intruderThread[0].setDaemon(true);
                    intruderThread[0].start();
                }, () -> {
                    competing.set(false);
                    intruderThread[0].join(60_000);
                    if (failed.get() != null) {
                        throw failed.get();
                    }
                    waitUntil(this::serveHoldsLease, Duration.ofSeconds(phaseTimeout));
                }, "the intruding writer stopped; serve-main acquired the lease again and holds it")
                        .with("FliCasConflictSpike");
            }
            case "gc-backlog":
                return new Plan("gc-backlog.md", "FliGcBacklogGrowing", null, null, this::orphans,
                        () -> { }, "none needed beyond the runbook's diagnosis: the orphans are a crashed writer's "
                        + "leftovers, which the next GC passes delete once they are older than the grace period");
            default:
                throw new IllegalArgumentException(scenario);
        }
    }

    /** A server killed (SIGKILL) and started again: the page's FliBackendErrors for its backend. */
    private Plan killed(String runbook, String backend, io.fli.backends.LocalServer server, String what) {
        return new Plan(runbook, "FliBackendErrors", "backend", backend, () -> {
            nemesis("kill", JSON.createObjectNode().put("target", backend).put("signal", "KILL"));
            server.kill();
        }, () -> {
            server.start();
            nemesis("restart", JSON.createObjectNode().put("target", backend));
        }, "restored the " + what + ": started again");
    }

    /** Damages the head of the live segment that covers block 0, and restores it as from the bucket's versions. */
    private Plan corruption(String serveUrl) {
        byte[][] original = new byte[1][];
        Path[] target = new Path[1];
        String[] damagedKey = new String[1];
        return new Plan("corruption.md", "FliDegraded", null, null, () -> {
            {
                Admin.Status st = Admin.status(checks).orElseThrow();
                String key = st.segments().get(0).key();
                damagedKey[0] = key;
                target[0] = servers.s3().dataDir().resolve(at.s3().bucket()).resolve(key);
                original[0] = Files.readAllBytes(target[0]);
                byte[] damaged = original[0].clone();
                damaged[Math.min(damaged.length - 1, 20)] ^= 0x5A;
                nemesis("corrupt", JSON.createObjectNode().put("object", key));
                Files.write(target[0], damaged);
                serve.index().dropCaches();
            }
        }, () -> {
            Files.write(target[0], original[0]);
            nemesis("repair", JSON.createObjectNode().put("object", damagedKey[0]));
            runCommand(List.of("admin", "verify"), true);
            runCommand(List.of("admin", "clear-degraded", "--url", serveUrl, "--reason",
                    "drill: segment restored from the bucket's version history"), true);
        }, "restored the damaged segment from a copy (a bucket's version history); `fli admin verify` clean; "
                + "`fli admin clear-degraded --url ... --reason ...` (the runbook's commands)");
    }

    /** 11,000 orphan objects of a crashed writer: more than the alert's threshold of 10,000. */
    private void orphans() throws Exception {
        nemesis("orphans", JSON.createObjectNode().put("objects", 11_000));
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(8);
        try (MinioBlobStore b = MinioBlobStore.connect(at.s3())) {
            List<java.util.concurrent.Future<?>> fs = new ArrayList<>();
            for (int t = 0; t < 8; t++) {
                int first = t;
                fs.add(pool.submit(() -> {
                    for (int i = first; i < 11_000; i += 8) {
                        b.putIfAbsent(String.format("packs/00000000000000ff/drill-orphan-%05d", i),
                                new byte[]{1, 2, 3});
                    }
                    return null;
                }));
            }
            for (java.util.concurrent.Future<?> f : fs) {
                f.get();
            }
        } finally {
            pool.shutdownNow();
        }
    }

    // ------------------------------------------------------------------ the serving process and its history

    /** The follower's source: the chain, except once when a fork is armed (a finality violation upstream). */
    private List<Block> source(ChainGenerator g, long next, int count) {
        if (next > 0 && forkArmed.compareAndSet(true, false)) {
            nemesis("fork", JSON.createObjectNode().put("block", next - 1));
            return List.of(g.forked(next - 1));
        }
        return g.blocks(next, count);
    }

    /** Records the follower's publishes (process 0, a fresh number after an unknown outcome). */
    private final class Recorder implements Serve.PublishObserver {
        private int process = 0;

        @Override
        public Object before(Writer w, List<Block> batch) {
            ObjectNode args = JSON.createObjectNode().put("writer", w.id()).put("epoch", w.epoch());
            args.set("blocks", HistoryJson.blocks(batch));
            history.invoke(process, "publish", args);
            return args;
        }

        @Override
        public void after(Object token, PublishResult result, RuntimeException error) {
            ObjectNode v = ((ObjectNode) token).deepCopy();
            if (error == null) {
                history.complete(process, Op.Type.OK, v.put("head", result.head()));
            } else if (error instanceof FencedException || error instanceof LeaseHeldException
                    || error instanceof InvalidBlockException || error instanceof DegradedException
                    || error instanceof BackendException) {
                history.complete(process, Op.Type.FAIL, v.put("error", String.valueOf(error.getMessage())));
            } else {
                history.complete(process, Op.Type.INFO, v.put("error", error.toString()));
                process = nextProcess.getAndIncrement();
            }
        }
    }

    /** A reader on the serving process's index: mixed queries over the whole chain, recorded as process 1. */
    private void read(AtomicBoolean stop) {
        QueryMix mix = new QueryMix(gen, 64);
        SplittableRandom r = new SplittableRandom(17);
        int process = 1;
        while (!stop.get()) {
            long head = serve.indexedHead();
            if (head < 0) {
                sleep(100);
                continue;
            }
            process = query(process, mix.next(r, 0, head), false, mix);
            sleep(50);
        }
    }

    private int query(int process, LogQuery q, boolean finalRead, QueryMix mix) {
        ObjectNode args = HistoryJson.queryArgs(q, q.blockHash() == null ? null : mix.blockOfHash(q.blockHash()),
                finalRead);
        history.invoke(process, "query", args);
        ObjectNode v = args.deepCopy();
        try {
            QueryResult res = serve.index().query(q);
            HistoryJson.answer(v, res, false);
            history.complete(process, Op.Type.OK, v);
            return process;
        } catch (DegradedException e) {
            history.complete(process, Op.Type.FAIL, v.put("error", "degraded"));
            return process;
        } catch (BackendException | io.fli.engine.InvalidQueryException e) {
            history.complete(process, Op.Type.FAIL, v.put("error", String.valueOf(e.getMessage())));
            return process;
        } catch (RuntimeException e) {
            history.complete(process, Op.Type.INFO, v.put("error", e.toString()));
            return nextProcess.getAndIncrement();
        }
    }

    /** After every fault has healed: every acknowledged block must be readable. */
    private void finalReads() {
        QueryMix mix = new QueryMix(gen, 64);
        SplittableRandom r = new SplittableRandom(99);
        long head = serve.indexedHead();
        for (int i = 0; i < 5 && head >= 0; i++) {
            LogQuery q = mix.of(QueryMix.Kind.SELECTIVE_ADDRESS, r, 0, head);
            query(nextProcess.getAndIncrement(), LogQuery.range(null, null, q.addresses(), q.topics()), true, mix);
        }
    }

    private void nemesis(String f, ObjectNode value) {
        history.nemesis(Op.Type.INFO, f, value);
    }

    /** Whether serve-main holds the lease now (the drill's own reading of meta/state). */
    private boolean serveHoldsLease() {
        try {
            return Admin.status(checks).map(s -> "serve-main".equals(s.holder())
                    && s.leaseHeld(System.currentTimeMillis())).orElse(false);
        } catch (RuntimeException e) {
            return false;
        }
    }

    // ------------------------------------------------------------------ runbook commands

    /**
     * Runs the {@code bin/fli} and {@code curl} lines of one section of a runbook's code blocks, as an operator would
     * (stores named by FLI_CQL_* / FLI_S3_*, the serving process's URL for 127.0.0.1:8545), and notes each with its
     * exit status and first lines of output. Lines for other tools ({@code mc}, {@code nodetool}) are noted, not run.
     */
    private void runbookCommands(String runbook, String section, String serveUrl) throws IOException {
        Path page = Path.of(System.getProperty("fli.home", "."), "docs", "runbooks", runbook);
        if (!Files.isRegularFile(page)) {
            throw new IOException("no runbook " + page);
        }
        List<String> lines = section(Files.readAllLines(page), section);
        for (String line : lines) {
            String cmd = line.replaceAll("\\s+#.*$", "").trim().replace("http://127.0.0.1:8545", serveUrl);
            if (cmd.isEmpty()) {
                continue;
            }
            if (cmd.startsWith("bin/fli admin ") && !cmd.contains(" takeover ") && !cmd.contains("clear-degraded")
                    && !cmd.matches(".*\\bgc\\s*$")) {
                runCommand(words(cmd.substring("bin/fli ".length())), false);
            } else if (cmd.startsWith("curl ")) {
                runShell(cmd);
            } else {
                notes.append("  - not run by the drill (another tool or an action the scenario takes itself): `")
                        .append(cmd).append("`\n");
            }
        }
    }

    /** The lines inside fenced code blocks under the {@code ## section} heading. */
    static List<String> section(List<String> page, String section) {
        List<String> out = new ArrayList<>();
        boolean in = false;
        boolean code = false;
        for (String l : page) {
            if (l.startsWith("## ")) {
                in = l.substring(3).trim().equalsIgnoreCase(section);
                code = false;
                continue;
            }
            if (in && l.startsWith("```")) {
                code = !code;
                continue;
            }
            if (in && code) {
                out.add(l);
            }
        }
        return out;
    }

    /** Shell-like words: double-quoted strings kept whole. */
    static List<String> words(String s) {
        List<String> out = new ArrayList<>();
        Matcher m = Pattern.compile("\"([^\"]*)\"|(\\S+)").matcher(s);
        while (m.find()) {
            out.add(m.group(1) != null ? m.group(1) : m.group(2));
        }
        return out;
    }

    /** {@code fli ARGS} as a child process against the drill's stores (remote: the FLI_* environment). */
    private int runCommand(List<String> args, boolean mitigation) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Dfli.home=" + System.getProperty("fli.home", "."), "-cp",
                System.getProperty("java.class.path"), Main.class.getName()));
        List<String> full = new ArrayList<>(args);
        if (full.size() >= 1 && full.get(0).equals("admin")) {
            full.addAll(1, List.of("--backend", "remote", "--audit-log", dir.resolve("audit.jsonl").toString(),
                    "--actor", "drill"));
        }
        cmd.addAll(full);
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        Map<String, String> env = pb.environment();
        env.putAll(at.cql().toEnvironment());
        env.putAll(at.s3().toEnvironment());
        // An operator's diagnosis against a store that is down should answer in seconds, not wait out four
        // attempts of the application's request timeout.
        env.put("FLI_CQL_TIMEOUT_MS", "2000");
        env.put("FLI_S3_TIMEOUT_MS", "2000");
        return runProcess(pb, "fli " + String.join(" ", args), mitigation);
    }

    private void runShell(String cmd) throws IOException {
        runProcess(new ProcessBuilder("bash", "-c", cmd).redirectErrorStream(true), cmd, false);
    }

    private int runProcess(ProcessBuilder pb, String shown, boolean mitigation) throws IOException {
        Process p = pb.start();
        byte[] output = p.getInputStream().readAllBytes();
        int rc;
        try {
            if (!p.waitFor(120, TimeUnit.SECONDS)) {
                p.destroyForcibly();
            }
            rc = p.exitValue();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            p.destroyForcibly();
            rc = -1;
        }
        String text = new String(output, StandardCharsets.UTF_8).strip();
        List<String> first = text.lines().limit(6).toList();
        notes.append("  - ").append(mitigation ? "mitigation" : "runbook").append(": `").append(shown)
                .append("` exit ").append(rc).append("\n");
        for (String l : first) {
            notes.append("    > ").append(l.length() > 200 ? l.substring(0, 200) + "..." : l).append("\n");
        }
        return rc;
    }

    // ------------------------------------------------------------------ Prometheus

    private Process startPrometheus(Path binary, Path rules) throws IOException {
        Path pdir = Files.createDirectories(dir.resolve("prometheus"));
        Files.writeString(pdir.resolve("alerts.yml"), scaleRules(Files.readString(rules), timeScale));
        int port = io.fli.backends.LocalServer.freePort();
        Files.writeString(pdir.resolve("prometheus.yml"), """
                global:
                  scrape_interval: 1s
                  evaluation_interval: 1s
                rule_files:
                  - alerts.yml
                scrape_configs:
                  - job_name: fli
                    static_configs:
                      - targets: ['127.0.0.1:%d']
                """.formatted(serve.port()));
        promUrl = "http://127.0.0.1:" + port;
        Process p = new ProcessBuilder(binary.toString(), "--config.file=" + pdir.resolve("prometheus.yml"),
                "--storage.tsdb.path=" + pdir.resolve("data"), "--web.listen-address=127.0.0.1:" + port)
                .redirectErrorStream(true).redirectOutput(pdir.resolve("prometheus.log").toFile()).start();
        waitFor("Prometheus to be ready", () -> get(promUrl + "/-/ready") != null, Duration.ofSeconds(phaseTimeout));
        return p;
    }

    /**
     * The shortest range window the scaled rules get, in seconds (never longer than the rule's own). The faults are
     * not compressed: a stalling CQL node produces an unknown outcome every few seconds, so a 5-minute window divided
     * by 60 (5 s) often holds no increase at all, the rate drops to 0 between bursts and a {@code for:} never completes
     * (a CI run saw FliCasUnknownOutcomes pending for 300 s). Twenty seconds span several fault cycles and twenty
     * scrapes, as the real window spans many of each.
     */
    static final long MIN_WINDOW_S = 20;

    /**
     * The rules with every {@code for:} duration divided by {@code scale} (at least 1 s) and every range window
     * divided by it too but kept at least {@link #MIN_WINDOW_S} (or the rule's own window, when that is shorter).
     */
    static String scaleRules(String rules, double scale) {
        Matcher m = Pattern.compile("(for:\\s*|\\[)(\\d+)([smh])(\\])?").matcher(rules);
        StringBuilder sb = new StringBuilder();
        while (m.find()) {
            long s = Long.parseLong(m.group(2)) * switch (m.group(3)) {
                case "h" -> 3600;
                case "m" -> 60;
                default -> 1;
            };
            long scaled = s == 0 ? 0 : Math.max(1, Math.round(s / scale));
            if (m.group(1).equals("[")) {
                scaled = Math.max(scaled, Math.min(s, MIN_WINDOW_S));
            }
            m.appendReplacement(sb, Matcher.quoteReplacement(m.group(1) + scaled + "s"
                    + (m.group(4) == null ? "" : m.group(4))));
        }
        m.appendTail(sb);
        return sb.toString();
    }

    private boolean scrapedUp() {
        JsonNode r = getJson(promUrl + "/api/v1/query?query=up%7Bjob%3D%22fli%22%7D");
        if (r == null) {
            return false;
        }
        for (JsonNode s : r.path("data").path("result")) {
            if (s.path("value").path(1).asText().equals("1")) {
                return true;
            }
        }
        return false;
    }

    /** Active alerts (pending or firing) as "name{labels} state". */
    /** The active alerts (pending or firing) Prometheus reports, or null when it does not answer. */
    private List<JsonNode> activeAlerts() {
        JsonNode r = getJson(promUrl + "/api/v1/alerts");
        if (r == null) {
            return null;
        }
        List<JsonNode> out = new ArrayList<>();
        r.path("data").path("alerts").forEach(out::add);
        return out;
    }

    private static String name(JsonNode alert) {
        return alert.path("labels").path("alertname").asText();
    }

    /** Active alerts as "name{labels} state", for the notes. */
    private List<String> alerts() {
        List<JsonNode> active = activeAlerts();
        if (active == null) {
            return List.of("(prometheus not answering)");
        }
        return active.stream().map(a -> name(a) + a.path("labels") + " " + a.path("state").asText()).toList();
    }

    /** The firing alerts, each as its name and as name{label=value} for each of its labels. */
    private java.util.Set<String> firingNow() {
        java.util.Set<String> out = new java.util.HashSet<>();
        List<JsonNode> active = activeAlerts();
        for (JsonNode a : active == null ? List.<JsonNode>of() : active) {
            if (a.path("state").asText().equals("firing")) {
                String name = name(a);
                out.add(name);
                a.path("labels").fields().forEachRemaining(l -> out.add(name + "{" + l.getKey() + "=" + l.getValue()
                        .asText() + "}"));
            }
        }
        return out;
    }

    /** Whether an alert of one of these names is pending or firing (or Prometheus does not answer). */
    private boolean anyActive(List<String> names) {
        List<JsonNode> active = activeAlerts();
        return active == null || active.stream().anyMatch(a -> names.contains(name(a)));
    }

    private boolean healthOk(String serveUrl) {
        String h = health(serveUrl);
        return h != null && h.contains("\"ok\"");
    }

    private String health(String serveUrl) {
        return get(serveUrl + "/health");
    }

    private JsonNode getJson(String url) {
        String body = get(url);
        try {
            return body == null ? null : JSON.readTree(body);
        } catch (IOException e) {
            return null;
        }
    }

    /** The body of a GET (any status), or null when nothing answered. */
    private String get(String url) {
        try {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10))
                    .GET().build(), HttpResponse.BodyHandlers.ofString());
            return r.statusCode() == 200 || url.endsWith("/health") ? r.body() : null;
        } catch (IOException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    // ------------------------------------------------------------------ waiting and notes

    private static Instant waitUntil(BooleanSupplier cond, Duration limit) {
        long end = System.nanoTime() + limit.toNanos();
        while (System.nanoTime() < end) {
            if (cond.getAsBoolean()) {
                return Instant.now();
            }
            sleep(500);
        }
        return null;
    }

    private void waitFor(String what, BooleanSupplier cond, Duration limit) {
        if (waitUntil(cond, limit) == null) {
            throw new IllegalStateException("drill: waited " + limit.toSeconds() + " s for " + what
                    + "; alerts: " + (promUrl == null ? "-" : alerts()));
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static Path findOnPath(String name) {
        Path p = Path.of(name);
        if (p.isAbsolute() || name.contains("/")) {
            return Files.isExecutable(p) ? p : null;
        }
        for (String d : System.getenv().getOrDefault("PATH", "").split(":")) {
            Path c = Path.of(d, name);
            if (!d.isEmpty() && Files.isExecutable(c)) {
                return c;
            }
        }
        return null;
    }

    private void writeNotes(List<Outcome> outcomes, CheckResult verdict) throws IOException {
        StringBuilder sb = new StringBuilder(notes);
        sb.append("## Summary\n\nTimes in seconds: from the fault to the alert firing, from the mitigation to recovery (0 "
                + "when the alert had already resolved while the runbook's diagnosis ran), from the fault to recovery.\n\n")
                .append("| scenario | alert | fired after | recovered after mitigation | recovered after fault | result |\n")
                .append("|---|---|---:|---:|---:|---|\n");
        ArrayNode arr = JSON.createArrayNode();
        for (Outcome o : outcomes) {
            sb.append("| ").append(o.scenario()).append(" | ").append(o.alert()).append(" | ")
                    .append(o.fired() == null ? "-" : String.format("%.1f", Duration.between(o.injected(), o.fired())
                            .toMillis() / 1000.0)).append(" | ")
                    .append(o.resolved() == null ? "-" : String.format("%.1f", Duration.between(o.mitigated(),
                            o.resolved()).toMillis() / 1000.0)).append(" | ")
                    .append(o.resolved() == null ? "-" : String.format("%.1f", Duration.between(o.injected(),
                            o.resolved()).toMillis() / 1000.0)).append(" | ")
                    .append(o.ok() ? "recovered" : "FAILED: " + o.failure()).append(" |\n");
            ObjectNode n = arr.addObject().put("scenario", o.scenario()).put("alert", o.alert()).put("ok", o.ok());
            n.put("injected", String.valueOf(o.injected())).put("fired", String.valueOf(o.fired()))
                    .put("mitigated", String.valueOf(o.mitigated())).put("resolved", String.valueOf(o.resolved()));
            if (o.failure() != null) {
                n.put("failure", o.failure());
            }
        }
        sb.append("\nHistory of the serving process's publishes and the reader's queries: **")
                .append(verdict.valid()).append("** (").append(verdict.stats().ops()).append(" operations, `fli check ")
                .append(dir.resolve("history.jsonl")).append("`).\n");
        Files.writeString(dir.resolve("drill-notes.md"), sb.toString());
        ObjectNode root = JSON.createObjectNode().put("time_scale", timeScale)
                .put("history", verdict.valid().toString()).put("ops", verdict.stats().ops());
        root.set("scenarios", arr);
        JSON.writerWithDefaultPrettyPrinter().writeValue(dir.resolve("drill.json").toFile(), root);
    }

}
