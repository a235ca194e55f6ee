package io.fli.checker.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.fli.checker.History;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A gzip history cut off anywhere (still being written, or killed) reads as its complete lines, and says so. */
class CompleteLinesTest {
    @TempDir
    Path dir;

    private static byte[] gzip(String text, boolean syncEveryLine) throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        GZIPOutputStream gz = new GZIPOutputStream(bytes, 512, true);
        for (String line : text.split("(?<=\n)")) {
            gz.write(line.getBytes(StandardCharsets.UTF_8));
            if (syncEveryLine) {
                gz.flush();
            }
        }
        gz.finish();
        return bytes.toByteArray();
    }

    private static final String HEADER = "{\"format\":\"finalized-log-index-history\",\"version\":1,\"test\":{}}\n";

    private static String ops(int n) {
        StringBuilder sb = new StringBuilder(HEADER);
        for (int i = 0; i < n; i++) {
            sb.append("{\"index\":").append(i).append(",\"time\":").append(i)
                    .append(",\"process\":\"nemesis\",\"type\":\"info\",\"f\":\"gc\",\"value\":{\"deleted\":1}}\n");
        }
        return sb.toString();
    }

    @Test
    void aCompleteFileIsReadWholeAndNotTruncated() throws Exception {
        Path f = dir.resolve("h.jsonl.gz");
        Files.write(f, gzip(ops(50), false));
        History h = History.read(f);
        assertThat(h.ops()).hasSize(50);
        assertThat(h.truncated()).isFalse();
    }

    @Test
    void aFileCutAnywhereGivesItsCompleteLinesOnly() throws Exception {
        byte[] whole = gzip(ops(200), true);
        int lastCount = -1;
        for (int cut = 40; cut < whole.length - 8; cut += 97) {
            Path f = dir.resolve("cut" + cut + ".jsonl.gz");
            Files.write(f, Arrays.copyOf(whole, cut));
            History h;
            try {
                h = History.read(f);
            } catch (io.fli.checker.HistoryFormatException e) {
                // cut inside the header: nothing complete to read
                assertThat(e.getMessage()).contains("line 1");
                continue;
            }
            assertThat(h.truncated()).as("cut at %d", cut).isTrue();
            assertThat(h.ops().size()).isBetween(0, 200).isGreaterThanOrEqualTo(lastCount);
            lastCount = h.ops().size();
            for (int i = 0; i < h.ops().size(); i++) {
                assertThat(h.ops().get(i).index()).isEqualTo(i);
            }
        }
        assertThat(lastCount).isGreaterThan(150);
    }
}
