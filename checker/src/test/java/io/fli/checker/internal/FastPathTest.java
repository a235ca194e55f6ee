package io.fli.checker.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.fli.checker.History;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The streaming fast path and the ordinary tree path make the same history of every golden file, and report the same
 * broken rule for every malformed one: the fast path only ever skips work, never changes an answer.
 */
class FastPathTest {
    private static final Path GOLDEN = Path.of("src/test/resources/golden");

    @AfterEach
    void restore() {
        HistoryParser.FAST_PATH = true;
    }

    private static List<Path> files(String dir) throws IOException {
        try (Stream<Path> s = Files.walk(GOLDEN.resolve(dir))) {
            return s.filter(p -> p.toString().endsWith(".jsonl")).sorted().toList();
        }
    }

    private static Object outcome(Path f) {
        try {
            return HistoryParser.read(f);
        } catch (IOException | RuntimeException e) {
            return e.getClass().getSimpleName() + ": " + e.getMessage();
        }
    }

    @Test
    void bothPathsAgreeOnEveryGoldenFile() throws IOException {
        List<Path> all = new java.util.ArrayList<>(files("valid"));
        all.addAll(files("invalid"));
        all.addAll(files("format"));
        assertThat(all).hasSizeGreaterThan(40);
        int parsed = 0;
        for (Path f : all) {
            HistoryParser.FAST_PATH = true;
            Object fast = outcome(f);
            HistoryParser.FAST_PATH = false;
            Object tree = outcome(f);
            assertThat(fast).as(f.toString()).isEqualTo(tree);
            if (fast instanceof History) {
                parsed++;
            }
        }
        assertThat(parsed).isGreaterThan(20);
    }

    @Test
    void theFastPathReallyRunsAndFallsBackOnWhatItDoesNotHandle() throws IOException {
        FastLines fl = new FastLines(new java.util.concurrent.ConcurrentHashMap<>());
        assertThat(fl.parse("{\"index\":0,\"time\":5,\"process\":1,\"type\":\"invoke\",\"f\":\"acquire\","
                + "\"value\":{\"writer\":\"w1\"}}")).isNotNull();
        assertThat(fl.parse("{\"index\":0,\"time\":5,\"process\":\"nemesis\",\"type\":\"info\",\"f\":\"kill\","
                + "\"value\":{}}")).isNull();
        assertThat(fl.parse("{\"index\":0,\"index\":1,\"time\":5,\"process\":1,\"type\":\"invoke\",\"f\":\"acquire\","
                + "\"value\":{\"writer\":\"w1\"}}")).as("duplicated field").isNull();
        assertThat(fl.parse("{\"index\":0,\"time\":5,\"process\":1,\"type\":\"OK\",\"f\":\"acquire\","
                + "\"value\":{\"epoch\":1}}")).as("upper-case type").isNull();
        assertThat(fl.parse("{\"value\":{\"writer\":\"w1\"},\"index\":0,\"time\":5,\"process\":1,\"type\":\"invoke\","
                + "\"f\":\"acquire\"}")).as("value first").isNull();
        assertThat(catchThrowable(() -> fl.parse("{not json"))).isNull();
    }
}
