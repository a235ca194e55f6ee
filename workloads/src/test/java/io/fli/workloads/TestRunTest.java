package io.fli.workloads;

import static org.assertj.core.api.Assertions.assertThat;

import io.fli.checker.History;
import io.fli.checker.Validity;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Short runs of every workload: each must record a checkable history that the checker finds valid. */
class TestRunTest {
    @TempDir
    Path store;

    private TestRun.Result run(String workload, List<String> nemesis, String backend, long seconds) throws Exception {
        StringWriter progress = new StringWriter();
        TestConfig cfg = new TestConfig(workload, nemesis, backend, Duration.ofSeconds(seconds), 3, 4, 4,
                Duration.ofMillis(backend.equals("local") ? 2_500 : 300), store, null);
        return TestRun.run(cfg, new PrintWriter(progress));
    }

    @ParameterizedTest(name = "{0} with {1} on memory")
    @CsvSource({"ingest-query,crash", "ingest-query,restart", "multi-writer,crash", "multi-writer,restart",
            "restart,none", "ingest-query,none"})
    void aShortRunOnMemoryIsValid(String workload, String nemesis) throws Exception {
        TestRun.Result r = run(workload, List.of(nemesis), "memory", 3);
        assertThat(r.check().valid()).as(io.fli.checker.Reports.text(r.check())).isEqualTo(Validity.VALID);
        assertThat(r.dir().resolve("history.jsonl")).exists();
        assertThat(r.dir().resolve("results.json")).exists();
        assertThat(r.dir().resolve("timeline.html")).exists();
        assertThat(Files.readString(r.dir().resolve("test.json"))).contains("\"seed\" : 3", workload);
        History h = History.read(r.dir().resolve("history.jsonl"));
        assertThat(r.check().stats().byF().get("publish")).containsKey("ok");
        assertThat(r.check().stats().byF().get("query")).containsKey("ok");
        if (!nemesis.equals("none")) {
            assertThat(r.check().stats().byF()).containsKey(nemesis);
        }
        if (nemesis.equals("crash")) {
            // The crash points really fired: writers ended operations with unknown outcomes.
            long unknown = r.check().stats().byF().get("publish").getOrDefault("info", 0L)
                    + r.check().stats().byF().getOrDefault("acquire", java.util.Map.of()).getOrDefault("info", 0L);
            assertThat(unknown).isPositive();
        }
        assertThat(h.ops()).isNotEmpty();
        assertThat(store.resolve("latest")).exists();
    }

    @Test
    void aSavedRunRecordsAConfigurationThatReplaysIdentically() throws Exception {
        TestRun.Result r = run("multi-writer", List.of("crash"), "memory", 1);
        var json = new com.fasterxml.jackson.databind.ObjectMapper().readTree(r.dir().resolve("test.json").toFile());
        TestConfig again = TestConfig.fromJson(json, store);
        assertThat(again).isEqualTo(new TestConfig("multi-writer", List.of("crash"), "memory", Duration.ofSeconds(1), 3,
                4, 4, Duration.ofMillis(300), store, null));
        assertThat(History.read(r.dir().resolve("history.jsonl")).test()).isEqualTo(json);
    }

    @ParameterizedTest(name = "{0} with every nemesis on local servers")
    @CsvSource({"ingest-query", "multi-writer", "restart"})
    void aRunWithEveryNemesisOnLocalServersIsValid(String workload) throws Exception {
        TestRun.Result r = run(workload, List.of("kill", "pause", "crash", "restart"), "local", 12);
        assertThat(r.check().valid()).as(io.fli.checker.Reports.text(r.check())).isEqualTo(Validity.VALID);
        assertThat(r.check().stats().byF().get("publish")).containsKey("ok");
        assertThat(r.dir().resolve("servers").resolve("cassandra").resolve("logs")).exists();
    }
}
