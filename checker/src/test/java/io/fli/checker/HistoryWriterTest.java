package io.fli.checker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HistoryWriterTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    private static ObjectNode obj(String json) throws Exception {
        return (ObjectNode) JSON.readTree(json);
    }

    @Test
    void aRunKilledMidwayLeavesACheckablePrefix() throws Exception {
        Path file = dir.resolve("history.jsonl");
        AtomicLong clock = new AtomicLong(1_000);
        HistoryWriter w = new HistoryWriter(Files.newOutputStream(file), obj("{\"name\":\"t\",\"seed\":3}"),
                () -> clock.addAndGet(10));
        w.invoke(0, "acquire", obj("{\"writer\":\"w1\"}"));
        w.complete(0, Op.Type.OK, obj("{\"writer\":\"w1\",\"epoch\":1}"));
        w.invoke(0, "publish", obj("{\"writer\":\"w1\",\"epoch\":1,\"blocks\":[{\"number\":1,\"hash\":\"0x1\",\"logs\":[]}]}"));
        w.invoke(1, "query", obj("{\"from\":null,\"to\":null}"));
        w.nemesis(Op.Type.INVOKE, "kill", obj("{\"target\":\"index\"}"));
        // The process dies here: no close, no completions. Every line written so far is on disk.
        History h = History.read(file);
        assertThat(h.ops()).hasSize(5);
        assertThat(h.test().get("seed").asInt()).isEqualTo(3);
        assertThat(h.ops()).extracting(Op::time).isSorted();
        CheckResult r = Checker.check(h);
        assertThat(r.valid()).isEqualTo(Validity.VALID);
        assertThat(r.stats().byF().get("publish").get("incomplete")).isEqualTo(1L);
        w.close();
    }

    @Test
    void theWriterRefusesLinesThatWouldBreakTheFormat() throws Exception {
        HistoryWriter w = new HistoryWriter(new java.io.ByteArrayOutputStream(), null, System::nanoTime);
        w.invoke(0, "query", obj("{}"));
        assertThatThrownBy(() -> w.invoke(0, "query", obj("{}"))).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("already has an outstanding query");
        assertThatThrownBy(() -> w.complete(5, Op.Type.OK, obj("{}"))).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("no outstanding operation");
        w.complete(0, Op.Type.INFO, obj("{}"));
        assertThatThrownBy(() -> w.invoke(0, "query", obj("{}"))).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("ended in info");
        assertThatThrownBy(() -> w.nemesis(Op.Type.OK, "kill", obj("{}")))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aFailedWriteLeavesTheRecorderConsistent() throws Exception {
        boolean[] full = {false};
        java.io.OutputStream disk = new java.io.ByteArrayOutputStream() {
            @Override
            public void write(byte[] b, int off, int len) {
                if (full[0]) {
                    throw new java.io.UncheckedIOException(new java.io.IOException("No space left on device"));
                }
                super.write(b, off, len);
            }
        };
        HistoryWriter w = new HistoryWriter(disk, null, System::nanoTime);
        full[0] = true;
        assertThatThrownBy(() -> w.invoke(0, "query", obj("{}"))).hasMessageContaining("No space left");
        full[0] = false;
        // The failed invoke was never recorded: the process is free, and nothing is waiting to be completed.
        assertThatThrownBy(() -> w.complete(0, Op.Type.OK, obj("{}"))).isInstanceOf(IllegalStateException.class);
        w.invoke(0, "query", obj("{}"));
        w.complete(0, Op.Type.OK, obj("{\"head\":null,\"logs\":[]}"));
        History h = io.fli.checker.internal.HistoryParser.parse(new java.io.BufferedReader(new java.io.StringReader(
                disk.toString())));
        assertThat(h.ops()).hasSize(2);
    }

    @Test
    void gzippedHistoriesAreRead() throws Exception {
        Path src = GoldenHistoryTest.dir("valid").resolve("restart.jsonl");
        Path gz = dir.resolve("restart.jsonl.gz");
        try (var out = new java.util.zip.GZIPOutputStream(Files.newOutputStream(gz))) {
            Files.copy(src, out);
        }
        assertThat(History.read(gz)).isEqualTo(History.read(src));
    }
}
