package io.fli.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code fli drill}: the time compression of the alert rules, the runbook parsing, and — where Debian's
 * {@code prometheus} is installed ({@code .ci/run} installs it) — the whole on-call dry run on local servers with a
 * real Prometheus: every scenario's alert fires, every scenario recovers, the history is valid, the notes say when.
 */
class DrillCommandTest {
    private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();

    @Test
    void rulesAreCompressedInTimeButNotInThreshold() {
        String rules = """
                expr: fli:cas_unknown:rate5m > 0.05 and rate(x[5m]) > 0 and deriv(y[1h]) > 0 and z[30s] > 10000
                for: 10m
                for: 0m
                """;
        String scaled = DrillCommand.scaleRules(rules, 30);
        // Range windows keep at least 20 s (several cycles of the uncompressed faults), never more than their own.
        assertThat(scaled).contains("rate(x[20s])", "deriv(y[120s])", "z[20s]", "for: 20s", "for: 0s",
                "> 10000", "rate5m > 0.05");
        assertThat(DrillCommand.scaleRules(rules, 1)).contains("rate(x[300s])", "for: 600s", "z[30s]");
        assertThat(DrillCommand.scaleRules("rate(x[10s])", 60)).contains("rate(x[10s])");
        assertThat(DrillCommand.scaleRules("rate(x[1h])", 60)).contains("rate(x[60s])");
    }

    @Test
    void runbookSectionsYieldTheirCommandLines() throws Exception {
        List<String> page = Files.readAllLines(ROOT.resolve("docs/runbooks/corruption.md"));
        List<String> diagnosis = DrillCommand.section(page, "Diagnosis");
        assertThat(diagnosis).anyMatch(l -> l.startsWith("bin/fli admin verify"));
        assertThat(diagnosis).noneMatch(l -> l.startsWith("```") || l.startsWith("## "));
        assertThat(DrillCommand.words("admin clear-degraded --reason \"packs restored\" --url http://x"))
                .containsExactly("admin", "clear-degraded", "--reason", "packs restored", "--url", "http://x");
        for (String scenario : DrillCommand.SCENARIOS) {
            assertThat(ROOT.resolve("docs/runbooks/" + DrillCommand.runbookOf(scenario))).as("runbook of scenario "
                    + scenario).exists();
        }
    }

    @Test
    void badArgumentsAreNamed() {
        StringWriter err = new StringWriter();
        int rc = Main.run(new PrintWriter(new StringWriter()), new PrintWriter(err),
                new String[]{"drill", "--backend", "remote"});
        assertThat(rc).isEqualTo(2);
        assertThat(err.toString()).contains("--backend must be local");
        err = new StringWriter();
        rc = Main.run(new PrintWriter(new StringWriter()), new PrintWriter(err),
                new String[]{"drill", "--scenario", "meteor-strike"});
        assertThat(rc).isEqualTo(2);
        assertThat(err.toString()).contains("unknown scenario 'meteor-strike'");
        err = new StringWriter();
        rc = Main.run(new PrintWriter(new StringWriter()), new PrintWriter(err),
                new String[]{"drill", "--prometheus", "/nonexistent/prometheus"});
        assertThat(rc).isEqualTo(2);
        assertThat(err.toString()).contains("'/nonexistent/prometheus' not found");
    }

    @Test
    void everyAlertHasAScenarioThatMustFireIt() throws Exception {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("- alert: (\\w+)")
                .matcher(Files.readString(ROOT.resolve("ops/prometheus/alerts.yml")));
        String source = Files.readString(ROOT.resolve("cli/src/main/java/io/fli/cli/DrillCommand.java"));
        int n = 0;
        while (m.find()) {
            n++;
            assertThat(source).as("a drill scenario expects " + m.group(1)).contains("\"" + m.group(1) + "\"");
        }
        assertThat(n).isEqualTo(8);
    }

    /**
     * The scenarios are drilled in two halves, each in its own test class, so that the two forks of this module's
     * tests run them side by side (each half starts its own servers, {@code fli serve} and Prometheus): the drill
     * mostly waits on alert windows, and one run of all eight was the longest test of the suite (~8 minutes).
     */
    static final List<String> BACKEND_HALF = List.of("s3-down", "cql-down", "cql-stall", "throttling");
    static final List<String> INDEX_HALF = List.of("corruption", "finality-violation", "lease-loss", "gc-backlog");

    @Test
    void theTwoHalvesDrillEveryScenarioOnce() {
        List<String> both = new java.util.ArrayList<>(BACKEND_HALF);
        both.addAll(INDEX_HALF);
        assertThat(both).containsExactlyInAnyOrderElementsOf(DrillCommand.SCENARIOS);
    }

    @Test
    void theIndexScenariosFireTheirAlertsInARealPrometheusAndRecover(@TempDir Path dir) throws Exception {
        drillInRealPrometheus(dir, INDEX_HALF, "clear-degraded", "verify", "status");
    }

    /**
     * {@code fli drill --scenario S,...} on local servers with a real Prometheus (skipped without one): exit 0, a
     * valid history, each scenario's alert fired and resolved, the notes say so, and the runbooks' admin commands
     * ({@code auditActions}) reached the audit log.
     */
    static void drillInRealPrometheus(Path dir, List<String> scenarios, String... auditActions) throws Exception {
        assumeTrue(onPath("prometheus"), "prometheus not installed (Debian package prometheus)");
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        // The drill reads the alert rules and the runbooks of the checkout (fli.home; bin/fli sets it).
        String home = System.getProperty("fli.home");
        System.setProperty("fli.home", ROOT.toString());
        int rc;
        try {
            rc = Main.run(new PrintWriter(out), new PrintWriter(err), new String[]{"drill", "--store",
                    dir.resolve("drill").toString(), "--time-scale", "60", "--scenario", String.join(",", scenarios)});
        } finally {
            if (home == null) {
                System.clearProperty("fli.home");
            } else {
                System.setProperty("fli.home", home);
            }
        }
        assertThat(dir.resolve("drill/drill-notes.md")).as("rc %d, out:%n%s%nerr:%n%s", rc, out, err).exists();
        String notes = Files.readString(dir.resolve("drill/drill-notes.md"));
        assertThat(rc).as(out + "\n" + notes).isZero();
        JsonNode json = new ObjectMapper().readTree(dir.resolve("drill/drill.json").toFile());
        assertThat(json.path("history").asText()).isEqualTo("VALID");
        assertThat(json.path("scenarios")).hasSize(scenarios.size());
        List<String> drilled = new java.util.ArrayList<>();
        for (JsonNode s : json.path("scenarios")) {
            drilled.add(s.path("scenario").asText());
            assertThat(s.path("ok").asBoolean()).as(s.toString()).isTrue();
            assertThat(s.path("fired").asText()).as(s.toString()).isNotEqualTo("null");
            assertThat(s.path("resolved").asText()).as(s.toString()).isNotEqualTo("null");
        }
        assertThat(drilled).containsExactlyElementsOf(scenarios);
        for (String scenario : scenarios) {
            assertThat(notes).contains("## " + scenario);
        }
        assertThat(notes).contains("firing in Prometheus", "recovered: the alert resolved", "runbook: `fli admin");
        // The runbooks' admin commands went to the audit log.
        String audit = Files.readString(dir.resolve("drill/audit.jsonl"));
        for (String action : auditActions) {
            assertThat(audit).contains("\"action\":\"" + action + "\"");
        }
        assertThat(dir.resolve("drill/fli.log")).exists();
    }

    private static boolean onPath(String name) {
        for (String d : System.getenv().getOrDefault("PATH", "").split(":")) {
            if (!d.isEmpty() && Files.isExecutable(Path.of(d, name))) {
                return true;
            }
        }
        return false;
    }
}
