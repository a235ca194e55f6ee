package io.fli.backends;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * The Docker secure profile (for machines with Docker; the local servers prove the same refusals on Cassandra and
 * S3Proxy): ScyllaDB with client TLS only, password authentication, roles and audit; MinIO over HTTPS with the
 * application's least-privilege identity; secrets as mounted files, none in the files themselves.
 */
class DockerSecureProfileTest {
    static final Path DOCKER = Path.of(System.getProperty("fli.home", ".."), "docker");
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

    @Test
    void scyllaSpeaksTlsOnlyWithPasswordsRolesAndAudit() throws Exception {
        JsonNode s = YAML.readTree(DOCKER.resolve("secure/scylla.yaml").toFile());
        assertThat(s.path("client_encryption_options").path("enabled").asBoolean()).isTrue();
        assertThat(s.has("native_transport_port_ssl")).as("a plaintext port beside the TLS one").isFalse();
        assertThat(s.path("authenticator").asText()).isEqualTo("PasswordAuthenticator");
        assertThat(s.path("authorizer").asText()).isEqualTo("CassandraAuthorizer");
        assertThat(s.path("audit_categories").asText()).contains("DCL", "DDL", "AUTH");
        String roles = Files.readString(DOCKER.resolve("secure/roles.sh"));
        assertThat(roles).contains("DROP ROLE IF EXISTS cassandra", "GRANT CREATE ON ALL KEYSPACES TO fli_admin",
                "GRANT SELECT ON KEYSPACE fli TO fli_writer", "GRANT MODIFY ON KEYSPACE fli TO fli_writer",
                "GRANT SELECT ON KEYSPACE fli TO fli_reader", "SSL_VALIDATE=true")
                .doesNotContain("GRANT MODIFY ON KEYSPACE fli TO fli_reader", "SUPERUSER = true AND LOGIN = true\" "
                        + "fli_writer");
    }

    @Test
    void composeMountsTheCertificatesServesMinioOverHttpsAndKeepsSecretsInFiles() throws Exception {
        JsonNode c = YAML.readTree(DOCKER.resolve("docker-compose.secure.yml").toFile());
        JsonNode services = c.path("services");
        assertThat(services.path("minio").path("command").toString()).contains("--certs-dir");
        assertThat(services.path("minio-init").path("command").toString()).contains("https://minio:9000")
                .doesNotContain("http://minio");
        assertThat(services.path("scylla").path("volumes").toString()).contains("scylla.yaml", "server.key");
        c.path("secrets").forEach(sec -> assertThat(sec.path("file").asText()).startsWith("./secure/"));
        for (String local : new String[]{"secure/scylla.yaml", "secure/roles.sh", "secure/make-certs.sh",
                "minio-fli-app-policy.json"}) {
            assertThat(DOCKER.resolve(local)).exists();
        }
        // The environment file names secret files, never secret values; TLS on for both stores.
        String env = Files.readString(DOCKER.resolve("backends.secure.env.example"));
        assertThat(env).contains("FLI_CQL_TLS=true", "FLI_CQL_TLS_CA_FILE=", "FLI_CQL_PASSWORD_FILE=",
                "FLI_S3_SECRET_KEY_FILE=", "FLI_S3_CA_FILE=", "FLI_S3_ENDPOINT=https://")
                .doesNotContain("FLI_CQL_PASSWORD=", "FLI_S3_SECRET_KEY=");
        // Read as the application would, it asks for TLS with hostname verification on both stores.
        java.util.Map<String, String> vars = new java.util.HashMap<>();
        for (String line : env.split("\n")) {
            if (!line.startsWith("#") && line.contains("=")) {
                vars.put(line.substring(0, line.indexOf('=')), line.substring(line.indexOf('=') + 1));
            }
        }
        assertThat(Boolean.parseBoolean(vars.get("FLI_CQL_TLS"))).isTrue();
        assertThat(vars.get("FLI_CQL_USERNAME")).isEqualTo("fli_writer");
    }
}
