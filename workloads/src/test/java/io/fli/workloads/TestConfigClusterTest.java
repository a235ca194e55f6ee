package io.fli.workloads;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The configuration of a run on a local cluster: what it allows, what it refuses, and how it is recorded. */
class TestConfigClusterTest {
    private static TestConfig cfg(List<String> nemeses, String backend, boolean secure, int nodes) {
        return new TestConfig("multi-writer", nemeses, backend, Duration.ofSeconds(10), 1, 4, 4,
                Duration.ofSeconds(3), Path.of("store"), null, "full", "index", secure, nodes);
    }

    @Test
    void allOnAClusterMeansTheNodeFaultsInsteadOfTheProxiedNetworkFaults() {
        List<String> all = cfg(List.of("all"), "local", false, 3).nemeses();
        assertThat(all).contains("kill-node", "pause-node", "partition-nodes", "kill", "pause", "crash", "lost-reply")
                .doesNotContain("partition-meta", "latency");
        assertThat(cfg(List.of("all"), "local", false, 1).nemeses()).contains("partition-meta")
                .doesNotContain("kill-node");
    }

    @Test
    void aClusterRunIsRecordedAndReadBack() {
        TestConfig c = cfg(List.of("kill-node", "crash"), "local", false, 3);
        JsonNode j = c.toJson();
        assertThat(j.path("nodes").asInt()).isEqualTo(3);
        assertThat(TestConfig.fromJson(j, Path.of("store"))).isEqualTo(c);
        assertThat(cfg(List.of("crash"), "local", false, 1).toJson().has("nodes")).as("one node: as before").isFalse();
        assertThat(TestConfig.fromJson(cfg(List.of("crash"), "local", false, 1).toJson(), Path.of("store")).nodes())
                .isEqualTo(1);
    }

    @Test
    void whatACLusterCannotDoIsRefusedByName() {
        assertThatThrownBy(() -> cfg(List.of("kill-node"), "local", false, 1))
                .hasMessageContaining("nemesis 'kill-node' is a fault of a cluster's nodes");
        assertThatThrownBy(() -> cfg(List.of("crash"), "memory", false, 3))
                .hasMessageContaining("--nodes 3 starts a local Cassandra cluster");
        assertThatThrownBy(() -> cfg(List.of("crash"), "local", false, 2)).hasMessageContaining("--nodes 2");
        assertThatThrownBy(() -> cfg(List.of("crash"), "local", true, 3)).hasMessageContaining("--secure");
        assertThatThrownBy(() -> cfg(List.of("hang"), "local", false, 3))
                .hasMessageContaining("nemesis 'hang' proxies the engine's connection to one CQL node");
    }
}
