package io.fli.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code --readers-via serve}: the harness's readers are clients of the service — {@code eth_getLogs} over HTTP — and
 * their histories check as the index's own readers' do. {@code fli test} on local servers starts a query-only
 * {@code fli serve} process; {@code fli soak} runs fli serve's JSON-RPC server over its index.
 */
class ReadersViaServeTest {
    @TempDir
    Path dir;

    private static JsonNode latestResults(Path runs) throws Exception {
        try (Stream<Path> s = Files.walk(runs)) {
            Path r = s.filter(p -> p.getFileName().toString().equals("results.json")).findFirst().orElseThrow();
            return new ObjectMapper().readTree(r.toFile());
        }
    }

    @Test
    void fliTestReadersQueryAFliServeProcessOnLocalServers() throws Exception {
        StringWriter out = new StringWriter();
        int rc = Main.run(new PrintWriter(out), new PrintWriter(new StringWriter()), "test", "--backend", "local",
                "--readers-via", "serve", "--time", "20s", "--nemesis", "none", "--store", dir.toString());
        assertThat(rc).as(out.toString()).isZero();
        // (the history is valid: results.json below)
        Path run;
        try (Stream<Path> s = Files.list(dir.resolve("ingest-query"))) {
            run = s.filter(Files::isDirectory).findFirst().orElseThrow();
        }
        assertThat(Files.readString(run.resolve("test.json"))).containsPattern("\"readers_via\"\\s*:\\s*\"serve\"");
        assertThat(Files.readString(run.resolve("metrics.txt"))).contains("serve http://127.0.0.1:");
        String history = Files.readString(run.resolve("history.jsonl"));
        assertThat(history).contains("\"f\":\"query\"");
        assertThat(run.resolve("processes/serve/serve.out")).exists();
        assertThat(Files.readString(run.resolve("processes/serve/serve.out"))).contains("fli serve: remote")
                .contains("query-only");
        assertThat(latestResults(dir).path("valid").asText()).isEqualTo("true");
    }

    @Test
    void fliSoakReadersQueryThroughTheJsonRpcServer() throws Exception {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        Main.run(new PrintWriter(out), new PrintWriter(err), "soak", "--backend", "memory", "--duration", "15s",
                "--readers-via", "serve", "--store", dir.toString(), "--slo",
                Path.of("..").toAbsolutePath().normalize().resolve("slo.json").toString());
        assertThat(out.toString()).as(out + "\n" + err).contains("soak: VALID");
        Path run;
        try (Stream<Path> s = Files.list(dir.resolve("soak"))) {
            run = s.filter(Files::isDirectory).findFirst().orElseThrow();
        }
        assertThat(Files.readString(run.resolve("soak-config.json"))).contains("\"readers_via\" : \"serve\"");
    }
}
