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
        return run(workload, nemesis, backend, seconds, 3, backend.equals("local") ? 2_500 : 700);
    }

    private TestRun.Result run(String workload, List<String> nemesis, String backend, long seconds, long seed,
                               long nemesisIntervalMs) throws Exception {
        return run(store, workload, nemesis, backend, seconds, seed, nemesisIntervalMs);
    }

    static TestRun.Result run(Path store, String workload, List<String> nemesis, String backend, long seconds,
                              long seed, long nemesisIntervalMs) throws Exception {
        StringWriter progress = new StringWriter();
        TestConfig cfg = new TestConfig(workload, nemesis, backend, Duration.ofSeconds(seconds), seed, 4, 4,
                Duration.ofMillis(nemesisIntervalMs), store, null);
        return TestRun.run(cfg, new PrintWriter(progress));
    }

    static boolean historyHas(TestRun.Result r, String text) throws java.io.IOException {
        try (var lines = Files.lines(r.dir().resolve("history.jsonl"))) {
            return lines.anyMatch(l -> l.contains(text));
        }
    }

    static long count(TestRun.Result r, String f, String type) {
        return r.check().stats().byF().getOrDefault(f, java.util.Map.of()).getOrDefault(type, 0L);
    }

    @ParameterizedTest(name = "{0} with {1} on memory")
    @CsvSource({"ingest-query,crash", "ingest-query,restart", "multi-writer,crash", "multi-writer,restart",
            "restart,none", "ingest-query,none", "ingest-query,corrupt", "multi-writer,corrupt",
            "ingest-query,lease-loss", "multi-writer,lease-loss", "ingest-query,lost-reply", "multi-writer,lost-reply",
            "ingest-query,pause-process", "multi-writer,pause-process", "ingest-query,fork", "multi-writer,fork"})
    void aShortRunOnMemoryIsValid(String workload, String nemesis) throws Exception {
        TestRun.Result r = run(workload, List.of(nemesis), "memory", 5);
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
        // Only the faults asked for (and the restarts the restart workload does by itself) are injected.
        for (String f : List.of("crash", "restart", "corrupt", "lease-loss", "lost-reply", "pause-process", "fork")) {
            if (!f.equals(nemesis) && !(f.equals("restart") && (workload.equals("restart")
                    || nemesis.equals("corrupt") || nemesis.equals("fork")))) {
                assertThat(r.check().stats().byF()).as("fault %s was not asked for", f).doesNotContainKey(f);
            }
        }
        if (nemesis.equals("crash")) {
            // The crash points really fired: writers ended operations with unknown outcomes.
            long unknown = r.check().stats().byF().get("publish").getOrDefault("info", 0L)
                    + r.check().stats().byF().getOrDefault("acquire", java.util.Map.of()).getOrDefault("info", 0L);
            assertThat(unknown).isPositive();
        }
        if (nemesis.equals("corrupt")) {
            // The damage was seen and the engine failed closed rather than serve it.
            assertThat(historyHas(r, "\"error\":\"degraded\"")).isTrue();
        }
        if (nemesis.equals("lease-loss") && workload.equals("ingest-query")) {
            // The stalled writer woke up fenced (the standby, or the other process's writer, took the lease).
            assertThat(historyHas(r, "lost the lease")).isTrue();
            assertThat(historyHas(r, "\"taken_over_by\":\"standby\"")).isTrue();
        }
        if (nemesis.equals("fork")) {
            // A writer was handed a fork; its publish failed closed and was not acknowledged (the verdict is valid).
            assertThat(historyHas(r, "finality violation")).isTrue();
        }
        if (nemesis.equals("lost-reply")) {
            assertThat(historyHas(r, "\"f\":\"lost-reply\",\"value\":{\"at\"")).isTrue();
        }
        assertThat(h.ops()).isNotEmpty();
        assertThat(store.resolve("latest")).exists();
    }

    /**
     * The harness's own acceptance: with every fault on memory, 30 s of simulated time inject each fault, with two
     * index processes, GC deletions, folded merges and final reads all in the history, and the correct engine valid.
     */
    @Test
    void everyFaultOnMemoryInThirtySecondsWithProcessesGcMergesAndFinalReads() throws Exception {
        TestConfig cfg = new TestConfig("ingest-query", List.of("all"), "memory", Duration.ofSeconds(30), 11, 5, 8,
                Duration.ofMillis(700), store, null);
        TestRun.Result r = TestRun.run(cfg, new PrintWriter(new StringWriter()));
        assertThat(r.check().valid()).as(io.fli.checker.Reports.text(r.check(), 20)).isEqualTo(Validity.VALID);
        for (String f : TestConfig.allFaults("memory")) {
            assertThat(count(r, f, "info")).as("fault %s injected", f).isPositive();
        }
        assertThat(count(r, "gc", "info")).as("GC deleted blobs").isPositive();
        assertThat(count(r, "merge", "info")).as("merges folded").isPositive();
        // Both processes merged, so the index mixed segment formats 2 (p0) and 4 (p1) and each read the other's.
        List<String> lines = Files.readAllLines(r.dir().resolve("history.jsonl"));
        for (String p : List.of("p0", "p1")) {
            assertThat(lines).as("merges by %s (segment format %d)", p, TestRun.segmentFormat(p))
                    .anyMatch(l -> l.contains("\"f\":\"merge\"") && l.contains("\"process\":\"" + p + "\""));
        }
        assertThat(TestRun.segmentFormat("p0")).isEqualTo(2);
        assertThat(TestRun.segmentFormat("p1")).isEqualTo(4);
        assertThat(historyHas(r, "\"process\":\"p0\"")).isTrue();
        assertThat(historyHas(r, "\"process\":\"p1\"")).isTrue();
        History h = History.read(r.dir().resolve("history.jsonl"));
        long finals = h.ops().stream().filter(o -> o.type() == io.fli.checker.Op.Type.OK
                && o.value() instanceof io.fli.checker.Op.Query q && q.finalRead()).count();
        assertThat(finals).as("final reads answered").isEqualTo(4L * TestRun.PROCESSES);
        // Returned logs carry their identity.
        assertThat(historyHas(r, "\"txHash\"")).isTrue();
        assertThat(historyHas(r, "\"blockHash\"")).isTrue();
    }

    @Test
    void aMemoryRunIsDeterministicByteForByte() throws Exception {
        List<String> all = List.of("all");
        TestRun.Result a = run("multi-writer", all, "memory", 4, 7, 700);
        TestRun.Result b = run("multi-writer", all, "memory", 4, 7, 700);
        TestRun.Result c = run("multi-writer", all, "memory", 4, 8, 700);
        byte[] ha = Files.readAllBytes(a.dir().resolve("history.jsonl"));
        assertThat(ha.length).isGreaterThan(100_000);
        assertThat(Files.readAllBytes(b.dir().resolve("history.jsonl"))).isEqualTo(ha);
        assertThat(Files.readAllBytes(c.dir().resolve("history.jsonl"))).isNotEqualTo(ha);
        assertThat(a.check().valid()).isEqualTo(Validity.VALID);
    }

    @Test
    void aSavedRunRecordsAConfigurationThatReplaysIdentically() throws Exception {
        TestRun.Result r = run("multi-writer", List.of("crash"), "memory", 1);
        var json = new com.fasterxml.jackson.databind.ObjectMapper().readTree(r.dir().resolve("test.json").toFile());
        TestConfig again = TestConfig.fromJson(json, store);
        assertThat(again).isEqualTo(new TestConfig("multi-writer", List.of("crash"), "memory", Duration.ofSeconds(1), 3,
                4, 4, Duration.ofMillis(700), store, null));
        assertThat(History.read(r.dir().resolve("history.jsonl")).test()).isEqualTo(json);
    }

    /**
     * Gate evidence: each workload on the local servers with every nemesis — engine faults (crash points, lost
     * replies, restarts, corruption, lease loss, paused processes, forks), process faults (kill, pause) and network
     * faults — each fault taking its turn at least once, against index processes in JVMs of their own; the verdict
     * must be valid. The restart workload runs here; the other two in {@link EveryNemesisLocalTest}, a class of its
     * own so the build's second test fork runs them beside this class.
     */
    @ParameterizedTest(name = "{0} with every nemesis on local servers")
    @CsvSource({"restart"})
    void aRunWithEveryNemesisOnLocalServersIsValid(String workload) throws Exception {
        everyNemesisOnLocalServers(store, workload);
    }

    /** A counter's value summed over the index processes' last scrapes. */
    static double sum(TestRun.Result r, String prefix) throws java.io.IOException {
        double total = 0;
        for (int i = 0; i < TestRun.PROCESSES; i++) {
            java.nio.file.Path prom = r.dir().resolve("metrics-p" + i + ".prom");
            if (java.nio.file.Files.exists(prom)) {
                for (String line : java.nio.file.Files.readAllLines(prom)) {
                    if (line.startsWith(prefix)) {
                        total += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
                    }
                }
            }
        }
        return total;
    }

    static void everyNemesisOnLocalServers(Path store, String workload) throws Exception {
        List<String> every = TestConfig.allFaults("local");
        // Kept as the build's gate evidence (fli.evidence: workloads/target/evidence), which `fli report` over the
        // checkout reads after the test suite (.ci/run); a temporary folder when run elsewhere.
        String kept = System.getProperty("fli.evidence");
        TestRun.Result r = run(kept == null ? store : Path.of(kept), workload, List.of("all"), "local", 60, 3, 800);
        assertThat(r.check().valid()).as(io.fli.checker.Reports.text(r.check())).isEqualTo(Validity.VALID);
        assertThat(count(r, "publish", "ok")).isPositive();
        assertThat(count(r, "query", "ok")).isPositive();
        for (String f : every) {
            assertThat(count(r, f, "info")).as("nemesis %s took its turn", f).isPositive();
        }
        assertThat(r.dir().resolve("servers").resolve("cassandra").resolve("logs")).exists();
        // The index processes were JVMs of their own, and final reads followed the faults.
        for (int i = 0; i < TestRun.PROCESSES; i++) {
            assertThat(r.dir().resolve("processes").resolve("p" + i + ".log")).exists();
        }
        assertThat(historyHas(r, "\"final\":true")).isTrue();
        // Each index process served its metrics on 127.0.0.1; the last scrape of each is in the run folder.
        assertThat(java.nio.file.Files.readString(r.dir().resolve("metrics.txt"))).contains("p0 http://127.0.0.1:");
        String metrics = java.nio.file.Files.readString(r.dir().resolve("metrics-p0.prom"));
        assertThat(metrics).contains("fli_cas_total{backend=\"cql\"", "fli_query_seconds_bucket{class=",
                "fli_backend_requests_seconds_count{backend=\"s3\"", "jvm_memory_used_bytes");
        // Queries of a process without the lease asked the holder's process which state is current (PeerHolderView),
        // through pauses of the holder's JVM among the faults, and the holder named its state. (Whether a query then
        // answered from it, fli_holder_view_answers_total, counts since the index was last opened: a restart fault
        // near the end leaves it near 0. HolderViewServeTest and UpgradeTest assert those answers.)
        double named = 0;
        double records = 0;
        for (int i = 0; i < TestRun.PROCESSES; i++) {
            java.nio.file.Path prom = r.dir().resolve("metrics-p" + i + ".prom");
            if (java.nio.file.Files.exists(prom)) {
                for (String line : java.nio.file.Files.readAllLines(prom)) {
                    if (line.startsWith("fli_holder_view_named_total{")) {
                        named += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
                    }
                    if (line.startsWith("fli_holder_view_records_received_total{")) {
                        records += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
                    }
                }
            }
        }
        assertThat(named).as("questions the lease holder answered with its state").isPositive();
        // And the asking process held read leases from the holder through the faults, whose revocations it heard and
        // acknowledged before the holder's CAS (or the holder waited them out: a paused or partitioned asker).
        assertThat(sum(r, "fli_read_lease_granted_total{")).as("read leases granted").isPositive();
        assertThat(sum(r, "fli_read_lease_revoked_total{")).as("revocations acknowledged").isPositive();
        // Each state change reached the asking processes as a record in the answer (they had the one before).
        assertThat(records).as("answers that carried the state's record").isPositive().isLessThanOrEqualTo(named);
        // The run's plots.
        for (String png : List.of("latency-raw.png", "latency-quantiles.png", "rate.png")) {
            assertThat(r.dir().resolve(png)).isNotEmptyFile();
        }
    }
}
