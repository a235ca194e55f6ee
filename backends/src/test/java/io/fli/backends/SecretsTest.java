package io.fli.backends;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SecretsTest {
    @TempDir
    Path dir;

    @Test
    void aSecretComesFromTheEnvironment() {
        assertThat(Secrets.value(Map.of("FLI_S3_SECRET_KEY", "s3cr3t"), "FLI_S3_SECRET_KEY")).isEqualTo("s3cr3t");
        assertThat(Secrets.value(Map.of(), "FLI_S3_SECRET_KEY")).isNull();
    }

    @Test
    void aMountedFileWinsOverTheVariableAndLosesItsTrailingNewline() throws Exception {
        Path f = dir.resolve("secret");
        Files.writeString(f, "from-file\n");
        assertThat(Secrets.value(Map.of("FLI_CQL_PASSWORD", "from-env", "FLI_CQL_PASSWORD_FILE", f.toString()),
                "FLI_CQL_PASSWORD")).isEqualTo("from-file");
    }

    @Test
    void anUnreadableOrEmptyFileIsAnErrorNamingTheVariableAndTheFileButNotTheSecret() throws Exception {
        Path missing = dir.resolve("nope");
        assertThatThrownBy(() -> Secrets.value(Map.of("FLI_CQL_PASSWORD", "hunter2", "FLI_CQL_PASSWORD_FILE",
                missing.toString()), "FLI_CQL_PASSWORD")).hasMessageContaining("FLI_CQL_PASSWORD_FILE")
                .hasMessageContaining(missing.toString()).hasMessageContaining("cannot be read")
                .hasMessageNotContaining("hunter2");
        Path empty = dir.resolve("empty");
        Files.writeString(empty, "\n");
        assertThatThrownBy(() -> Secrets.value(Map.of("FLI_CQL_PASSWORD_FILE", empty.toString()), "FLI_CQL_PASSWORD"))
                .hasMessageContaining("FLI_CQL_PASSWORD_FILE names " + empty + ", which is empty");
    }

    @Test
    void filesHoldingSecretsAreOwnerOnlyFromTheStart() throws Exception {
        Path env = dir.resolve("backends.env");
        Files.writeString(env, "old, world-readable");
        Files.setPosixFilePermissions(env, PosixFilePermissions.fromString("rw-r--r--"));
        Secrets.writePrivate(env, "FLI_S3_SECRET_KEY=abc\n");
        assertThat(Files.readString(env)).isEqualTo("FLI_S3_SECRET_KEY=abc\n");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(env))).isEqualTo("rw-------");
    }
}
