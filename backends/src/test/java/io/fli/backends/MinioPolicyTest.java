package io.fli.backends;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * The Docker profile gives the application a least-privilege MinIO identity: object reads, writes and deletes and a
 * listing of its one bucket, nothing else; the root identity stays the administrator's.
 */
class MinioPolicyTest {
    static final Path DOCKER = Path.of(System.getProperty("fli.home", ".."), "docker");

    @Test
    void theApplicationsPolicyGrantsObjectAccessToItsBucketOnly() throws Exception {
        JsonNode policy = new ObjectMapper().readTree(DOCKER.resolve("minio-fli-app-policy.json").toFile());
        Set<String> actions = new TreeSet<>();
        Set<String> resources = new TreeSet<>();
        for (JsonNode st : policy.get("Statement")) {
            assertThat(st.get("Effect").asText()).isEqualTo("Allow");
            st.get("Action").forEach(a -> actions.add(a.asText()));
            st.get("Resource").forEach(r -> resources.add(r.asText()));
        }
        assertThat(actions).containsExactlyInAnyOrder("s3:ListBucket", "s3:GetBucketLocation", "s3:GetObject",
                "s3:PutObject", "s3:DeleteObject");
        assertThat(actions).noneMatch(a -> a.contains("*") || a.startsWith("admin:") || a.contains("Bucket")
                && !a.equals("s3:ListBucket") && !a.equals("s3:GetBucketLocation"));
        assertThat(resources).containsExactlyInAnyOrder("arn:aws:s3:::fli", "arn:aws:s3:::fli/*");
    }

    @Test
    void theComposeProfileKeepsTheRootIdentityFromTheApplication() throws Exception {
        String compose = Files.readString(DOCKER.resolve("docker-compose.yml"));
        assertThat(compose).contains("MINIO_ROOT_USER: ${FLI_S3_ADMIN_ACCESS_KEY")
                .doesNotContain("MINIO_ROOT_USER: ${FLI_S3_ACCESS_KEY")
                .contains("mc admin policy attach admin fli-app --user")
                .contains("./minio-fli-app-policy.json:/policy/fli-app.json:ro");
    }
}
