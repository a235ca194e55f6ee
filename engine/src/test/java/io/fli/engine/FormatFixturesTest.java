package io.fli.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fli.engine.internal.InMemoryBlobStore;
import io.fli.engine.internal.InMemoryMetaStore;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * Upgrades: the stored formats of every release stay readable. {@code src/test/resources/fixtures/<release>/} holds
 * an index as that release wrote it — every blob under its key, {@code meta/state} with its version and epoch — and
 * the answers it gave to a fixed set of queries. Every later build must open it and give the same answers. Fixtures
 * are committed once per release and never regenerated (a format change adds a release folder; it does not rewrite an
 * old one). A build facing data newer than it reads fails closed with "upgrade required", never misreading.
 */
class FormatFixturesTest {
    private static final Path FIXTURES = Path.of("src/test/resources/fixtures");
    /** The release whose formats this build writes (its fixture is the one {@link #writeFixture} would create). */
    static final String CURRENT = "v0.2";

    static List<Block> chain() {
        return TestChains.chain(20261202L, 100, 60, 6);
    }

    static List<LogQuery> queries() {
        Random r = new Random(7);
        List<LogQuery> qs = new ArrayList<>();
        for (int i = 0; i < 60; i++) {
            qs.add(TestChains.randomQuery(r, 100, 159));
        }
        qs.add(LogQuery.range(null, null, null, null));
        return qs;
    }

    /** One line per query: the query and its answer, canonical. */
    static List<String> answers(LogIndex index) {
        List<String> out = new ArrayList<>();
        for (LogQuery q : queries()) {
            StringBuilder b = new StringBuilder(q.toString()).append(" -> ");
            try {
                QueryResult r = index.query(q);
                b.append("head ").append(r.head());
                for (MatchedLog m : r.logs()) {
                    b.append(" | ").append(m.block()).append(' ').append(m.blockHash()).append(' ').append(m.log());
                }
            } catch (InvalidQueryException e) {
                b.append("invalid: ").append(e.getMessage());
            }
            out.add(b.toString());
        }
        return out;
    }

    /**
     * The fixtures of the current release and the segment format each is written in (formats 3, 4 and 5 are opt-in
     * in v0.2: {@code docs/upgrade.md}); a folder per opt-in format, so every format a release writes stays read.
     */
    static final java.util.Map<String, Integer> CURRENT_FIXTURES = java.util.Map.of(CURRENT, 3,
            CURRENT + "-segment-format-4", 4, CURRENT + "-segment-format-5", 5);

    /** Writes the current release's missing fixtures (run once per release: -Dfli.fixtures.write=true). */
    @Test
    void writeFixture() throws IOException {
        Assumptions.assumeTrue(Boolean.getBoolean("fli.fixtures.write"), "writes fixtures only when asked");
        for (var e : CURRENT_FIXTURES.entrySet()) {
            Path dir = FIXTURES.resolve(e.getKey());
            if (!Files.exists(dir)) { // the fixture of a release is never rewritten
                writeFixture(dir, e.getValue());
            }
        }
    }

    private static void writeFixture(Path dir, int segmentFormat) throws IOException {
        InMemoryMetaStore meta = new InMemoryMetaStore(WriteHook.NONE);
        InMemoryBlobStore blobs = new InMemoryBlobStore(WriteHook.NONE, Clock.systemUTC());
        LogIndex index = LogIndex.open(meta, blobs, IndexConfig.defaults().withMergeFanout(2)
                .withBackgroundMerges(false).withSegmentFormat(segmentFormat));
        Writer w = index.writer("fixture-writer");
        w.acquire();
        List<Block> chain = chain();
        for (int i = 0; i < chain.size(); i += 10) {
            w.publish(chain.subList(i, i + 10));
        }
        w.compact();
        for (String prefix : List.of("packs/", "index/")) {
            for (BlobStore.BlobInfo b : blobs.list(prefix)) {
                Path f = dir.resolve("blobs").resolve(b.key());
                Files.createDirectories(f.getParent());
                Files.write(f, blobs.get(b.key()).orElseThrow());
            }
        }
        MetaRecord state = meta.get("meta/state").orElseThrow();
        Files.write(dir.resolve("meta-state.bin"), state.value());
        Files.writeString(dir.resolve("meta-state.txt"), "version " + state.version() + "\nepoch " + state.epoch()
                + "\n");
        Files.write(dir.resolve("answers.txt"), answers(index));
    }

    static List<Path> releases() throws IOException {
        try (Stream<Path> s = Files.list(FIXTURES)) {
            return s.filter(Files::isDirectory).sorted().toList();
        }
    }

    /** The stores of a release's fixture, loaded into memory. */
    static Object[] load(Path dir) throws IOException {
        InMemoryMetaStore meta = new InMemoryMetaStore(WriteHook.NONE);
        InMemoryBlobStore blobs = new InMemoryBlobStore(WriteHook.NONE, Clock.systemUTC());
        Path root = dir.resolve("blobs");
        try (Stream<Path> s = Files.walk(root)) {
            for (Path f : s.filter(Files::isRegularFile).toList()) {
                blobs.putIfAbsent(root.relativize(f).toString().replace('\\', '/'), Files.readAllBytes(f));
            }
        }
        List<String> m = Files.readAllLines(dir.resolve("meta-state.txt"));
        long epoch = Long.parseLong(m.get(1).substring("epoch ".length()));
        meta.putIfAbsent("meta/state", epoch, Files.readAllBytes(dir.resolve("meta-state.bin")));
        return new Object[]{meta, blobs};
    }

    @Test
    void everyReleasesStoredIndexIsReadWithTheSameAnswers() throws IOException {
        List<Path> releases = releases();
        assertThat(releases).extracting(p -> p.getFileName().toString())
                .containsAll(CURRENT_FIXTURES.keySet());
        for (Path dir : releases) {
            Object[] stores = load(dir);
            LogIndex index = LogIndex.open((MetaStore) stores[0], (BlobStore) stores[1], IndexConfig.defaults());
            List<String> expected = Files.readAllLines(dir.resolve("answers.txt"));
            assertThat(answers(index)).as(dir.getFileName().toString()).containsExactlyElementsOf(expected);
            assertThat(Admin.verify((MetaStore) stores[0], (BlobStore) stores[1]).problems()).isEmpty();
            // and the fixture is not trivial: merged segments, many logs, answers with results
            assertThat(Admin.status((MetaStore) stores[0]).orElseThrow().segments()).extracting(Admin.Segment::tier)
                    .anyMatch(t -> t >= 1);
            assertThat(expected.stream().filter(l -> l.contains(" | ")).count()).isGreaterThan(20);
        }
    }

    @Test
    void dataOfANewerFormatFailsClosedWithUpgradeRequired() throws IOException {
        Object[] stores = load(FIXTURES.resolve(CURRENT));
        InMemoryBlobStore blobs = (InMemoryBlobStore) stores[1];
        // A simulated next format: the same blob, its format version one above what this build reads.
        String pack = blobs.list("packs/").get(0).key();
        byte[] b = blobs.get(pack).orElseThrow().clone();
        b[4]++;
        blobs.corrupt(pack, b);
        LogIndex index = LogIndex.open((MetaStore) stores[0], blobs, IndexConfig.defaults());
        assertThatThrownBy(() -> index.query(LogQuery.range(null, null, null, null)))
                .isInstanceOf(DegradedException.class).hasMessageContaining("upgrade required: " + pack)
                .hasMessageContaining("written by a newer fli");
        assertThat(index.health().reason()).startsWith("upgrade required");

        // meta/state itself in a newer format: nothing is read from the index at all
        Object[] fresh = load(FIXTURES.resolve(CURRENT));
        InMemoryMetaStore meta = (InMemoryMetaStore) fresh[0];
        byte[] st = meta.get("meta/state").orElseThrow().value().clone();
        st[4]++;
        meta.corrupt("meta/state", st);
        LogIndex newer = LogIndex.open(meta, (BlobStore) fresh[1], IndexConfig.defaults());
        assertThatThrownBy(() -> newer.query(LogQuery.range(null, null, null, null)))
                .isInstanceOf(DegradedException.class).hasMessageContaining("upgrade required: meta/state");
    }
}
