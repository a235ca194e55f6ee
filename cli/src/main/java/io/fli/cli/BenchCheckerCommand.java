package io.fli.cli;

import io.fli.workloads.SyntheticHistory;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fli.checker.CheckResult;
import io.fli.checker.Checker;
import io.fli.checker.History;
import io.fli.checker.IncrementalChecker;
import java.io.BufferedReader;
import java.io.PrintWriter;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** Checker throughput against plain Jackson parsing of the same file, at several history sizes. */
@Command(name = "bench-checker", mixinStandardHelpOptions = true,
        description = "Generate valid synthetic histories of the given sizes, then time parsing each with Jackson "
                + "(readTree per line) and checking it with fli check, in the same run; prints the ratio and the "
                + "peak heap. Run with FLI_JAVA_OPTS=-Xmx1g to hold the checker to 1 GB.")
final class BenchCheckerCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--ops", split = ",", description = "History sizes in operations (default: ${DEFAULT-VALUE}).")
    List<Long> sizes = List.of(100_000L, 1_000_000L, 4_000_000L);

    @Option(names = "--seed", description = "Seed (default: ${DEFAULT-VALUE}).")
    long seed = 1;

    @Option(names = "--dir", description = "Where to write the histories (default: a temporary folder).")
    Path dir;

    @Option(names = "--mode", description = "batch (fli check), streaming (fli check --streaming) or both, in the same "
            + "run: time and peak heap of each (default: ${DEFAULT-VALUE}). Run streaming alone under a small heap "
            + "(FLI_JAVA_OPTS=-Xmx256m) to show its memory does not grow with the history.")
    String mode = "batch";

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        if (!List.of("batch", "streaming", "both").contains(mode)) {
            spec.commandLine().getErr().println("fli bench-checker: --mode must be batch, streaming or both, not '"
                    + mode + "'");
            return 2;
        }
        boolean batch = !mode.equals("streaming");
        boolean streaming = !mode.equals("batch");
        Path d = dir != null ? Files.createDirectories(dir) : Files.createTempDirectory("fli-bench-checker");
        out.printf("%d cores, max heap %,d MB%n", Runtime.getRuntime().availableProcessors(),
                Runtime.getRuntime().maxMemory() >> 20);
        out.println("| ops | file MB | jackson parse s | fli check s (parse + check) | check throughput / parse throughput | ops/s checked | peak heap MB | verdict |");
        out.println("|---:|---:|---:|---:|---:|---:|---:|---|");
        // Warm-up (three rounds on a 250k-operation history) so neither side pays the JIT in a measured row.
        Path warm = d.resolve("warmup.jsonl");
        SyntheticHistory.write(warm, 250_000, seed + 1);
        for (int i = 0; i < 3; i++) {
            jackson(warm);
            if (batch) {
                Checker.check(History.read(warm));
            }
            if (streaming) {
                IncrementalChecker.check(warm, a -> { });
            }
        }
        Files.delete(warm);
        for (long n : sizes) {
            Path f = d.resolve("history-" + n + ".jsonl");
            SyntheticHistory.write(f, n, seed);
            System.gc();
            long t0 = System.nanoTime();
            long lines = jackson(f);
            double parseS = (System.nanoTime() - t0) / 1e9;
            if (batch) {
                System.gc();
                resetPeaks();
                long t1 = System.nanoTime();
                History h = History.read(f);
                CheckResult r = Checker.check(h);
                double checkS = (System.nanoTime() - t1) / 1e9;
                long peak = peakHeap();
                out.printf("| %,d | %,d | %.2f | %.2f | %.0f%% | %,.0f | %,d | %s |%n", h.ops().size(),
                        Files.size(f) >> 20, parseS, checkS, 100 * parseS / checkS, lines / checkS, peak >> 20,
                        r.valid());
                out.flush();
            }
            if (streaming) {
                System.gc();
                resetPeaks();
                long t2 = System.nanoTime();
                IncrementalChecker.Outcome o = IncrementalChecker.check(f, a -> { });
                double streamS = (System.nanoTime() - t2) / 1e9;
                out.printf("| %,d streaming | %,d | %.2f | %.2f | %.0f%% | %,.0f | %,d | %s%s |%n",
                        o.progress().opsRead(), Files.size(f) >> 20, parseS, streamS, 100 * parseS / streamS,
                        lines / streamS, peakHeap() >> 20, o.result().valid(),
                        o.inexact() == null ? "" : " (batch: " + o.inexact() + ")");
                out.flush();
            }
            Files.delete(f);
        }
        return 0;
    }

    private static long jackson(Path f) throws Exception {
        ObjectMapper m = new ObjectMapper();
        long n = 0;
        try (BufferedReader r = Files.newBufferedReader(f)) {
            String line;
            while ((line = r.readLine()) != null) {
                if (m.readTree(line) != null) {
                    n++;
                }
            }
        }
        return n;
    }

    private static void resetPeaks() {
        for (MemoryPoolMXBean p : ManagementFactory.getMemoryPoolMXBeans()) {
            p.resetPeakUsage();
        }
    }

    private static long peakHeap() {
        long sum = 0;
        for (MemoryPoolMXBean p : ManagementFactory.getMemoryPoolMXBeans()) {
            if (p.getType() == MemoryType.HEAP) {
                sum += p.getPeakUsage().getUsed();
            }
        }
        return sum;
    }
}
