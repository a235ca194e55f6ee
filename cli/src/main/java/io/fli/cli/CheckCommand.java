package io.fli.cli;

import io.fli.checker.CheckResult;
import io.fli.checker.Checker;
import io.fli.checker.Checking;
import io.fli.checker.History;
import io.fli.checker.HistoryFormatException;
import io.fli.checker.IncrementalChecker;
import io.fli.checker.Reports;
import io.fli.checker.Timeline;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code fli check}: judge a saved history against the six invariants. */
@Command(name = "check", mixinStandardHelpOptions = true,
        description = {"Check a history (format v1, .jsonl or .jsonl.gz) against the six invariants.",
                "Exit 0: valid. 1: invalid (or unknown). 2: the file does not follow the format."})
final class CheckCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(paramLabel = "FILE", description = "The history file.")
    Path file;

    @Option(names = "--json", description = "Print the result object (JSON) instead of the summary.")
    boolean json;

    @Option(names = "--html", paramLabel = "OUT.html", description = "Also write a timeline of the history.")
    Path html;

    @Option(names = "--window", paramLabel = "FROM-TO", description = "With --html: draw operations FROM..TO "
            + "(indexes) instead of the anomalies' neighbourhoods, to browse any stretch of a long run.")
    String window;

    @Option(names = "--streaming", description = {"Check while reading, keeping only the published chain and the "
            + "operations in flight (for histories too large to hold: a day's soak). Same verdict and anomalies as "
            + "the default batch check; anomalies are printed to stderr as they are found."})
    boolean streaming;

    @Override
    public Integer call() throws IOException {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        if (streaming) {
            if (html != null) {
                err.println("fli check: --html needs the whole history in memory; leave out --streaming to draw it");
                return 2;
            }
            return streaming(out, err);
        }
        History h = read(err, () -> History.read(file));
        if (h == null) {
            return 2;
        }
        if (h.truncated()) {
            truncated(err, h.ops().size());
        }
        CheckResult r = Checker.check(h);
        out.print(json ? Reports.jsonText(r) + "\n" : Reports.text(r));
        if (html != null) {
            int[] w = {-1, -1};
            if (window != null) {
                java.util.regex.Matcher m = java.util.regex.Pattern.compile("(\\d+)-(\\d+)").matcher(window);
                if (!m.matches() || Long.parseLong(m.group(1)) > Long.parseLong(m.group(2))
                        || Long.parseLong(m.group(2)) > Integer.MAX_VALUE) {
                    err.println("fli check: --window must be FROM-TO, two operation indexes with FROM <= TO, got '"
                            + window + "'");
                    return 2;
                }
                w = new int[]{Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2))};
            }
            Files.writeString(html, Timeline.html(h, r, w[0], w[1]));
            if (!json) {
                out.println("timeline: " + html);
            }
        }
        out.flush();
        return Checking.exitCode(r);
    }

    /** Reading the history, or null after saying on {@code err} why it could not be read. */
    private interface Reading<T> {
        T read() throws IOException;
    }

    private <T> T read(PrintWriter err, Reading<T> reading) {
        try {
            return reading.read();
        } catch (HistoryFormatException e) {
            err.println("fli check: " + file + ": " + e.getMessage());
        } catch (NoSuchFileException e) {
            err.println("fli check: " + file + ": no such file");
        } catch (IOException e) {
            err.println("fli check: " + file + ": cannot read: " + e.getMessage());
        }
        return null;
    }

    private void truncated(PrintWriter err, long ops) {
        err.println("fli check: " + file + ": the gzip stream ends early (a history still being written, or cut "
                + "off by a kill): its " + ops + " complete operations were checked");
    }

    private int streaming(PrintWriter out, PrintWriter err) {
        IncrementalChecker.Outcome o = read(err, () -> IncrementalChecker.check(file, a -> {
            err.println("fli check: found: " + a.invariant().wire() + ": " + a.explanation());
            err.flush();
        }));
        if (o == null) {
            return 2;
        }
        if (o.truncated()) {
            truncated(err, o.progress().opsRead());
        }
        if (o.inexact() != null) {
            err.println("fli check: the streaming check could not decide alone (" + o.inexact() + "): the verdict "
                    + "is the batch checker's, and the anomalies printed as found were provisional");
        }
        CheckResult r = o.result();
        out.print(json ? Reports.jsonText(r) + "\n" : Reports.text(r));
        if (!json) {
            out.println("streaming: " + o.progress().opsRead() + " operations, " + o.progress().judged()
                    + " queries judged, at most " + o.progress().maxWaiting() + " waiting for a publish, "
                    + o.progress().blocks() + " blocks kept (" + o.progress().coldBlocks() + " of them on disk)");
        }
        out.flush();
        return Checking.exitCode(r);
    }
}
