package io.fli.cli;

import io.fli.soak.SoakPlots;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code fli plot RUN_DIR}: draws (again) the plots of a saved soak from its run folder alone. */
@Command(name = "plot", mixinStandardHelpOptions = true,
        description = "Draw the plots of a soak run folder (p99 per class over time, throughput, heap after GC with "
                + "its trend line, RSS, storage by object kind, GC backlog and head lag) as PNG files in it.")
final class PlotCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(paramLabel = "RUN_DIR", description = "A soak run folder (store/soak/<time>).")
    Path dir;

    @Override
    public Integer call() throws Exception {
        if (!Files.isRegularFile(dir.resolve("timeseries.jsonl")) || !Files.isRegularFile(dir.resolve(
                "soak-config.json"))) {
            throw Inputs.bad(spec, "RUN_DIR: " + dir + " is not a soak run folder (no timeseries.jsonl and "
                    + "soak-config.json)");
        }
        for (Path p : SoakPlots.write(dir)) {
            spec.commandLine().getOut().println(p);
        }
        spec.commandLine().getOut().flush();
        return 0;
    }
}
