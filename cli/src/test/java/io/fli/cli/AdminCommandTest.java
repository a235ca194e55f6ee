package io.fli.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fli.engine.BlobStore;
import io.fli.engine.IndexConfig;
import io.fli.engine.LogIndex;
import io.fli.engine.MetaStore;
import io.fli.engine.Writer;
import io.fli.workloads.ChainGenerator;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code fli admin} on stores a writer filled: status, lease and verify print what the stores hold, and every
 * action — including one that found problems and one that could not reach the stores — is in the audit log, with no
 * secret in it.
 */
class AdminCommandTest {
    @TempDir
    Path dir;

    private final MetaStore meta = MetaStore.inMemory();
    private final BlobStore blobs = BlobStore.inMemory();
    private static final String SECRET = "s3cr3t-password-value";
    private long logs;

    @AfterEach
    void reset() {
        AdminCommand.openForTests = null;
    }

    private void filled() {
        LogIndex index = LogIndex.open(meta, blobs, IndexConfig.defaults());
        Writer w = index.writer("writer-a");
        w.acquire();
        ChainGenerator gen = new ChainGenerator(ChainGenerator.Shape.defaults(3).withLogsPerBlock(4));
        List<io.fli.engine.Block> chain = gen.blocks(0, 10);
        logs = chain.stream().mapToLong(x -> x.logs().size()).sum();
        w.publish(chain);
        AdminCommand.openForTests = a -> new AdminCommand.Opened(meta, blobs, List.of(), List.of(SECRET));
    }

    private List<JsonNode> audit() throws Exception {
        ObjectMapper m = new ObjectMapper();
        return Files.readAllLines(dir.resolve("audit.jsonl")).stream().map(l -> {
            try {
                return m.readTree(l);
            } catch (Exception e) {
                throw new AssertionError(l, e);
            }
        }).toList();
    }

    private CliTest.Run admin(String... args) {
        String[] all = new String[args.length + 5];
        all[0] = "admin";
        all[1] = "--audit-log";
        all[2] = dir.resolve("audit.jsonl").toString();
        all[3] = "--actor";
        all[4] = "oncall-1";
        System.arraycopy(args, 0, all, 5, args.length);
        return CliTest.fli(all);
    }

    @Test
    void statusLeaseAndVerifyAreReportedAndAudited() throws Exception {
        filled();
        CliTest.Run status = admin("status");
        assertThat(status.code()).as(status.err()).isZero();
        assertThat(status.out()).contains("meta/state version", "head 9 (", "first block 0, " + logs + " logs",
                "lease: held by writer 'writer-a'", "segments: 1, tier 0: 1");
        CliTest.Run json = admin("status", "--json");
        JsonNode n = new ObjectMapper().readTree(json.out());
        assertThat(n.get("head").asLong()).isEqualTo(9);
        assertThat(n.get("lease_holder").asText()).isEqualTo("writer-a");
        CliTest.Run lease = admin("lease", "show");
        assertThat(lease.out()).startsWith("lease: held by writer 'writer-a'");
        CliTest.Run verify = admin("verify");
        assertThat(verify.code()).isZero();
        assertThat(verify.out()).contains("packs", "bytes read: OK");

        // a damaged pack: verify names it and exits 1
        String pack = blobs.list("packs/").get(0).key();
        byte[] b = blobs.get(pack).orElseThrow();
        blobs.delete(pack);
        blobs.putIfAbsent(pack, java.util.Arrays.copyOf(b, b.length / 2));
        CliTest.Run bad = admin("verify", "--json");
        assertThat(bad.code()).isEqualTo(1);
        assertThat(new ObjectMapper().readTree(bad.out()).get("problems").get(0).asText()).startsWith("pack " + pack);

        List<JsonNode> lines = audit();
        assertThat(lines).extracting(l -> l.get("action").asText())
                .containsExactly("status", "status", "lease show", "verify", "verify");
        assertThat(lines).allSatisfy(l -> {
            assertThat(l.get("actor").asText()).isEqualTo("oncall-1");
            assertThat(l.get("time").asText()).isNotBlank();
            assertThat(l.toString()).doesNotContain(SECRET);
        });
        assertThat(lines.get(3).get("outcome").asText()).isEqualTo("ok");
        assertThat(lines.get(4).get("outcome").asText()).isEqualTo("problems");
        assertThat(lines.get(4).get("detail").get("problems").get(0).asText()).contains(pack);
        assertThat(lines.get(1).get("args").toString()).contains("--json");
    }

    @Test
    void gcPlansWithoutTheLeaseRefusesWhileAWriterHoldsItAndRunsAfterATakeover() throws Exception {
        filled();
        blobs.putIfAbsent("packs/0000000000000009/stray-0000000000000001-00000000", new byte[100]);
        CliTest.Run young = admin("gc", "--dry-run");
        assertThat(young.code()).isZero();
        assertThat(young.out()).contains("0 unreferenced older than", "1 younger kept as backlog (100 bytes)");
        CliTest.Run plan = admin("gc", "--dry-run", "--grace", "0s", "--json");
        assertThat(plan.code()).as(plan.err() + plan.out()).isZero();
        JsonNode p = new ObjectMapper().readTree(plan.out());
        assertThat(p.get("due").asInt()).isEqualTo(1);
        assertThat(p.get("due_keys").get(0).asText()).endsWith("stray-0000000000000001-00000000");
        assertThat(p.get("referenced").asInt()).isPositive();

        CliTest.Run refused = admin("gc", "--grace", "0s");
        assertThat(refused.code()).isEqualTo(1);
        assertThat(refused.out()).contains("gc refused", "writer-a");
        assertThat(blobs.list("packs/")).hasSize(2); // nothing deleted

        CliTest.Run take = admin("lease", "takeover", "--writer", "admin", "--reason", "writer-a is stuck");
        assertThat(take.code()).as(take.err()).isZero();
        assertThat(take.out()).contains("lease taken over by writer 'admin' with epoch 2",
                "(writer 'writer-a', epoch 1, is fenced)");
        CliTest.Run gc = admin("gc", "--grace", "0s");
        assertThat(gc.code()).as(gc.err() + gc.out()).isZero();
        assertThat(gc.out()).startsWith("gc: deleted 1 blobs (100 bytes)");
        assertThat(blobs.list("packs/")).hasSize(1);
        assertThat(admin("verify").out()).contains("bytes read: OK");

        List<JsonNode> lines = audit();
        assertThat(lines).extracting(l -> l.get("action").asText() + " " + l.get("outcome").asText())
                .containsExactly("gc --dry-run ok", "gc --dry-run ok", "gc refused", "lease takeover ok", "gc ok",
                        "verify ok");
        assertThat(lines.get(3).get("detail").get("reason").asText()).isEqualTo("writer-a is stuck");
        assertThat(lines.get(3).get("detail").get("previous_holder").asText()).isEqualTo("writer-a");
    }

    @Test
    void clearDegradedIsRefusedWhileTheDamageIsThereAndClearsOnceRepaired() throws Exception {
        filled();
        try (io.fli.serve.Serve serve = io.fli.serve.Serve.start(new io.fli.serve.Serve.Config("127.0.0.1", 0, false,
                1, 10, 1, "serve-test"), meta, blobs, "memory")) {
            String url = "http://127.0.0.1:" + serve.port();
            String pack = blobs.list("packs/").get(0).key();
            byte[] good = blobs.get(pack).orElseThrow();
            byte[] bad = good.clone();
            bad[bad.length / 2] ^= 0x10;
            blobs.delete(pack);
            blobs.putIfAbsent(pack, bad);
            // A query reads the damaged pack: the server fails closed.
            java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();
            http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(url)).POST(java.net.http.HttpRequest
                    .BodyPublishers.ofString("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"eth_getLogs\","
                            + "\"params\":[{\"fromBlock\":\"0x0\",\"toBlock\":\"0x9\"}]}")).build(),
                    java.net.http.HttpResponse.BodyHandlers.ofString());
            assertThat(health(http, url)).contains("\"status\":\"degraded\"");

            CliTest.Run refused = admin("clear-degraded", "--url", url, "--reason", "pack restored");
            assertThat(refused.code()).isEqualTo(1);
            assertThat(refused.err()).contains("refused", "HTTP 409", "still degraded", pack);
            assertThat(health(http, url)).contains("\"status\":\"degraded\"");

            blobs.delete(pack);
            blobs.putIfAbsent(pack, good); // restored from a backup
            CliTest.Run cleared = admin("clear-degraded", "--url", url, "--reason", "pack restored");
            assertThat(cleared.code()).as(cleared.err()).isZero();
            assertThat(cleared.out()).contains("is ok");
            assertThat(health(http, url)).contains("\"status\":\"ok\"");
        }
        List<JsonNode> lines = audit();
        assertThat(lines).extracting(l -> l.get("action").asText() + " " + l.get("outcome").asText())
                .containsExactly("clear-degraded refused", "clear-degraded ok");
        assertThat(lines.get(0).get("detail").get("response").get("error").asText()).contains("still degraded");
    }

    private static String health(java.net.http.HttpClient http, String url) throws Exception {
        return http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(url + "/health")).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString()).body();
    }

    @Test
    void anActionThatCannotReachTheStoresIsAuditedAsFailed() throws Exception {
        AdminCommand.openForTests = a -> {
            throw new IllegalStateException("connection refused to 127.0.0.1:9042");
        };
        CliTest.Run r = admin("status");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("cannot reach the stores", "connection refused");
        JsonNode line = audit().get(0);
        assertThat(line.get("outcome").asText()).isEqualTo("failed");
        assertThat(line.get("detail").get("error").asText()).contains("connection refused");
    }

    @Test
    void secretsInArgumentsNeverReachTheAuditLog() {
        assertThat(AuditLog.redact(List.of("--s3-secret-key", "abcd1234", "--password=hunter22", "--plain",
                "x-" + SECRET), List.of(SECRET))).containsExactly("--s3-secret-key", AuditLog.REDACTED,
                "--password=" + AuditLog.REDACTED, "--plain", "x-" + AuditLog.REDACTED);
    }
}
