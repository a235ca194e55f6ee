package io.fli.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code fli} command line. */
@Command(name = "fli", mixinStandardHelpOptions = true, version = "fli 0.1.0",
        description = "A finalized log index and the Jepsen-style harness that proves it safe.",
        subcommands = {CheckCommand.class, DemoCommand.class, BenchCommand.class, BenchCheckerCommand.class,
                BackendsCommand.class, BenchBackendsCommand.class, TestCommand.class, BugZooCommand.class, SloCommand.class,
                SoakCommand.class, PlotCommand.class, ServeCommand.class, AdminCommand.class, DrillCommand.class, ReportCommand.class,
                CommandLine.HelpCommand.class})
public final class Main implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs the command line and returns its exit code. */
    public static int run(String... args) {
        return run(new java.io.PrintWriter(System.out, true), new java.io.PrintWriter(System.err, true), args);
    }

    /** Runs the command line with the given streams (for tests) and returns its exit code. */
    public static int run(java.io.PrintWriter out, java.io.PrintWriter err, String... args) {
        CommandLine cl = new CommandLine(new Main());
        cl.setOut(out);
        cl.setErr(err);
        cl.setExecutionExceptionHandler((ex, line, parsed) -> {
            line.getErr().println("fli: " + ex.getMessage());
            return 2;
        });
        // One line naming the option and what is wrong, and where to read more (not the whole usage text).
        cl.setParameterExceptionHandler((ex, a) -> {
            String cmd = ex.getCommandLine().getCommandSpec().qualifiedName();
            ex.getCommandLine().getErr().println(cmd + ": " + ex.getMessage() + " (see '" + cmd + " --help')");
            return 2;
        });
        return cl.execute(args);
    }
}
