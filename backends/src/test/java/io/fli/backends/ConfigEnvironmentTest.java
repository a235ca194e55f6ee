package io.fli.backends;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A configuration handed to a child process as FLI_* variables reads back as the same configuration. */
class ConfigEnvironmentTest {
    @Test
    void cqlAndS3ConfigurationsRoundTripThroughTheEnvironment() {
        CqlConfig cql = new CqlConfig(List.of(new InetSocketAddress("127.0.0.1", 9042),
                new InetSocketAddress("127.0.0.2", 9043)), "dc1", "fli_test", 3, "app", "s3cret", true,
                Duration.ofMillis(2_500), false);
        CqlConfig back = CqlConfig.fromEnvironment(cql.toEnvironment());
        assertThat(back.contactPoints()).isEqualTo(cql.contactPoints());
        assertThat(back).usingRecursiveComparison().ignoringFields("migrate").isEqualTo(cql);
        CqlConfig pinned = cql.withCoordinator(new InetSocketAddress("127.0.0.2", 9043));
        assertThat(pinned.toEnvironment()).containsEntry("FLI_CQL_COORDINATOR", "127.0.0.2:9043");
        assertThat(CqlConfig.fromEnvironment(pinned.toEnvironment()).coordinator()).isEqualTo(pinned.coordinator());
        assertThat(cql.toEnvironment()).doesNotContainKey("FLI_CQL_COORDINATOR");
        java.util.Map<String, String> bad = new java.util.HashMap<>(cql.toEnvironment());
        bad.put("FLI_CQL_COORDINATOR", "127.0.0.2");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> CqlConfig.fromEnvironment(bad))
                .hasMessageContaining("FLI_CQL_COORDINATOR: '127.0.0.2' is not host:port");
        CqlConfig anonymous = new CqlConfig(List.of(new InetSocketAddress("127.0.0.1", 9042)), "datacenter1", "fli",
                1, null, null, false, Duration.ofSeconds(4), true);
        assertThat(anonymous.toEnvironment()).doesNotContainKeys("FLI_CQL_USERNAME", "FLI_CQL_PASSWORD");
        assertThat(CqlConfig.fromEnvironment(anonymous.toEnvironment()).username()).isNull();

        S3Config s3 = new S3Config("http://127.0.0.1:9000", "key", "secret", "bucket-1", Duration.ofMillis(3_000));
        assertThat(S3Config.fromEnvironment(s3.toEnvironment())).isEqualTo(s3);
    }
}
