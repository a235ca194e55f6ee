package io.fli.workloads;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.fli.engine.CasResult;
import io.fli.engine.MetaRecord;
import io.fli.engine.MetaStore;
import io.fli.engine.WriteHook;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The harness's record of unknown CAS outcomes: settled by its own read, put down to the fault in force. */
class CasOutcomesTest {
    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /** Loses the reply of the next conditional write: before it applies or after. */
    private static final class LoseNext implements WriteHook {
        final AtomicReference<String> side = new AtomicReference<>();

        @Override
        public void beforeWrite(WritePoint p) {
            if ("before".equals(side.get()) && p.store().equals("meta")) {
                side.set(null);
                throw new LostReply("lost before " + p);
            }
        }

        @Override
        public void afterWrite(WritePoint p) {
            if ("after".equals(side.get()) && p.store().equals("meta")) {
                side.set(null);
                throw new LostReply("lost after " + p);
            }
        }
    }

    @Test
    void aLostReplyIsSettledByAReadAndRecordedAsAppliedOrNot(@TempDir Path dir) throws Exception {
        LoseNext hook = new LoseNext();
        Path file = dir.resolve("p0-cas-unknown.jsonl");
        MetaStore store = CasOutcomes.observe(MetaStore.inMemory(hook), file, "p0");
        assertThat(store.putIfAbsent("meta/state", 1, b("v1"))).isInstanceOf(CasResult.Applied.class);
        hook.side.set("after");
        assertThat(store.compareAndSet("meta/state", 1, 1, 1, b("v2"))).isInstanceOf(CasResult.Unknown.class);
        // Settled on a thread of its own, at once: each read here before the next write changes the record.
        ((CasOutcomes) store).awaitSettled();
        hook.side.set("before");
        assertThat(store.compareAndSet("meta/state", 2, 1, 1, b("v3"))).isInstanceOf(CasResult.Unknown.class);
        ((CasOutcomes) store).awaitSettled();
        hook.side.set("before");
        assertThat(store.putIfAbsent("other", 1, b("x"))).isInstanceOf(CasResult.Unknown.class);
        ((CasOutcomes) store).awaitSettled();
        assertThat(store.compareAndSet("meta/state", 2, 1, 1, b("v3"))).isInstanceOf(CasResult.Applied.class);

        List<String> lines = Files.readAllLines(file);
        assertThat(lines).hasSize(3);
        JsonNode first = Run.JSON.readTree(lines.get(0));
        assertThat(first.path("outcome").asText()).isEqualTo("applied");
        assertThat(first.path("op").asText()).isEqualTo("cas");
        assertThat(first.path("expected_version").asLong()).isEqualTo(1);
        assertThat(first.path("process").asText()).isEqualTo("p0");
        assertThat(first.path("cause").asText()).contains("LostReply");
        assertThat(Run.JSON.readTree(lines.get(1)).path("outcome").asText()).isEqualTo("not-applied");
        assertThat(Run.JSON.readTree(lines.get(2)).path("op").asText()).isEqualTo("put-if-absent");
        assertThat(Run.JSON.readTree(lines.get(2)).path("outcome").asText()).isEqualTo("not-applied");
    }

    @Test
    void theOutcomeFollowsFromWhatTheReadFinds() {
        byte[] mine = b("mine");
        MetaRecord at2mine = new MetaRecord("k", 2, 1, mine);
        MetaRecord at2theirs = new MetaRecord("k", 2, 1, b("theirs"));
        assertThat(CasOutcomes.outcome(Optional.of(at2mine), 1, mine)).isEqualTo("applied");
        assertThat(CasOutcomes.outcome(Optional.of(at2theirs), 1, mine)).isEqualTo("not-applied");
        assertThat(CasOutcomes.outcome(Optional.of(new MetaRecord("k", 1, 1, b("old"))), 1, mine))
                .isEqualTo("not-applied");
        assertThat(CasOutcomes.outcome(Optional.of(new MetaRecord("k", 5, 1, mine)), 1, mine)).isEqualTo("unresolved");
        assertThat(CasOutcomes.outcome(Optional.empty(), 0, mine)).isEqualTo("not-applied");
        assertThat(CasOutcomes.outcome(Optional.empty(), 3, mine)).isEqualTo("unresolved");
    }

    @Test
    void eachOutcomeIsPutDownToTheFaultInForceOrItsAftermath(@TempDir Path dir) throws Exception {
        String line = "{\"wall_ms\":%d,\"process\":\"%s\",\"op\":\"cas\",\"key\":\"meta/state\","
                + "\"expected_version\":3,\"outcome\":\"%s\",\"cause\":\"WriteTimeoutException: x\"}\n";
        Files.writeString(dir.resolve("p0-cas-unknown.jsonl"), line.formatted(1_000, "p0", "applied")
                + line.formatted(25_000, "p0", "not-applied") + "{\"wall_ms\":");
        Files.writeString(dir.resolve("p1-cas-unknown.jsonl"), line.formatted(2_000 + CasOutcomes.AFTERMATH_MS + 3_000,
                "p1", "applied") + line.formatted(60_000, "p1", "unresolved"));
        Files.writeString(dir.resolve("p1.log"), "not an outcome file\n");
        List<CasOutcomes.Window> windows = List.of(new CasOutcomes.Window("kill-node", 500, 2_000),
                new CasOutcomes.Window("partition-nodes", 20_000, 30_000));
        JsonNode s = CasOutcomes.summarize(dir, windows);
        assertThat(s.path("total").asInt()).isEqualTo(4);
        assertThat(s.path("applied").asInt()).isEqualTo(2);
        assertThat(s.path("not-applied").asInt()).isEqualTo(1);
        assertThat(s.path("unresolved").asInt()).isEqualTo(1);
        assertThat(s.path("by_fault").path("kill-node").path("total").asInt()).isEqualTo(1);
        assertThat(s.path("by_fault").path("kill-node").path("applied").asInt()).isEqualTo(1);
        assertThat(s.path("by_fault").path("partition-nodes").path("total").asInt()).isEqualTo(1);
        // after the kill's aftermath and before the partition: no fault near it
        assertThat(s.path("by_fault").path("none").path("total").asInt()).isEqualTo(2);
        assertThat(s.path("events").get(0).path("fault").asText()).isEqualTo("kill-node");
        assertThat(CasOutcomes.describe(s)).startsWith("4 (2 applied, 1 not applied, 1 unresolved)")
                .contains("kill-node 1 (1 applied)");
    }

    @Test
    void withoutAFileTheStoreIsUntouched() {
        MetaStore base = MetaStore.inMemory();
        assertThat(CasOutcomes.observe(base, null, "p0")).isSameAs(base);
    }
}
