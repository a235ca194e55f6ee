package io.fli.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code fli test --backend local --secure} (issue #12): a run with process, engine and network faults on the secure
 * profile (TLS to both servers, the index processes as {@code fli_writer}) is valid, and no secret of the run appears
 * anywhere in its run folder — history, {@code test.json}, logs of fli, of its index processes and of both servers, plots, metrics —
 * except in the files that exist to hold it, each of them owner-only.
 */
class SecureTestCommandTest {
    @TempDir
    Path store;

    /**
     * Files that hold secrets by design: the secret mounts, the keystores and their password, the servers' own
     * configuration. (The certificates, {@code tls/*.pem}, are public and scanned like everything else.)
     */
    private static boolean holdsSecretsByDesign(Path servers, Path f) {
        return f.startsWith(servers.resolve("secrets")) || f.toString().endsWith(".p12")
                || f.equals(servers.resolve("tls").resolve("keystore-password"))
                || f.equals(servers.resolve("cassandra").resolve("conf").resolve("cassandra.yaml"))
                || f.equals(servers.resolve("s3proxy").resolve("s3proxy.properties"));
    }

    @Test
    void aSecureRunWithFaultsIsValidAndLeaksNoSecret() throws Exception {
        // Process, engine and network faults (the network ones through proxies that pass TLS on unchanged).
        CliTest.Run r = CliTest.fli("test", "--backend", "local", "--secure", "--nemesis",
                "kill,pause,crash,lost-reply,partition-meta,reset", "--time", "30s", "--store", store.toString());
        assertThat(r.code()).as(r.out() + r.err()).isZero();
        assertThat(r.out()).contains("backend local (secure)", "VALID");
        Path run;
        try (Stream<Path> s = Files.list(store.resolve("ingest-query"))) {
            run = s.filter(Files::isDirectory).findFirst().orElseThrow();
        }
        assertThat(Files.readString(run.resolve("test.json"))).contains("\"secure\" : true");
        Path servers = run.resolve("servers");
        assertThat(Files.readString(servers.resolve("backends.env"))).contains("FLI_CQL_TLS=true",
                "FLI_S3_ENDPOINT=https://127.0.0.1:");

        // The secrets of the run, as the files made for them hold them.
        List<String> secrets = new ArrayList<>();
        try (Stream<Path> s = Files.list(servers.resolve("secrets"))) {
            for (Path f : s.toList()) {
                secrets.add(Files.readString(f).strip());
            }
        }
        secrets.add(Files.readString(servers.resolve("tls").resolve("keystore-password")).strip());
        assertThat(secrets).hasSizeGreaterThanOrEqualTo(6).allSatisfy(v -> assertThat(v).hasSizeGreaterThan(16));

        List<Path> scanned = new ArrayList<>();
        try (Stream<Path> s = Files.walk(run)) {
            for (Path f : s.filter(Files::isRegularFile).toList()) {
                if (holdsSecretsByDesign(servers, f)) {
                    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(f))).as(f.toString())
                            .isEqualTo("rw-------");
                    continue;
                }
                String content = new String(Files.readAllBytes(f), StandardCharsets.ISO_8859_1);
                for (String secret : secrets) {
                    assertThat(content.contains(secret)).as("a secret in %s", f).isFalse();
                }
                scanned.add(f);
            }
        }
        // The scan covered what a run records: its history, configuration and the logs of every process.
        assertThat(scanned).extracting(p -> run.relativize(p).toString()).contains("history.jsonl", "test.json",
                "fli.log", "servers/backends.env", "servers/cassandra/logs/system.log",
                "servers/cassandra/logs/audit.log", "processes/p0.log", "servers/tls/ca.pem");
        assertThat(r.out()).doesNotContain(secrets.get(0));
    }
}
