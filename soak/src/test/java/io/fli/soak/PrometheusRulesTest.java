package io.fli.soak;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The alert and recording rules in {@code ops/prometheus}: valid for Prometheus ({@code promtool check rules}) and
 * each alert firing on its fault and silent otherwise ({@code promtool test rules}). Skips where Debian's
 * {@code prometheus} package (which ships promtool) is not installed; {@code .ci/run} installs it.
 */
class PrometheusRulesTest {
    static final Path DIR = Path.of(System.getProperty("fli.home", ".."), "ops", "prometheus");

    static boolean hasPromtool() {
        try {
            return new ProcessBuilder("promtool", "--version").redirectErrorStream(true).start()
                    .waitFor(60, TimeUnit.SECONDS);
        } catch (IOException | InterruptedException e) {
            return false;
        }
    }

    static String promtool(String... args) throws Exception {
        String[] cmd = new String[args.length + 1];
        cmd[0] = "promtool";
        System.arraycopy(args, 0, cmd, 1, args.length);
        Process p = new ProcessBuilder(cmd).directory(DIR.toFile()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(out).isZero();
        return out;
    }

    @Test
    void theRulesAreValidAndEveryAlertFiresOnItsFaultOnly() throws Exception {
        assumeTrue(hasPromtool(), "promtool not installed (Debian package prometheus)");
        assertThat(promtool("check", "rules", "alerts.yml")).contains("SUCCESS");
        assertThat(promtool("test", "rules", "alerts_test.yml")).contains("SUCCESS");
    }

    @Test
    void everyAlertIsUnitTestedAndNamesARunbook() throws Exception {
        String rules = Files.readString(DIR.resolve("alerts.yml"));
        String tests = Files.readString(DIR.resolve("alerts_test.yml"));
        Matcher m = Pattern.compile("- alert: (\\w+)").matcher(rules);
        int n = 0;
        while (m.find()) {
            n++;
            assertThat(tests).as("a promtool test for " + m.group(1)).contains("alertname: " + m.group(1));
        }
        assertThat(n).isGreaterThanOrEqualTo(8);
        assertThat(rules.split("- alert: ").length - 1).isEqualTo(rules.split("runbook: docs/runbooks/").length - 1);
    }

    static final Path DASHBOARD = DIR.resolveSibling("grafana").resolve("fli.json");

    /**
     * The fli metric names an alert, a recording rule or a dashboard panel reads (series names, not recording-rule
     * outputs, which contain a colon).
     */
    static Set<String> metricNames() throws IOException {
        Set<String> names = new TreeSet<>();
        for (Path f : new Path[]{DIR.resolve("alerts.yml"), DASHBOARD}) {
            Matcher m = Pattern.compile("\\b(fli_[a-z_]+)").matcher(Files.readString(f));
            while (m.find()) {
                names.add(m.group(1));
            }
        }
        return names;
    }

    @Test
    void theDashboardIsValidJsonAndReadsOnlyDefinedRecordingRules() throws Exception {
        com.fasterxml.jackson.databind.JsonNode d = new com.fasterxml.jackson.databind.ObjectMapper()
                .readTree(DASHBOARD.toFile());
        assertThat(d.get("panels").size()).isGreaterThanOrEqualTo(12);
        String rules = Files.readString(DIR.resolve("alerts.yml"));
        Matcher m = Pattern.compile("(fli:[a-z_0-9:]+)").matcher(Files.readString(DASHBOARD));
        int n = 0;
        while (m.find()) {
            n++;
            assertThat(rules).as("recording rule " + m.group(1)).contains("record: " + m.group(1));
        }
        assertThat(n).isPositive();
        for (String title : java.util.List.of("Query p99 by class", "CAS outcomes", "Backend errors by class",
                "GC backlog", "Head lag (blocks)", "Degraded (failed closed)", "Ingest rate")) {
            assertThat(Files.readString(DASHBOARD)).contains("\"title\": \"" + title + "\"");
        }
    }
}
