package io.fli.cli;

import io.fli.checker.Anomaly;
import io.fli.checker.Validity;
import io.fli.workloads.Bugs;
import io.fli.workloads.TestConfig;
import io.fli.workloads.TestRun;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code fli bug-zoo}: how often {@code fli test} catches each deliberately broken engine, and the control. */
@Command(name = "bug-zoo", mixinStandardHelpOptions = true,
        description = "For each bug-zoo variant, run fli test with its workload and nemesis over several seeds and "
                + "report how often the checker flags the invariant the bug breaks; run the correct engine with the "
                + "same settings and seeds as the control (it must stay valid).")
final class BugZooCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--seeds", description = "Seeds per variant (default: ${DEFAULT-VALUE}).")
    int seeds = 5;

    @Option(names = "--time", description = "Length of each run (default: ${DEFAULT-VALUE}).")
    String time = "20s";

    @Option(names = "--bug", split = ",", completionCandidates = BugNames.class,
            description = "Only these variants (comma-separated): ${COMPLETION-CANDIDATES}.")
    List<String> only;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        Inputs.atLeast(spec, "--seeds", seeds, 1);
        for (String name : only == null ? List.<String>of() : only) {
            if (Bugs.ZOO.stream().noneMatch(b -> b.name().equals(name))) {
                throw Inputs.bad(spec, "--bug '" + name + "' is not in the zoo (" + String.join(", ", new BugNames())
                        + ")");
            }
        }
        // The control (the correct engine, every memory fault) depends only on the workload and the seed.
        java.util.Map<String, Boolean> controls = new java.util.HashMap<>();
        Path store = Files.createTempDirectory("fli-bug-zoo");
        out.println("| bug | breaks | workload / nemesis | flagged (right invariant) | flagged at all | correct engine "
                + "valid (every nemesis) |");
        out.println("|---|---|---|---:|---:|---:|");
        boolean ok = true;
        for (Bugs.Bug b : Bugs.ZOO) {
            if (only != null && !only.contains(b.name())) {
                continue;
            }
            int flagged = 0;
            int invalid = 0;
            int valid = 0;
            for (long seed = 1; seed <= seeds; seed++) {
                TestRun.Result bad = TestRun.run(config(b, seed, b.name(), store), new PrintWriter(new StringWriter()));
                if (bad.check().valid() != Validity.VALID) {
                    invalid++;
                }
                if (bad.check().anomalies().stream().map(Anomaly::invariant).anyMatch(i -> i == b.breaks())) {
                    flagged++;
                    Dirs.delete(bad.dir()); // kept only when the bug went unnoticed, for inspection
                }
                long s = seed;
                boolean controlValid = controls.computeIfAbsent(b.workload() + " " + seed, k -> {
                    try {
                        TestRun.Result good = TestRun.run(control(b, s, store), new PrintWriter(new StringWriter()));
                        if (good.check().valid() == Validity.VALID) {
                            Dirs.delete(good.dir()); // kept only when the correct engine was judged invalid
                            return true;
                        }
                        return false;
                    } catch (java.io.IOException e) {
                        throw new java.io.UncheckedIOException(e);
                    }
                });
                if (controlValid) {
                    valid++;
                }
            }
            ok &= valid == seeds;
            if (flagged < seeds || valid < seeds) {
                out.println("  (run folders of the misses are kept under " + store + ")");
            }
            out.printf("| %s | %s | %s / %s | %d/%d (%.0f%%) | %d/%d | %d/%d |%n", b.name(), b.breaks().wire(),
                    b.workload(), String.join(",", b.nemesis()), flagged, seeds, 100.0 * flagged / seeds, invalid,
                    seeds, valid, seeds);
            out.flush();
        }
        return ok ? 0 : 1;
    }

    /** The correct engine, same workload and seed, with every fault a memory run offers. */
    private TestConfig control(Bugs.Bug b, long seed, Path store) {
        return new TestConfig(b.workload(), TestConfig.allFaults("memory"), "memory",
                TestCommand.parse(spec, time), seed, 5, 8, Duration.ofMillis(700), store, null);
    }

    private TestConfig config(Bugs.Bug b, long seed, String bug, Path store) {
        return new TestConfig(b.workload(), b.nemesis(), "memory", TestCommand.parse(spec, time), seed, 5, 8,
                Duration.ofMillis(700), store, bug);
    }
}
