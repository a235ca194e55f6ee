package io.fli.checker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Stream;
import net.jqwik.api.Assume;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.statistics.Statistics;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The differential test of the streaming checker: on every golden history (full and compact answers), on random
 * model histories of a correct index and on corrupted ones, it gives the batch checker's verdict, per-invariant
 * verdicts, anomalies and counts — from its own judgments, not by falling back to the batch checker, except for
 * the histories whose judgments depend on later lines, which are named here with the reason. Each is checked twice:
 * with the chain in memory, and with every settled block moved to the on-disk store at once, so that nearly every
 * judgment reads blocks back from disk.
 */
class IncrementalCheckerTest {
    @TempDir
    Path tmp;

    static Stream<Path> goldens() throws Exception {
        return Stream.concat(GoldenHistoryTest.valid(), GoldenHistoryTest.invalid());
    }

    /**
     * Goldens whose verdict depends on lines after a judged query; the streaming checker must notice and say so
     * (these are then decided by the batch checker).
     */
    static final Set<String> DEPENDS_ON_LATER_LINES = Set.of(
            // the query shows block 3 before any publish of it is invoked; the sentence names the publish invoked later
            "visibility-barrier--head-before-its-publish-was-invoked.jsonl",
            // a second writer publishes another version of block 2 after queries showed the first
            "fork-fails-closed.jsonl");

    private static void assertSame(CheckResult streaming, CheckResult batch, String what) {
        assertThat(streaming.valid()).as(what + "\n" + Reports.text(batch)).isEqualTo(batch.valid());
        assertThat(streaming.invariants()).as(what).isEqualTo(batch.invariants());
        assertThat(streaming.anomalies()).as(what).containsExactlyElementsOf(batch.anomalies());
        assertThat(streaming.stats()).as(what).isEqualTo(batch.stats());
        assertThat(streaming.test()).as(what).isEqualTo(batch.test());
    }

    private IncrementalChecker.Outcome streamed(Path file, List<Anomaly> found) throws IOException {
        return IncrementalChecker.check(file, found::add);
    }

    /** Every block goes to disk as soon as it has settled: the on-disk chain answers nearly every judgment. */
    static final IncrementalChecker.Memory SPILL_ALL = new IncrementalChecker.Memory(1, 0);

    @ParameterizedTest(name = "{0}")
    @MethodSource("goldens")
    void goldenHistoriesGetTheBatchVerdict(Path file) throws Exception {
        check(file, file.getFileName().toString());
        Path compact = tmp.resolve("compact-" + file.getFileName());
        Files.writeString(compact, CompactAnswersTest.compact(Files.readString(file)));
        check(compact, file.getFileName().toString());
    }

    private void check(Path file, String name) throws IOException {
        CheckResult batch = Checker.check(History.read(file));
        List<Anomaly> found = new ArrayList<>();
        IncrementalChecker.Outcome o = streamed(file, found);
        if (DEPENDS_ON_LATER_LINES.contains(name)) {
            assertThat(o.inexact()).as(name).isNotNull();
        } else {
            assertThat(o.inexact()).as(name).isNull();
        }
        assertSame(o.result(), batch, name);
        if (o.inexact() != null) {
            return; // what it found as it went is provisional: the batch checker decided
        }
        // Every anomaly reported was handed over as found (the kept ones are a subset of all found).
        assertThat(found).containsAll(o.result().anomalies());
        assertThat((long) found.size()).isEqualTo(o.result().invariants().values().stream()
                .mapToLong(CheckResult.Verdict::anomalies).sum());
        // The same with the chain on disk.
        IncrementalChecker.Outcome spilled = IncrementalChecker.check(file, a -> { }, SPILL_ALL);
        assertSame(spilled.result(), batch, name + " (chain on disk: " + spilled.inexact() + ")");
        if (spilled.inexact() == null && spilled.progress().blocks() > 1) {
            assertThat(spilled.progress().coldBlocks()).as(name).isPositive();
        }
    }

    static Stream<Path> formatGoldens() throws Exception {
        return GoldenHistoryTest.format();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("formatGoldens")
    void malformedHistoriesGetTheSameError(Path file) {
        String expected;
        try {
            History.read(file);
            throw new AssertionError(file + " was expected to break the format");
        } catch (HistoryFormatException e) {
            expected = e.getMessage();
        } catch (IOException e) {
            throw new AssertionError(e);
        }
        assertThatThrownBy(() -> IncrementalChecker.check(file, a -> { }))
                .isInstanceOf(HistoryFormatException.class).hasMessage(expected);
    }

    @Property(tries = 150)
    void modelHistoriesGetTheBatchVerdict(@ForAll long seed) throws IOException {
        ModelHistories m = new ModelHistories(seed).generate(300);
        differential(m.text(), "seed " + seed);
    }

    @Property(tries = 300)
    void corruptedModelHistoriesGetTheBatchVerdict(@ForAll long seed, @ForAll CheckerProperties.Corruption c)
            throws IOException {
        ModelHistories m = new ModelHistories(seed).generate(300);
        Assume.that(CheckerProperties.apply(c, m, new Random(seed)));
        differential(m.text(), "seed " + seed + ", " + c);
    }

    private void differential(String text, String what) throws IOException {
        Path f = Files.createTempFile("fli-model", ".jsonl"); // jqwik properties get no @TempDir
        Files.writeString(f, text);
        CheckResult batch = Checker.check(History.read(f));
        IncrementalChecker.Outcome o = streamed(f, new ArrayList<>());
        Statistics.label("exact").collect(o.inexact() == null);
        assertSame(o.result(), batch, what + (o.inexact() == null ? "" : " (inexact: " + o.inexact() + ")"));
        Statistics.label("exact").coverage(cov -> cov.check(true).percentage(p -> p >= 90));
        IncrementalChecker.Outcome spilled = IncrementalChecker.check(f, a -> { }, SPILL_ALL);
        Statistics.label("exact with the chain on disk").collect(spilled.inexact() == null);
        assertSame(spilled.result(), batch, what + " (chain on disk: " + spilled.inexact() + ")");
        Statistics.label("exact with the chain on disk").coverage(cov -> cov.check(true).percentage(p -> p >= 90));
        Files.delete(f);
    }

    @Test
    void aLiveCheckReportsAnomaliesBeforeTheHistoryEnds() throws Exception {
        // A long correct history with an early query made to return a stale head.
        ModelHistories m = new ModelHistories(7).generate(4_000);
        var queries = m.lines.stream().filter(n -> n.get("f").asText().equals("query")
                && n.get("type").asText().equals("ok") && n.get("value").get("head").asLong() > 3).toList();
        var victim = queries.get(5);
        int victimIndex = victim.get("index").asInt();
        ((com.fasterxml.jackson.databind.node.ObjectNode) victim.get("value")).put("head", 0);
        ((com.fasterxml.jackson.databind.node.ObjectNode) victim.get("value")).putArray("logs");
        String[] lines = m.text().split("\n");
        Path file = tmp.resolve("live.jsonl");
        Files.writeString(file, m.text());
        List<Anomaly> found = new CopyOnWriteArrayList<>();
        try (IncrementalChecker.Live live = new IncrementalChecker.Live(file, 1_000, found::add)) {
            int fed = 0;
            while (fed < lines.length && found.isEmpty()) {
                live.offer(lines[fed++]);
                if (fed % 500 == 0) {
                    // give the checker thread a chance: the anomaly should surface long before the end
                    long deadline = System.nanoTime() + 60_000_000_000L;
                    while (found.isEmpty() && live.lag() > 300 && System.nanoTime() < deadline) {
                        Thread.sleep(5);
                    }
                }
            }
            assertThat(found).as("an anomaly was reported while the history was still being fed").isNotEmpty();
            assertThat(found.get(0).ops()).contains(victimIndex);
            assertThat(fed).isLessThan(lines.length);
            while (fed < lines.length) {
                live.offer(lines[fed++]);
            }
            IncrementalChecker.Outcome o = live.finish();
            assertThat(o.inexact()).isNull();
            assertSame(o.result(), Checker.check(History.read(file)), "live");
            assertThat(o.progress().opsRead()).isEqualTo(lines.length - 1);
            assertThat(live.lag()).isZero();
        }
    }

    @Test
    void aHistoryWhoseBlockIsPublishedAgainAfterAQueryShowedItIsHandedToTheBatchChecker() throws Exception {
        String h = String.join("\n",
                "{\"format\":\"finalized-log-index-history\",\"version\":1,\"test\":{}}",
                "{\"index\":0,\"time\":0,\"process\":0,\"type\":\"invoke\",\"f\":\"publish\",\"value\":{\"writer\":\"a\","
                        + "\"epoch\":1,\"blocks\":[{\"number\":1,\"hash\":\"0x1\",\"logs\":[]}]}}",
                "{\"index\":1,\"time\":1,\"process\":0,\"type\":\"info\",\"f\":\"publish\",\"value\":{\"writer\":\"a\","
                        + "\"epoch\":1,\"blocks\":[{\"number\":1,\"hash\":\"0x1\",\"logs\":[]}],\"error\":\"timeout\"}}",
                "{\"index\":2,\"time\":2,\"process\":1,\"type\":\"invoke\",\"f\":\"query\",\"value\":{\"from\":1,\"to\":1,"
                        + "\"addresses\":[],\"topics\":[]}}",
                "{\"index\":3,\"time\":3,\"process\":1,\"type\":\"ok\",\"f\":\"query\",\"value\":{\"from\":1,\"to\":1,"
                        + "\"addresses\":[],\"topics\":[],\"head\":1,\"logs\":[]}}",
                // a retry of the same block, acknowledged after the query was judged
                "{\"index\":4,\"time\":4,\"process\":2,\"type\":\"invoke\",\"f\":\"publish\",\"value\":{\"writer\":\"a\","
                        + "\"epoch\":1,\"blocks\":[{\"number\":1,\"hash\":\"0x1\",\"logs\":[]}]}}",
                "{\"index\":5,\"time\":5,\"process\":2,\"type\":\"ok\",\"f\":\"publish\",\"value\":{\"writer\":\"a\","
                        + "\"epoch\":1,\"blocks\":[{\"number\":1,\"hash\":\"0x1\",\"logs\":[]}],\"head\":1}}",
                "");
        Path file = tmp.resolve("retry.jsonl");
        Files.writeString(file, h);
        IncrementalChecker.Outcome o = streamed(file, new ArrayList<>());
        assertThat(o.inexact()).contains("block 1 changed at operation 5");
        assertSame(o.result(), Checker.check(History.read(file)), "retry");
    }

    @Test
    void exactHistoriesAreDecidedWithoutTheBatchChecker() throws Exception {
        // Only the goldens named above need the batch checker, so the list cannot hide a broken streaming checker.
        Set<String> names = new TreeSet<>();
        goldens().forEach(p -> names.add(p.getFileName().toString()));
        assertThat(names).containsAll(DEPENDS_ON_LATER_LINES);
        assertThat(names.size() - DEPENDS_ON_LATER_LINES.size()).isGreaterThanOrEqualTo(30);
    }
}
