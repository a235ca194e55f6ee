package io.fli.soak;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A short ci soak on the local servers with process faults (kill -9 and SIGSTOP of Cassandra and S3Proxy): valid, and
 * every metric the alert rules read exported live.
 */
class LocalSoakTest {
    @Test
    void aCiSoakOnLocalServersWithProcessFaultsIsValid(@TempDir Path store) throws Exception {
        java.util.Set<String> alerted = PrometheusRulesTest.metricNames();
        CompletableFuture<String> scrape = SoakTest.scrapeUntil(store, body -> alerted.stream().allMatch(body::contains));
        Soak.Result r = SoakTest.soak(store, "local", Duration.ofSeconds(75), List.of("kill", "pause"), null);
        // Every metric an alert or recording rule reads was exported by the live endpoint (with faults, errors too).
        String live = scrape.get();
        assertThat(alerted).isNotEmpty().allSatisfy(name -> assertThat(live).as(name).contains(name));
        assertThat(r.valid()).as(io.fli.checker.Reports.text(r.check())).isTrue();
        JsonNode s = r.summary();
        assertThat(s.get("nemesis").size()).isPositive();
        assertThat(s.get("logs_ingested").asLong()).isPositive();
        List<String> rows = Files.readAllLines(r.dir().resolve("timeseries.jsonl"));
        JsonNode last = new ObjectMapper().readTree(rows.get(rows.size() - 1));
        assertThat(last.get("rss_meta_bytes").asLong()).isPositive();
        assertThat(last.get("rss_blob_bytes").asLong()).isPositive();
        assertThat(Files.readString(r.dir().resolve("metrics.prom")))
                .contains("fli_backend_requests_seconds_count{backend=\"cql\"", "fli_cas_total{backend=\"cql\"");
    }
}
