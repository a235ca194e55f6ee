package io.fli.backends;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The Docker cluster profile (for machines with Docker; the local cluster proves the behaviour on Cassandra 5): three
 * ScyllaDB nodes on 127.0.0.1-3 sharing a seed, and an environment file that reads back as an RF 3 configuration
 * naming all three.
 */
class DockerClusterProfileTest {
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

    @Test
    void threeScyllaNodesOnTheirOwnLoopbackAddressesWithOneSeed() throws Exception {
        JsonNode services = YAML.readTree(DockerSecureProfileTest.DOCKER.resolve("docker-compose.cluster.yml")
                .toFile()).path("services");
        List<String> listen = new ArrayList<>();
        for (int i = 1; i <= 3; i++) {
            JsonNode s = services.path("scylla-" + i);
            assertThat(s.path("image").asText()).startsWith("scylladb/scylla:");
            assertThat(s.path("network_mode").asText()).isEqualTo("host");
            List<String> args = new ArrayList<>();
            s.path("command").forEach(a -> args.add(a.asText()));
            assertThat(args.get(args.indexOf("--seeds") + 1)).isEqualTo("127.0.0.1");
            String address = args.get(args.indexOf("--listen-address") + 1);
            assertThat(args.get(args.indexOf("--rpc-address") + 1)).isEqualTo(address);
            listen.add(address);
        }
        assertThat(listen).containsExactly("127.0.0.1", "127.0.0.2", "127.0.0.3");
        assertThat(services.has("minio")).isTrue();
    }

    @Test
    void theEnvironmentFileIsAnRf3ConfigurationOfAllThreeNodes() throws Exception {
        Map<String, String> vars = new HashMap<>();
        for (String line : Files.readAllLines(DockerSecureProfileTest.DOCKER.resolve("backends.cluster.env.example"))) {
            if (!line.startsWith("#") && line.contains("=")) {
                vars.put(line.substring(0, line.indexOf('=')), line.substring(line.indexOf('=') + 1));
            }
        }
        CqlConfig cql = CqlConfig.fromEnvironment(vars);
        assertThat(cql.replicationFactor()).isEqualTo(3);
        assertThat(cql.contactPoints()).extracting(a -> a.getHostString()).containsExactly("127.0.0.1", "127.0.0.2",
                "127.0.0.3");
        assertThat(cql.coordinator()).isNull();
        assertThat(CqlConfig.fromEnvironment(Map.of("FLI_CQL_CONTACT_POINTS", "127.0.0.1:9042",
                "FLI_CQL_DATACENTER", "dc1", "FLI_CQL_COORDINATOR", "127.0.0.2:9042")).coordinator().getHostString())
                .isEqualTo("127.0.0.2");
    }
}
