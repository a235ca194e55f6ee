package io.fli.cli;

import io.fli.checker.Checking;
import io.fli.checker.Reports;
import io.fli.workloads.TestConfig;
import io.fli.workloads.TestRun;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code fli test}: a checked Jepsen-style run. */
@Command(name = "test", mixinStandardHelpOptions = true,
        description = {"Run clients and faults against the index, record a history, check it, and write the run "
                + "folder store/<workload>/<timestamp>/ (history.jsonl, results.json, test.json, timeline.html).",
                "Exit 0: the history is valid. 1: invalid or unknown. 2: bad options or the run could not start. "
                        + "130: stopped by Ctrl-C (the partial history is still checked and written)."})
final class TestCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--workload", description = "ingest-query, multi-writer or restart (default: ${DEFAULT-VALUE}).")
    String workload = "ingest-query";

    @Option(names = "--nemesis", split = ",", description = "Comma-separated faults (default: ${DEFAULT-VALUE}): "
            + "all (every fault the backend supports); none, crash, restart, corrupt, lease-loss, lost-reply, "
            + "pause-process, fork (any backend; corrupt needs memory or local); kill, pause (--backend local); "
            + "latency, hang, reset, refuse, bandwidth, partition-meta, partition-blob (network faults through "
            + "Toxiproxy proxies; --backend local, or remote with FLI_TOXIPROXY); kill-node, pause-node, "
            + "partition-nodes (a local cluster: --backend local --nodes 3; partitions need root and iptables).")
    List<String> nemesis = List.of("crash", "restart");

    @Option(names = "--backend", description = "memory (a deterministic simulation: the same seed gives the same "
            + "history, byte for byte), local (starts Cassandra and S3Proxy) or remote (FLI_CQL_* / FLI_S3_*) "
            + "(default: ${DEFAULT-VALUE}).")
    String backend = "memory";

    @Option(names = "--time", description = "How long clients run, e.g. 30s, 2m (default: ${DEFAULT-VALUE}).")
    String time = "20s";

    @Option(names = "--seed", description = "Seed (default: ${DEFAULT-VALUE}).")
    long seed = 1;

    @Option(names = "--concurrency", description = "Client threads (default: ${DEFAULT-VALUE}).")
    int concurrency = 5;

    @Option(names = "--bug", completionCandidates = BugNames.class, description = "Run a deliberately broken "
            + "engine from the bug zoo instead of the correct one: ${COMPLETION-CANDIDATES} (see 'fli bug-zoo').")
    String bug;

    @Option(names = "--replay", paramLabel = "RUN_DIR", description = "Run again with the configuration (seed "
            + "included) that a saved run recorded in RUN_DIR/test.json; other options are ignored.")
    Path replay;

    @Option(names = "--store", description = "Where run folders go (default: ${DEFAULT-VALUE}).")
    Path store = Path.of("store");

    @Option(names = "--answers", description = "How query answers are recorded: full (every returned log) or "
            + "compact (position and content fingerprint per log, a fraction of the size) (default: ${DEFAULT-VALUE}).")
    String answers = "full";

    @Option(names = "--readers-via", description = "How readers query: index (the index processes' API) or serve "
            + "(eth_getLogs over HTTP to a query-only fli serve over the same stores; local and remote backends) "
            + "(default: ${DEFAULT-VALUE}).")
    String readersVia = "index";

    @Option(names = "--secure", description = "With --backend local: the servers in the secure profile (Cassandra "
            + "with client TLS only, password authentication and roles, the index processes as fli_writer; S3Proxy "
            + "over HTTPS; a CA made for the run). See docs/security.md.")
    boolean secure;

    @Option(names = "--nodes", description = "With --backend local: Cassandra nodes to start: 1, or 3 (a cluster on "
            + "127.0.0.1-3, the keyspace at RF 3, each index process pinned to a coordinator of its own; enables the "
            + "node faults kill-node, pause-node, partition-nodes) (default: ${DEFAULT-VALUE}).")
    int nodes = 1;

    static Duration parse(CommandSpec spec, String s) {
        return Inputs.duration(spec, "--time", s);
    }

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        TestConfig cfg = replay != null
                ? TestConfig.fromJson(new com.fasterxml.jackson.databind.ObjectMapper()
                        .readTree(replay.resolve("test.json").toFile()), store)
                : new TestConfig(workload, nemesis, backend, parse(spec, time), seed, concurrency, 8,
                        Duration.ofMillis(backend.equals("memory") ? 700 : 3_000), store, bug, answers, readersVia,
                        secure, nodes);
        workload = cfg.workload();
        nemesis = cfg.nemeses();
        backend = cfg.backend();
        time = cfg.time().toMillis() + "ms";
        seed = cfg.seed();
        concurrency = cfg.concurrency();
        bug = cfg.bug();
        out.printf("fli test: workload %s, nemesis %s, backend %s%s, %s, seed %d, concurrency %d%s%n", workload,
                String.join(",", nemesis), backend, cfg.secure() ? " (secure)" : cfg.nodes() > 1
                        ? " (" + cfg.nodes() + " Cassandra nodes)" : "", time, seed, concurrency,
                bug == null ? "" : ", BUG " + bug);
        out.flush();
        // Ctrl-C: stop the clients, heal the faults, check the partial history and write the run folder as usual
        // (no final reads), then let the JVM exit (code 130).
        java.util.concurrent.CountDownLatch reported = new java.util.concurrent.CountDownLatch(1);
        Thread onInterrupt = new Thread(() -> {
            TestRun.interrupt();
            try {
                reported.await(180, java.util.concurrent.TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "fli-test-interrupt");
        Runtime.getRuntime().addShutdownHook(onInterrupt);
        RunLog log = RunLog.start(cfg.store(), String.join(" ", spec.commandLine().getParseResult()
                .originalArgs()));
        try {
            TestRun.Result r = TestRun.run(cfg, out);
            log.moveInto(r.dir());
            out.println();
            if (r.interrupted()) {
                out.println("interrupted: the run was stopped early; its partial history (no final reads) was "
                        + "checked:");
            }
            out.print(Reports.text(r.check(), 20));
            String cas = TestRun.casUnknownLine(r.dir());
            if (cas != null) {
                out.println("unknown CAS outcomes (settled by the harness's own SERIAL read): " + cas
                        + "; cas-unknown.json");
            }
            out.println("run folder: " + r.dir() + (r.interrupted() ? " (partial history.jsonl, results.json, "
                    + "timeline.html; " + cfg.store().resolve("latest") + " points at it)" : ""));
            out.flush();
            return Checking.exitCode(r.check());
        } finally {
            log.close();
            reported.countDown();
            try {
                Runtime.getRuntime().removeShutdownHook(onInterrupt);
            } catch (IllegalStateException shuttingDown) {
                // Ctrl-C: the hook is running and has waited for this report
            }
        }
    }
}
