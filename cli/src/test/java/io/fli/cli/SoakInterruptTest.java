package io.fli.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fli.checker.Checking;
import io.fli.checker.Validity;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** SIGTERM to {@code fli soak} loses nothing: history, interval logs, time series and the verdict are written. */
class SoakInterruptTest {
    @TempDir
    Path dir;

    @Test
    void sigtermWritesEverythingAndTheVerdictBeforeExiting() throws Exception {
        Path store = dir.resolve("store");
        Path out = dir.resolve("out.txt");
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp",
                System.getProperty("java.class.path"), "-Dfli.home=" + System.getProperty("fli.home", ".."),
                Main.class.getName(), "soak", "--backend", "memory", "--duration", "10m", "--store",
                store.toString()).redirectErrorStream(true).redirectOutput(out.toFile()).start();
        Path run;
        try {
            // Wait (generously) until the soak is under way: a few samples in its time series.
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(180);
            while (System.nanoTime() < deadline && samples(store) < 8) {
                Thread.sleep(200);
            }
            assertThat(samples(store)).as("the soak got going").isGreaterThanOrEqualTo(8);
            // SIGTERM to the process this test started, by its PID: what a CI runner or systemd sends.
            new ProcessBuilder("kill", "-TERM", Long.toString(p.pid())).inheritIO().start().waitFor();
            assertThat(p.waitFor(300, TimeUnit.SECONDS)).as("fli soak exits after SIGTERM").isTrue();
        } finally {
            p.destroyForcibly();
        }
        assertThat(p.exitValue()).isEqualTo(143);
        String printed = Files.readString(out, StandardCharsets.UTF_8);
        assertThat(printed).contains("interrupted: the soak was stopped early", "run folder:");
        try (var runs = Files.list(store.resolve("soak"))) {
            run = runs.findFirst().orElseThrow();
        }
        JsonNode soak = new ObjectMapper().readTree(run.resolve("soak.json").toFile());
        assertThat(soak.get("interrupted").asBoolean()).isTrue();
        assertThat(soak.get("valid").asBoolean()).isTrue();
        assertThat(soak.get("checks").size()).isGreaterThanOrEqualTo(12);
        assertThat(Checking.check(run.resolve("history.jsonl.gz")).valid()).isEqualTo(Validity.VALID);
        assertThat(run.resolve("latency-selective-address.hlog")).isNotEmptyFile();
        assertThat(run.resolve("metrics.prom")).isNotEmptyFile();
        assertThat(run.resolve("results.json")).isNotEmptyFile();
    }

    private static long samples(Path store) throws Exception {
        Path runs = store.resolve("soak");
        if (!Files.isDirectory(runs)) {
            return 0;
        }
        try (var ds = Files.list(runs)) {
            for (Path r : ds.toList()) {
                Path t = r.resolve("timeseries.jsonl");
                if (Files.exists(t)) {
                    try (var lines = Files.lines(t)) {
                        return lines.count();
                    }
                }
            }
        }
        return 0;
    }
}
