package io.fli.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The short profile of {@code fli slo} (the 50M-log run is a command, see docs/slo.md): every figure is measured and
 * compared, and the verdict follows the targets — never a wall-clock deadline: the passing run uses targets no
 * machine misses, the failing run targets no machine meets.
 */
class SloCommandTest {
    @TempDir
    Path dir;

    private Path targets(double latencyMs, double logsPerS, double coldStartMs) throws Exception {
        JsonNode real = new ObjectMapper().readTree(Path.of("..", "slo.json").toFile());
        String q = "{\"p50_ms\": " + latencyMs + ", \"p95_ms\": " + latencyMs + ", \"p99_ms\": " + latencyMs + "}";
        StringBuilder queries = new StringBuilder();
        for (String c : SloCommand.CLASSES.keySet()) {
            queries.append(queries.length() == 0 ? "" : ",").append('"').append(c).append("\": ").append(q);
            assertThat(real.path("queries").has(c)).as("slo.json has class %s", c).isTrue();
        }
        Path f = dir.resolve("slo-" + latencyMs + ".json");
        Files.writeString(f, "{\"version\": 1, \"margin\": 0.2, \"queries\": {" + queries + "}, \"ingest\": "
                + "{\"logs_per_s\": " + logsPerS + ", \"blocks_per_s\": " + logsPerS / 100 + "}, \"cold_start_ms\": "
                + "{\"target\": " + coldStartMs + "}, \"warm_up_s\": {\"target\": " + (latencyMs > 1 ? 600 : 1e-9)
                + "}, \"error_budget\": {\"query_error_ratio\": 0.5}}");
        return f;
    }

    @Test
    void theShortProfileMeasuresEveryFigureAndPassesGenerousTargets() throws Exception {
        Path out = dir.resolve("run");
        CliTest.Run r = CliTest.fli("slo", "--backend", "memory", "--logs", "30000", "--queries", "20",
                "--cold-queries", "2", "--ingest-rate", "5000", "--slo", targets(60_000, 1, 600_000).toString(),
                "--out", out.toString());
        assertThat(r.code()).as(r.out() + r.err()).isZero();
        for (String c : SloCommand.CLASSES.keySet()) {
            assertThat(r.out()).contains("| lease-holder | " + c + " |").contains("| other-process | " + c + " |");
            assertThat(out.resolve("other-process-" + c + "-cold.hgrm")).exists();
        }
        for (String plot : List.of("lease-holder-warm", "lease-holder-cold", "other-process-warm",
                "other-process-cold")) {
            assertThat(out.resolve("slo-" + plot + ".png")).as(plot).exists().isNotEmptyFile();
        }
        assertThat(r.out()).contains("cold start").contains("warm-up after restart").contains("storage packs/")
                .contains("PASS: 47 figures, 47 within target");
        JsonNode res = new ObjectMapper().readTree(out.resolve("results.json").toFile());
        assertThat(res.path("pass").asBoolean()).isTrue();
        assertThat(res.path("figures")).hasSize(47);
        // Warm means warm: every class's warm queries run before any cold query of that process drops its caches.
        List<String> phases = new java.util.ArrayList<>();
        res.path("phases").forEach(p -> phases.add(p.asText()));
        assertThat(phases).hasSize(2 * 2 * SloCommand.CLASSES.size());
        for (String who : List.of("lease-holder", "other-process")) {
            int lastWarm = -1;
            int firstCold = Integer.MAX_VALUE;
            for (int i = 0; i < phases.size(); i++) {
                if (phases.get(i).startsWith(who + " warm ")) {
                    lastWarm = i;
                } else if (phases.get(i).startsWith(who + " cold ")) {
                    firstCold = Math.min(firstCold, i);
                }
            }
            assertThat(lastWarm).as("%s: %s", who, phases).isLessThan(firstCold);
        }
        assertThat(res.path("storage").path("packs/").path("bytes_per_log").asDouble()).isPositive();
    }

    @Test
    void targetsNoMachineMeetsFailTheRun() throws Exception {
        CliTest.Run r = CliTest.fli("slo", "--backend", "memory", "--logs", "5000", "--queries", "10",
                "--cold-queries", "1", "--ingest-rate", "0", "--slo", targets(1e-9, 1e12, 1e-9).toString(),
                "--out", dir.resolve("fail").toString());
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.out()).contains("FAIL: ").contains("| FAIL |");
    }

    @Test
    void badInputsAreNamed() {
        CliTest.Run r = CliTest.fli("slo", "--backend", "cloud");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("--backend must be memory, local or remote, got 'cloud'");
        CliTest.Run s = CliTest.fli("slo", "--backend", "memory", "--slo", dir.resolve("none.json").toString());
        assertThat(s.code()).isEqualTo(2);
        assertThat(s.err()).contains("--slo: no SLO file at");
    }
}
