package io.fli.cli;

import io.fli.workloads.SyntheticHistory;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CliTest {
    @TempDir
    Path dir;

    record Run(int code, String out, String err) {
    }

    static Run fli(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.run(new PrintWriter(out, true), new PrintWriter(err, true), args);
        return new Run(code, out.toString(), err.toString());
    }

    private Path history(String name, String... lines) throws Exception {
        Path f = dir.resolve(name);
        Files.writeString(f, String.join("\n", lines) + "\n");
        return f;
    }

    private static final String HEADER = "{\"format\":\"finalized-log-index-history\",\"version\":1,\"test\":{\"name\":\"cli\",\"seed\":9}}";

    @Test
    void checkExitsZeroOnAValidHistoryAndPrintsASummary() throws Exception {
        Path f = history("ok.jsonl", HEADER,
                "{\"index\":0,\"time\":1,\"process\":0,\"type\":\"invoke\",\"f\":\"query\",\"value\":{\"from\":null,\"to\":null}}",
                "{\"index\":1,\"time\":2,\"process\":0,\"type\":\"ok\",\"f\":\"query\",\"value\":{\"from\":null,\"to\":null,\"head\":null,\"logs\":[]}}");
        Run r = fli("check", f.toString());
        assertThat(r.code()).isZero();
        assertThat(r.out()).startsWith("VALID: 2 operations (test cli, seed 9)").contains("query: ok 1");
    }

    @Test
    void checkExitsOneOnAnInvalidHistoryAndNamesTheOperations() throws Exception {
        Path f = history("bad.jsonl", HEADER,
                "{\"index\":0,\"time\":1,\"process\":0,\"type\":\"invoke\",\"f\":\"query\",\"value\":{}}",
                "{\"index\":1,\"time\":2,\"process\":0,\"type\":\"ok\",\"f\":\"query\",\"value\":{\"head\":7,\"logs\":[]}}",
                "{\"index\":2,\"time\":3,\"process\":0,\"type\":\"invoke\",\"f\":\"query\",\"value\":{}}",
                "{\"index\":3,\"time\":4,\"process\":0,\"type\":\"ok\",\"f\":\"query\",\"value\":{\"head\":6,\"logs\":[]}}");
        Run r = fli("check", f.toString());
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.out()).contains("INVALID", "[snapshot-consistent] ops [1, 3]: query 3 returned head 6 after query 1 had already returned head 7");
        Run json = fli("check", "--json", f.toString());
        assertThat(json.code()).isEqualTo(1);
        var node = new ObjectMapper().readTree(json.out());
        assertThat(node.get("valid").asBoolean(true)).isFalse();
        assertThat(node.get("anomalies").get(0).get("invariant").asText()).isEqualTo("snapshot-consistent");
    }

    @Test
    void checkStreamingGivesTheSameAnswerAndSaysWhatItFoundAsItGoes() throws Exception {
        Path f = history("bad-streaming.jsonl", HEADER,
                "{\"index\":0,\"time\":1,\"process\":0,\"type\":\"invoke\",\"f\":\"query\",\"value\":{}}",
                "{\"index\":1,\"time\":2,\"process\":0,\"type\":\"ok\",\"f\":\"query\",\"value\":{\"head\":7,\"logs\":[]}}",
                "{\"index\":2,\"time\":3,\"process\":0,\"type\":\"invoke\",\"f\":\"query\",\"value\":{}}",
                "{\"index\":3,\"time\":4,\"process\":0,\"type\":\"ok\",\"f\":\"query\",\"value\":{\"head\":6,\"logs\":[]}}");
        Run batch = fli("check", f.toString());
        Run r = fli("check", "--streaming", f.toString());
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err()).contains("found: snapshot-consistent: query 3 returned head 6 after query 1");
        assertThat(r.out()).startsWith(batch.out()).contains("streaming: 4 operations, 2 queries judged");
        assertThat(fli("check", "--streaming", "--json", f.toString()).out()).isEqualTo(fli("check", "--json",
                f.toString()).out());
        Run html = fli("check", "--streaming", "--html", dir.resolve("t.html").toString(), f.toString());
        assertThat(html.code()).isEqualTo(2);
        assertThat(html.err()).contains("--html needs the whole history in memory");
        Path broken = history("broken-streaming.jsonl", HEADER,
                "{\"index\":3,\"time\":1,\"process\":0,\"type\":\"invoke\",\"f\":\"query\"}");
        Run bad = fli("check", "--streaming", broken.toString());
        assertThat(bad.code()).isEqualTo(2);
        assertThat(bad.err()).contains("line 2: index 3 where 0 was expected");
    }

    @Test
    void checkExitsTwoOnAFormatErrorNamingLineAndRule() throws Exception {
        Path f = history("broken.jsonl", HEADER, "{\"index\":3,\"time\":1,\"process\":0,\"type\":\"invoke\",\"f\":\"query\"}");
        Run r = fli("check", f.toString());
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("line 2: index 3 where 0 was expected");
        Run missing = fli("check", dir.resolve("nope.jsonl").toString());
        assertThat(missing.code()).isEqualTo(2);
        assertThat(missing.err()).contains("no such file");
    }

    @Test
    void checkWritesATimeline() throws Exception {
        Path f = history("ok.jsonl", HEADER,
                "{\"index\":0,\"time\":1,\"process\":0,\"type\":\"invoke\",\"f\":\"query\",\"value\":{}}",
                "{\"index\":1,\"time\":2,\"process\":0,\"type\":\"ok\",\"f\":\"query\",\"value\":{\"head\":null,\"logs\":[]}}");
        Path html = dir.resolve("t.html");
        Run r = fli("check", f.toString(), "--html", html.toString());
        assertThat(r.code()).isZero();
        assertThat(Files.readString(html)).contains("<svg", "process 0");
    }

    @Test
    void checkDrawsAnyWindowOfALongRun() throws Exception {
        List<String> lines = new java.util.ArrayList<>(List.of(HEADER));
        for (int i = 0; i < 400; i += 2) {
            lines.add("{\"index\":" + i + ",\"time\":" + i + ",\"process\":0,\"type\":\"invoke\",\"f\":\"query\","
                    + "\"value\":{}}");
            lines.add("{\"index\":" + (i + 1) + ",\"time\":" + (i + 1) + ",\"process\":0,\"type\":\"ok\","
                    + "\"f\":\"query\",\"value\":{\"head\":null,\"logs\":[]}}");
        }
        Path f = history("long.jsonl", lines.toArray(new String[0]));
        Path html = dir.resolve("w.html");
        Run r = fli("check", f.toString(), "--html", html.toString(), "--window", "200-219");
        assertThat(r.code()).as(r.err()).isZero();
        String page = Files.readString(html);
        assertThat(page).contains("Operations 200–219 of 400", "id=\"op-200\"", "id=\"op-219\"")
                .doesNotContain("id=\"op-0\"", "id=\"op-399\"");
        assertThat(Files.readString(dir.resolve("w.html"))).contains("--window FROM-TO");
        Run bad = fli("check", f.toString(), "--html", html.toString(), "--window", "30-10");
        assertThat(bad.code()).isEqualTo(2);
        assertThat(bad.err()).contains("--window must be FROM-TO");
    }

    @Test
    void demoIngestsAndEveryAnswerIsExact() {
        Run r = fli("demo", "--blocks", "300", "--queries", "100");
        assertThat(r.code()).isZero();
        assertThat(r.out()).contains("ingested 300 blocks", "100 exact, 0 wrong", "health: OK");
    }

    @Test
    void benchRunsOnATinyChainAndPrintsRatios() {
        Run r = fli("bench", "--logs", "20000", "--queries", "20", "--warmup", "5");
        assertThat(r.code()).isZero();
        assertThat(r.out()).contains("fli ingest:", "sqlite ingest:", "| 256-term address OR |",
                "fli median µs (queries) by result count", "fli cache after the queries:");
        // Every measured query lands in one result-count bucket: the counts of a class add up to --queries.
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("\\((\\d+)\\) \\|").matcher(
                r.out().substring(r.out().indexOf("fli median µs (queries) by result count")));
        int counted = 0;
        while (m.find()) {
            counted += Integer.parseInt(m.group(1));
        }
        assertThat(counted).isEqualTo(3 * 20);
    }

    @Test
    void syntheticHistoriesForTheCheckerBenchmarkAreValid() throws Exception {
        Path f = dir.resolve("synthetic.jsonl");
        SyntheticHistory.write(f, 20_000, 5);
        Run r = fli("check", f.toString());
        assertThat(r.code()).as(r.out()).isZero();
    }

    @org.junit.jupiter.params.ParameterizedTest(name = "{0}")
    @org.junit.jupiter.params.provider.CsvSource(delimiter = '|', value = {
            "test --time -5s|--time '-5s' is not a duration like 30s, 500ms, 5m or 24h (it must be positive)",
            "test --time 0s|--time must be positive, got 0s",
            "test --time abc|--time 'abc' is not a duration like 30s, 500ms, 5m or 24h",
            "bench --logs 0|--logs must be at least 1000, got 0",
            "demo --blocks 0|--blocks must be at least 1, got 0",
            "bug-zoo --seeds 0|--seeds must be at least 1, got 0",
            "bug-zoo --bug nosuch|--bug 'nosuch' is not in the zoo",
            "test --nemesis nosuch|unknown nemesis 'nosuch'",
            "test --answers short|--answers must be full or compact, got 'short'",
            "test --backend memory --secure|--secure starts the local servers in the secure profile: use --backend local",
            "test --nodes 3|--nodes 3 starts a local Cassandra cluster: use --backend local",
            "test --backend local --nodes 2|--nodes 2 has no majority that survives a node fault: use 1 or 3",
            "test --backend local --nodes 0|--nodes must be 1 (one Cassandra node) or 3 (a cluster), got 0",
            "test --backend local --nemesis kill-node|nemesis 'kill-node' is a fault of a cluster's nodes: use --backend local --nodes 3",
            "test --backend local --nodes 3 --nemesis partition-meta|nemesis 'partition-meta' proxies the engine's connection to one CQL node",
            "test --backend local --nodes 3 --secure|--secure runs on one Cassandra node",
            "soak --profile nightly|'nightly' is neither a built-in profile [ci, production-shape] nor a file",
            "soak --backend memory --nemesis kill|nemesis 'kill' signals the servers the soak starts: use --backend local",
            "soak --backend memory --nemesis flood|unknown nemesis 'flood' for a soak (restart, kill, pause)",
            "soak --duration 0s|--duration must be positive, got 0s",
            "soak --backend disk|--backend must be memory, local or remote, got 'disk'",
            "soak --bug nosuch|unknown soak bug 'nosuch' (leak-published-batches)",
            "soak --metrics-port 70000|--metrics-port must be 0..65535, got 70000",
            "slo --segment-format 1|--segment-format must be 2, 3, 4 or 5, got 1",
            "bench --segment-format 6|--segment-format must be 2, 3, 4 or 5, got 6",
            "slo --backend memory --store x|--store is where local servers keep their data: use --backend local",
            "serve --segment-format 7|--segment-format must be 2, 3, 4 or 5, got 7",
            "serve --holder-url ftp://h|--holder-url must be an http(s) URL with a host, got 'ftp://h'",
            "serve --holder-timeout-ms 0|--holder-timeout-ms must be at least 1, got 0",
            "serve --warm-segment-mb -1|--warm-segment-mb must be 0..1048576, got -1",
            "slo --warm-segment-mb -2|--warm-segment-mb must be 0..1048576, got -2",
            "slo --ingest-batch-blocks 0|--ingest-batch-blocks must be at least 1, got 0"})
    void aBadOptionGetsOneLineNamingItAndExitTwo(String args, String message) {
        Run r = fli(args.split(" "));
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains(message);
        assertThat(r.err().strip().lines()).hasSize(1);
        assertThat(r.out()).isEmpty();
    }

    @Test
    void theHelpOfTestAndBugZooNamesEveryBug() {
        for (String cmd : new String[]{"test", "bug-zoo"}) {
            Run r = fli(cmd, "--help");
            for (io.fli.workloads.Bugs.Bug b : io.fli.workloads.Bugs.ZOO) {
                assertThat(r.out().replaceAll("\\s+", " ")).contains(b.name());
            }
        }
    }

    @Test
    void aHistoryStartingWithAByteOrderMarkIsRefusedNamingIt() throws Exception {
        Path f = Files.createTempFile("bom", ".jsonl");
        Files.write(f, ("\uFEFF{\"format\":\"finalized-log-index-history\",\"version\":1}\n")
                .getBytes(java.nio.charset.StandardCharsets.UTF_8));
        Run r = fli("check", f.toString());
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("byte order mark (BOM");
    }
}
