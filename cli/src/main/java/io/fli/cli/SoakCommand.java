package io.fli.cli;

import io.fli.soak.Soak;
import io.fli.soak.SoakConfig;
import io.fli.soak.SoakProfile;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code fli soak}: hours of sustained load with metrics, HDR interval logs, trends and a stability verdict. */
@Command(name = "soak", mixinStandardHelpOptions = true,
        description = "Run a soak: sustained ingest at a profile's rate with periodic bursts, readers running every "
                + "query class, GC and merges on schedule, optional faults; Prometheus metrics on 127.0.0.1; "
                + "HdrHistogram interval logs per class; a time series of heap, RSS, threads, storage and GC "
                + "backlog; a compact history checked at the end. Writes store/soak/<time>/soak.json with the "
                + "verdict. Exit 0 when the history is valid and every stability check passed, 1 otherwise. "
                + "SIGINT/SIGTERM stop it early with everything written.")
final class SoakCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--backend", description = "memory, local (starts Cassandra and S3Proxy) or remote "
            + "(FLI_CQL_* / FLI_S3_*) (default: ${DEFAULT-VALUE}).")
    String backend = "local";

    @Option(names = "--profile", description = "A built-in profile (ci, production-shape) or a profile file "
            + "(default: ${DEFAULT-VALUE}).")
    String profile = "ci";

    @Option(names = "--duration", description = "How long, e.g. 90s, 1h, 24h (default: the profile's).")
    String duration;

    @Option(names = "--nemesis", split = ",", description = "Faults injected every nemesis_every of the profile: "
            + "restart, kill, pause (kill and pause need --backend local) (default: none).")
    List<String> nemesis = new ArrayList<>();

    @Option(names = "--seed", description = "Seed (default: ${DEFAULT-VALUE}).")
    long seed = 1;

    @Option(names = "--metrics-port", description = "Port of the Prometheus endpoint on 127.0.0.1; 0 picks a free "
            + "one (default: ${DEFAULT-VALUE}).")
    int metricsPort = 0;

    @Option(names = "--store", description = "Where run folders go (default: ${DEFAULT-VALUE}).")
    Path store = Path.of("store");

    @Option(names = "--slo", description = "The SLO file for the p99 and error-budget checks (default: slo.json of "
            + "the fli checkout).")
    Path slo;

    @Option(names = "--bug", description = "Run a deliberately unstable engine instead of the correct one: "
            + "leak-published-batches (it retains every published batch).")
    String bug;

    @Option(names = "--readers-via", description = "How readers query: index (the index's API) or serve "
            + "(eth_getLogs over HTTP to fli serve's JSON-RPC server over the soak's index) (default: ${DEFAULT-VALUE}).")
    String readersVia = "index";

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        SoakProfile p;
        try {
            p = SoakProfile.load(profile);
        } catch (IllegalArgumentException e) {
            throw Inputs.bad(spec, e.getMessage());
        }
        if (duration != null) {
            p = p.withDuration(Inputs.duration(spec, "--duration", duration));
        }
        Path sloPath = slo != null ? slo : Path.of(System.getProperty("fli.home", "."), "slo.json");
        SoakConfig cfg;
        try {
            cfg = new SoakConfig(backend, p, nemesis.stream().filter(n -> !n.equals("none")).toList(), seed,
                    metricsPort, store, bug, sloPath, readersVia);
        } catch (IllegalArgumentException e) {
            throw Inputs.bad(spec, e.getMessage());
        }
        if (!Files.isRegularFile(sloPath)) {
            throw Inputs.bad(spec, "--slo: no SLO file at " + sloPath.toAbsolutePath());
        }
        // SIGINT/SIGTERM: stop the load, write the history, the interval logs and the verdict, then exit.
        CountDownLatch reported = new CountDownLatch(1);
        Thread onSignal = new Thread(() -> {
            Soak.interrupt();
            try {
                reported.await(300, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "fli-soak-interrupt");
        Runtime.getRuntime().addShutdownHook(onSignal);
        RunLog log = RunLog.start(cfg.store(), String.join(" ", spec.commandLine().getParseResult()
                .originalArgs()));
        try {
            Soak.Result r = Soak.run(cfg, out);
            log.moveInto(r.dir());
            out.flush();
            return r.exitCode();
        } finally {
            log.close();
            reported.countDown();
            try {
                Runtime.getRuntime().removeShutdownHook(onSignal);
            } catch (IllegalStateException shuttingDown) {
                // a signal: the hook is running and waited for this report
            }
        }
    }
}
