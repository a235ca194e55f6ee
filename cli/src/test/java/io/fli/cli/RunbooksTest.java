package io.fli.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * The runbooks hold together: every alert names a runbook that exists; every runbook has the five parts (symptoms,
 * alert, diagnosis, mitigation, verify recovery); every fli command in them parses as this fli's command line; every
 * fli metric they mention is one fli exports (docs/design.md, "Metrics"); every alert they name exists.
 */
class RunbooksTest {
    private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
    private static final Path RUNBOOKS = ROOT.resolve("docs/runbooks");
    private static final List<String> PARTS = List.of("## Symptoms", "## Alert", "## Diagnosis", "## Mitigation",
            "## Verify recovery");

    private static List<Path> pages() throws Exception {
        try (Stream<Path> s = Files.list(RUNBOOKS)) {
            return s.filter(p -> p.toString().endsWith(".md") && !p.getFileName().toString().equals("README.md"))
                    .sorted().toList();
        }
    }

    @Test
    void everyAlertNamesARunbookThatExists() throws Exception {
        String alerts = Files.readString(ROOT.resolve("ops/prometheus/alerts.yml"));
        Matcher m = Pattern.compile("runbook: (\\S+)").matcher(alerts);
        int n = 0;
        while (m.find()) {
            assertThat(ROOT.resolve(m.group(1))).as(m.group(0)).exists();
            n++;
        }
        assertThat(n).isEqualTo(countOf(alerts, "- alert: "));
    }

    @Test
    void everyRunbookHasItsFiveParts() throws Exception {
        List<Path> pages = pages();
        assertThat(pages).extracting(p -> p.getFileName().toString()).contains("lease-loss.md",
                "finality-violation.md", "corruption.md", "cql-down.md", "s3-down.md", "throttling.md",
                "gc-backlog.md");
        for (Path p : pages) {
            String text = Files.readString(p);
            int at = -1;
            for (String part : PARTS) {
                int i = text.indexOf("\n" + part + "\n");
                assertThat(i).as(p.getFileName() + " has " + part + " after the previous part").isGreaterThan(at);
                at = i;
            }
        }
    }

    @Test
    void everyFliCommandInThemParses() throws Exception {
        List<String> commands = new ArrayList<>();
        for (Path p : pages()) {
            for (String line : Files.readAllLines(p)) {
                String l = line.strip();
                if (l.startsWith("bin/fli ")) {
                    String cmd = l.substring("bin/fli ".length()).replaceAll("\\s+#.*$", "").strip();
                    commands.add(p.getFileName() + ": " + cmd);
                    CommandLine cl = new CommandLine(new Main());
                    cl.parseArgs(words(cmd)); // throws on an unknown command or option
                }
            }
        }
        assertThat(commands).as("fli commands in the runbooks").hasSizeGreaterThan(10);
    }

    @Test
    void everyMetricAndAlertTheyMentionExists() throws Exception {
        String design = Files.readString(ROOT.resolve("docs/design.md"));
        String alerts = Files.readString(ROOT.resolve("ops/prometheus/alerts.yml"));
        Set<String> metrics = new TreeSet<>();
        Set<String> alertNames = new TreeSet<>();
        for (Path p : pages()) {
            String text = Files.readString(p);
            Matcher m = Pattern.compile("\\bfli_[a-z_]*[a-z](?![a-z_(])").matcher(text);
            while (m.find()) {
                metrics.add(m.group());
            }
            // grep patterns: fli_(a|b) and fli_backend_(x|y) name several metrics
            Matcher alt = Pattern.compile("\\b(fli_[a-z_]*)\\(([a-z_|]+)\\)").matcher(text);
            while (alt.find()) {
                for (String a : alt.group(2).split("\\|")) {
                    metrics.add(alt.group(1) + a);
                }
            }
            Matcher a = Pattern.compile("`(Fli[A-Za-z]+)").matcher(text);
            while (a.find()) {
                alertNames.add(a.group(1));
            }
        }
        assertThat(metrics).isNotEmpty();
        for (String metric : metrics) {
            String base = metric.replaceAll("_(bucket|count|sum)$", "");
            assertThat(design).as("%s is a metric fli exports (docs/design.md)", metric).contains("`" + base + "`");
        }
        assertThat(alertNames).hasSizeGreaterThanOrEqualTo(8);
        for (String a : alertNames) {
            assertThat(alerts).as("alert %s exists", a).contains("- alert: " + a + "\n");
        }
    }

    /** Shell words: split on blanks, double-quoted parts kept whole. */
    static String[] words(String cmd) {
        List<String> out = new ArrayList<>();
        Matcher m = Pattern.compile("\"([^\"]*)\"|(\\S+)").matcher(cmd);
        while (m.find()) {
            out.add(m.group(1) != null ? m.group(1) : m.group(2));
        }
        return out.toArray(new String[0]);
    }

    private static int countOf(String s, String what) {
        int n = 0;
        for (int i = s.indexOf(what); i >= 0; i = s.indexOf(what, i + 1)) {
            n++;
        }
        return n;
    }
}
