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
                "Exit 0: the history is valid. 1: invalid or unknown."})
final class TestCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--workload", description = "ingest-query, multi-writer or restart (default: ${DEFAULT-VALUE}).")
    String workload = "ingest-query";

    @Option(names = "--nemesis", split = ",", description = "Comma-separated faults (default: ${DEFAULT-VALUE}): "
            + "none, crash, restart, corrupt, lease-loss (any backend); kill, pause (--backend local); latency, hang, "
            + "reset, refuse, bandwidth, partition-meta, partition-blob (network faults through Toxiproxy proxies; "
            + "--backend local, or remote with FLI_TOXIPROXY).")
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

    @Option(names = "--bug", description = "Run a deliberately broken engine from the bug zoo instead of the "
            + "correct one (see 'fli bug-zoo --help').")
    String bug;

    @Option(names = "--replay", paramLabel = "RUN_DIR", description = "Run again with the configuration (seed "
            + "included) that a saved run recorded in RUN_DIR/test.json; other options are ignored.")
    Path replay;

    @Option(names = "--store", description = "Where run folders go (default: ${DEFAULT-VALUE}).")
    Path store = Path.of("store");

    static Duration parse(String s) {
        String t = s.trim().toLowerCase();
        if (t.endsWith("ms")) {
            return Duration.ofMillis(Long.parseLong(t.substring(0, t.length() - 2)));
        }
        long n = Long.parseLong(t.substring(0, t.length() - 1));
        return switch (t.charAt(t.length() - 1)) {
            case 's' -> Duration.ofSeconds(n);
            case 'm' -> Duration.ofMinutes(n);
            case 'h' -> Duration.ofHours(n);
            default -> throw new IllegalArgumentException("--time: '" + s + "' is not like 30s, 5m or 24h");
        };
    }

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        TestConfig cfg = replay != null
                ? TestConfig.fromJson(new com.fasterxml.jackson.databind.ObjectMapper()
                        .readTree(replay.resolve("test.json").toFile()), store)
                : new TestConfig(workload, nemesis, backend, parse(time), seed, concurrency, 8,
                        Duration.ofMillis(backend.equals("memory") ? 700 : 3_000), store, bug);
        workload = cfg.workload();
        nemesis = cfg.nemeses();
        backend = cfg.backend();
        time = cfg.time().toMillis() + "ms";
        seed = cfg.seed();
        concurrency = cfg.concurrency();
        bug = cfg.bug();
        out.printf("fli test: workload %s, nemesis %s, backend %s, %s, seed %d, concurrency %d%s%n", workload,
                String.join(",", nemesis), backend, time, seed, concurrency, bug == null ? "" : ", BUG " + bug);
        out.flush();
        TestRun.Result r = TestRun.run(cfg, out);
        out.println();
        out.print(Reports.text(r.check()).lines().filter(l -> !l.startsWith("- ") || l.length() < 400)
                .limit(40).reduce("", (a, b) -> a + b + "\n"));
        out.println("run folder: " + r.dir());
        return Checking.exitCode(r.check());
    }
}
