package io.fli.cli;

import io.fli.soak.SoakPlots;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code fli plot RUN_DIR}: draws (again) the plots of a saved soak or test run from its run folder alone. */
@Command(name = "plot", mixinStandardHelpOptions = true,
        description = "Draw the plots of a run folder as PNG files in it: for a soak, p99 per class over time, "
                + "throughput, heap after GC with its trend line, RSS, storage by object kind, GC backlog and head "
                + "lag; for a test run, latency of every operation, latency quantiles and throughput, with the "
                + "faults shaded.")
final class PlotCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(paramLabel = "RUN_DIR", description = "A soak or test run folder (store/soak/<time>, "
            + "store/<workload>/<time>).")
    Path dir;

    @Override
    public Integer call() throws Exception {
        java.util.List<Path> written;
        if (Files.isRegularFile(dir.resolve("timeseries.jsonl")) && Files.isRegularFile(dir.resolve(
                "soak-config.json"))) {
            written = SoakPlots.write(dir);
        } else if (Files.isRegularFile(dir.resolve("history.jsonl"))) {
            written = io.fli.checker.Plots.write(io.fli.checker.History.read(dir.resolve("history.jsonl")), dir);
        } else {
            throw Inputs.bad(spec, "RUN_DIR: " + dir + " is neither a soak run folder (timeseries.jsonl, "
                    + "soak-config.json) nor a test run folder (history.jsonl)");
        }
        for (Path p : written) {
            spec.commandLine().getOut().println(p);
        }
        spec.commandLine().getOut().flush();
        return 0;
    }
}
