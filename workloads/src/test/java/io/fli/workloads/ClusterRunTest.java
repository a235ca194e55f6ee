package io.fli.workloads;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.fli.checker.Validity;
import io.fli.faults.net.PacketFilter;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Gate A on a real three-node CQL cluster (the short profile; the longer matrix is the gate workflow's): racing
 * writers while nodes are killed, paused and partitioned from the others (the lease holder's coordinator among them),
 * the verdict valid with its final reads, every fault in the history, the unknown CAS outcomes counted and put down to
 * their faults, and no packet-filter rule left behind.
 */
class ClusterRunTest {
    @TempDir
    Path store;

    @Test
    void racingWritersOnThreeNodesWithNodeFaultsAndPartitionsStayValid() throws Exception {
        assumeTrue(PacketFilter.available(), "partitions need the packet filter: " + PacketFilter.unavailableReason());
        // Kept as the build's gate evidence for `fli report` (fli.evidence), as the every-nemesis runs are.
        String kept = System.getProperty("fli.evidence");
        List<String> faults = List.of("kill-node", "pause-node", "partition-nodes");
        TestConfig cfg = new TestConfig("multi-writer", faults, "local", Duration.ofSeconds(40), 5, 4, 4,
                Duration.ofMillis(2_000), kept == null ? store : Path.of(kept), null, "full", "index", false, 3);
        StringWriter progress = new StringWriter();
        TestRun.Result r = TestRun.run(cfg, new PrintWriter(progress));

        assertThat(r.check().valid()).as(io.fli.checker.Reports.text(r.check())).isEqualTo(Validity.VALID);
        assertThat(TestRunTest.count(r, "publish", "ok")).isPositive();
        for (String f : faults) {
            assertThat(TestRunTest.count(r, f, "info")).as("nemesis %s took its turn", f).isPositive();
        }
        // Every fault did what it says (no fault recorded an error), and the final reads are in the history.
        List<String> lines = Files.readAllLines(r.dir().resolve("history.jsonl"));
        assertThat(lines).filteredOn(l -> l.contains("\"process\":\"nemesis\"") && l.contains("\"error\""))
                .isEmpty();
        assertThat(lines).anyMatch(l -> l.contains("\"final\":true"));
        assertThat(lines).anyMatch(l -> l.contains("\"f\":\"partition-nodes\"") && l.contains("\"minority\""));
        assertThat(lines).anyMatch(l -> l.contains("\"f\":\"kill-node\"") && l.contains("\"signal\":\"KILL\""));

        JsonNode test = Run.JSON.readTree(r.dir().resolve("test.json").toFile());
        assertThat(test.path("nodes").asInt()).isEqualTo(3);
        assertThat(test.path("coordinators").path("p0").asText()).startsWith("127.0.0.1:");
        assertThat(test.path("coordinators").path("p1").asText()).startsWith("127.0.0.2:");
        for (int i = 1; i <= 3; i++) {
            assertThat(r.dir().resolve("servers").resolve("cassandra-" + i).resolve("logs")).exists();
        }

        JsonNode cas = Run.JSON.readTree(r.dir().resolve("cas-unknown.json").toFile());
        int total = cas.path("total").asInt();
        assertThat(cas.path("applied").asInt() + cas.path("not-applied").asInt() + cas.path("unresolved").asInt())
                .isEqualTo(total);
        assertThat(cas.path("events")).hasSize(total);
        cas.path("events").forEach(e -> assertThat(e.path("fault").asText()).isIn(
                "kill-node", "pause-node", "partition-nodes", "none"));
        assertThat(TestRun.casUnknownLine(r.dir())).startsWith(total + " (");

        assertThat(PacketFilter.leftovers()).as("no rule of this JVM's filters is left")
                .noneMatch(l -> l.contains(PacketFilter.PREFIX + ProcessHandle.current().pid() + "-"));
    }
}
