package io.fli.engine.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fli.engine.Block;
import io.fli.engine.CorruptionException;
import io.fli.engine.Log;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/**
 * The paged layouts (segment format 2, pack format 3) read page by page give exactly what the whole blob decodes to,
 * and every page is covered by a checksum. Chains here are large enough that every kind of page splits: more than 256
 * blocks, more than 512 block hashes, more than 128 values per position, posting lists both inline and bitmaps.
 */
class PagedLayoutTest {

    /** Publishes {@code chain} into the stores, {@code perPublish} blocks at a time, by one writer that then closes. */
    static void publishAll(io.fli.engine.MetaStore meta, io.fli.engine.BlobStore stored, io.fli.engine.IndexConfig config,
                           List<Block> chain, int perPublish) {
        try (io.fli.engine.LogIndex w = io.fli.engine.LogIndex.open(meta, stored, config)) {
            io.fli.engine.Writer writer = w.writer("w");
            writer.acquire();
            for (int i = 0; i < chain.size(); i += perPublish) {
                writer.publish(chain.subList(i, Math.min(chain.size(), i + perPublish)));
            }
        }
    }

    /** {@code blocks} blocks of up to 12 logs over {@code values} distinct addresses and topics (Zipf-ish). */
    static List<Block> chain(long seed, long first, int blocks, int values) {
        Random r = new Random(seed);
        List<Block> out = new ArrayList<>();
        String parent = null;
        for (int b = 0; b < blocks; b++) {
            List<Log> logs = new ArrayList<>();
            int n = r.nextInt(13);
            for (int i = 0; i < n; i++) {
                List<String> topics = new ArrayList<>();
                for (int t = r.nextInt(5); t > 0; t--) {
                    topics.add("0xt" + skewed(r, values));
                }
                logs.add(new Log(i, i / 2, "0xtx" + b + "_" + (i / 2), "0xa" + skewed(r, values), topics,
                        r.nextBoolean() ? "0xd" + r.nextInt(1000) : null));
            }
            String hash = "0xblock" + (first + b) + "_" + seed;
            out.add(new Block(first + b, hash, parent, logs));
            parent = hash;
        }
        return out;
    }

    private static int skewed(Random r, int values) {
        double u = r.nextDouble();
        return (int) (values * u * u * u);
    }

    /** Pages sliced from the whole blob, checked like the index checks a ranged GET, counted. */
    static final class Slices implements PagedSegment.Pages {
        final byte[] blob;
        int fetches;
        long bytes;
        /** The middle of the last posting bitmap (or part) read, as an offset in the blob. */
        int lastPosting = -1;
        /** Fetches per kind of page: "d" directory, "h" block hash, "b" block, "p" postings, "f" filter. */
        final java.util.Map<String, Integer> byPart = new java.util.HashMap<>();

        Slices(byte[] blob) {
            this.blob = blob;
        }

        @Override
        public <T> T page(String blobKey, Object owner, String part, int bodyStart, Paged.Ref ref,
                          PagedSegment.PageDecoder<T> d) {
            fetches++;
            byPart.merge(part, 1, Integer::sum);
            bytes += ref.length();
            if (part.equals("p")) {
                lastPosting = (int) (bodyStart + ref.offset()) + ref.length() / 2;
            }
            byte[] b = Arrays.copyOfRange(blob, (int) (bodyStart + ref.offset()),
                    (int) Math.min(blob.length, bodyStart + ref.offset() + ref.length()));
            return d.decode(Paged.page(b, 0, ref, true, blobKey), ref.length());
        }
    }

    static PagedSegment lazy(byte[] blob, Slices pages) {
        int end = Paged.bodyStart(blob, "s");
        return new PagedSegment("s", PagedSegment.Head.read(Paged.head(blob, Frame.SEGMENT, SegmentWriter.FIRST_PAGED,
                SegmentWriter.VERSION, "s"), end, blob.length - end, "s", Frame.version(blob)), pages);
    }

    private static void assertSameAnswers(List<Block> blocks, IndexSegment whole, PagedSegment paged, int values) {
        for (Block b : blocks) {
            assertThat(paged.hashOf(b.number())).isEqualTo(whole.hashOf(b.number())).isEqualTo(b.hash());
            assertThat(paged.localStart(b.number())).isEqualTo(whole.localStart(b.number()));
            assertThat(paged.blockWithHash(b.hash())).isEqualTo(b.number());
        }
        long last = blocks.get(blocks.size() - 1).number();
        assertThat(paged.localStart(last + 1)).isEqualTo(whole.localStart(last + 1));
        assertThat(paged.blockWithHash("0xnot-a-block")).isEqualTo(-1);
        for (int p = 0; p < IndexSegment.POSITIONS; p++) {
            for (int v = 0; v <= values; v++) {
                List<IndexSegment.Term> t = List.of(IndexSegment.Term.of((p == 0 ? "0xa" : "0xt") + v));
                assertThat(paged.estimate(p, t)).as("position %d value %d", p, v).isEqualTo(whole.estimate(p, t));
                assertThat(paged.union(p, t)).isEqualTo(whole.union(p, t));
            }
            List<IndexSegment.Term> many = new ArrayList<>();
            for (int v = 0; v < values; v += 3) {
                many.add(IndexSegment.Term.of((p == 0 ? "0xa" : "0xt") + v));
            }
            assertThat(paged.union(p, many)).isEqualTo(whole.union(p, many));
        }
        assertThat(paged.packKeys()).isEqualTo(whole.packKeys());
    }

    @ParameterizedTest
    @ValueSource(longs = {1, 2, 3})
    void aTierZeroSegmentReadPageByPageAnswersLikeTheWholeBlob(long seed) {
        List<Block> blocks = chain(seed, 100, 700, 900);
        byte[] blob = BatchEncoder.encode(40, blocks, "packs/p").segment();
        Slices pages = new Slices(blob);
        PagedSegment paged = lazy(blob, pages);
        assertThat(paged.head.blockPages.length).isGreaterThan(2);
        assertThat(paged.head.hashPages.length).isGreaterThan(1);
        assertThat(paged.head.dirPages[0].length).isGreaterThan(2);
        assertSameAnswers(blocks, IndexSegment.decode(blob, "s"), paged, 900);
    }

    @Test
    void aMergedSegmentReadPageByPageAnswersLikeTheWholeBlob() {
        List<Block> all = chain(9, 0, 900, 700);
        List<IndexSegment> parts = new ArrayList<>();
        long firstLog = 0;
        List<String> packs = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            List<Block> part = all.subList(i * 300, (i + 1) * 300);
            parts.add(IndexSegment.decode(BatchEncoder.encode(firstLog, part, "packs/" + i).segment(), "s" + i));
            packs.add("packs/" + i);
            firstLog += part.stream().mapToInt(b -> b.logs().size()).sum();
        }
        byte[] merged = IndexSegment.merge(1, parts);
        PagedSegment paged = lazy(merged, new Slices(merged));
        assertSameAnswers(all, IndexSegment.decode(merged, "m"), paged, 700);
        assertThat(paged.packKeys()).isEqualTo(packs);
        // The merge equals the segment written in one go, entry for entry.
        IndexSegment once = IndexSegment.decode(BatchEncoder.encode(0, all, "packs/0").segment(), "w");
        for (int p = 0; p < IndexSegment.POSITIONS; p++) {
            for (int v = 0; v <= 700; v++) {
                List<IndexSegment.Term> t = List.of(IndexSegment.Term.of((p == 0 ? "0xa" : "0xt") + v));
                assertThat(paged.union(p, t)).isEqualTo(once.union(p, t));
            }
        }
    }

    @Test
    void aSelectiveLookupFetchesOnlyAFewPages() {
        List<Block> blocks = chain(4, 0, 2000, 5000);
        byte[] blob = BatchEncoder.encode(0, blocks, "packs/p").segment();
        Slices pages = new Slices(blob);
        PagedSegment paged = lazy(blob, pages);
        paged.union(0, List.of(IndexSegment.Term.of("0xa4321")));
        paged.localStart(1234);
        // One directory page (two where equal hashes straddle a page boundary), one block page; never the blob.
        assertThat(pages.fetches).isBetween(1, 3);
        int pageCount = paged.head.blockPages.length + paged.head.hashPages.length;
        for (Paged.Ref[] d : paged.head.dirPages) {
            pageCount += d.length;
        }
        assertThat(pageCount).isGreaterThan(100);
    }

    @ParameterizedTest(name = "pack format {0}")
    @ValueSource(ints = {3, 4})
    void aChunkedPackReadChunkByChunkHoldsEveryLog(int version) {
        List<Block> blocks = chain(5, 10, 200, 300);
        byte[] blob = BatchEncoder.encode(1000, blocks, "p", version, SegmentWriter.VERSION).pack();
        assertThat(Frame.version(blob)).isEqualTo(version);
        int end = Paged.bodyStart(blob, "p");
        Pack.Head h = Pack.Head.read(Paged.head(blob, Frame.PACK, version, "p"), blob.length - end, end, version,
                "p");
        assertThat(h.chunks().length).isGreaterThan(3);
        Pack whole = Pack.decode(blob, "p");
        long id = 1000;
        for (Block b : blocks) {
            for (Log l : b.logs()) {
                int c = h.chunkOf(id);
                Paged.Ref ref = h.chunks()[c];
                byte[] page = Arrays.copyOfRange(blob, (int) (end + ref.offset()), (int) (end + ref.offset()
                        + ref.length()));
                Pack chunk = h.chunk(c, Paged.page(page, 0, ref, true, "p"), "p");
                assertThat(chunk.log(id)).isEqualTo(l).isEqualTo(whole.log(id));
                assertThat(chunk.blockOf(id)).isEqualTo(b.number());
                id++;
            }
        }
        assertThat(h.count()).isEqualTo((int) (id - 1000));
    }

    @Test
    void everyByteOfAPagedSegmentIsCoveredByAChecksum() {
        List<Block> blocks = chain(6, 0, 300, 200);
        byte[] blob = BatchEncoder.encode(0, blocks, "packs/p").segment();
        Random r = new Random(1);
        Set<Integer> tried = new HashSet<>();
        for (int i = 0; i < 300; i++) {
            int at = r.nextInt(blob.length);
            tried.add(at);
            byte[] damaged = blob.clone();
            damaged[at] ^= (byte) (1 << r.nextInt(8));
            try {
                IndexSegment.decode(damaged, "s");
                org.junit.jupiter.api.Assertions.fail("a flipped bit at " + at + " of " + blob.length
                        + " (body from " + Paged.bodyStart(blob, "s") + ") was not caught");
            } catch (CorruptionException expected) {
                assertThat(expected.getMessage()).startsWith("s");
            }
        }
        assertThat(tried.size()).isGreaterThan(200);
    }

    @Test
    void aFormatOneSegmentIsStillRead() {
        // Format 1, as written before paging: one framed payload with the directory in front of the postings.
        ByteWriter dir = new ByteWriter(256);
        IndexSegment.writeHeader(dir, 0, 7, 8, 100, 3, new String[]{"0xh7", "0xh8"}, new String[]{"0xh6", "0xh7"},
                new int[]{2, 1}, new String[]{"packs/old"}, new long[]{100});
        ByteWriter region = new ByteWriter(64);
        byte[] a = "0xa".getBytes(java.nio.charset.StandardCharsets.UTF_8);
        dir.varInt(1);
        int before = region.length();
        IndexSegment.writePostings(region, new int[]{0, 2}, 0, 2);
        IndexSegment.writeEntry(dir, IndexSegment.hash("0xa"), a, 0, a.length, 2, region.length() - before);
        for (int p = 1; p < IndexSegment.POSITIONS; p++) {
            dir.varInt(0);
        }
        IndexSegment s = IndexSegment.decode(IndexSegment.frame(dir, region), "index/old");
        assertThat(s.estimate(0, List.of(IndexSegment.Term.of("0xa")))).isEqualTo(2);
        assertThat(s.localStart(8)).isEqualTo(2);
        assertThat(s.blockWithHash("0xh8")).isEqualTo(8);
        assertThat(s.packKeyOf(102)).isEqualTo("packs/old");
    }

    /** 2,400 blocks of 100 logs; address 0xhot on every other log (a posting bitmap of ~120k ids, stored in parts). */
    private static List<Block> hotChain() {
        return hotChain(2_400);
    }

    /** {@code blocks} blocks of 100 logs; address 0xhot on every other log. */
    static List<Block> hotChain(int blocks) {
        List<Block> out = new ArrayList<>();
        String parent = null;
        for (int b = 0; b < blocks; b++) {
            List<Log> logs = new ArrayList<>();
            for (int i = 0; i < 100; i++) {
                logs.add(new Log(i, i, "0xtx" + b + "_" + i, i % 2 == 0 ? "0xhot" : "0xa" + (b * 100 + i) % 997,
                        List.of("0xt" + i % 3), null));
            }
            String hash = "0xblock" + b;
            out.add(new Block(b, hash, parent, logs));
            parent = hash;
        }
        return out;
    }

    @Test
    void aLongPostingListIsStoredInPartsAndARangeReadsOnlyThePartsItOverlaps() {
        List<Block> blocks = hotChain();
        // Format 4: format 5's filters hold the fine buckets of every list up to 512 ids, which in this chain of a
        // few hundred short lists would be most of a one-part read's bytes (the filter is read with the head).
        byte[] blob = BatchEncoder.encode(0, blocks, "packs/p", 4).segment();
        IndexSegment whole = IndexSegment.decode(blob, "s");
        List<IndexSegment.Term> hot = List.of(IndexSegment.Term.of("0xhot"));
        int logs = 240_000;
        assertThat(whole.union(0, hot).getCardinality()).isEqualTo(logs / 2);
        Slices all = new Slices(blob);
        PagedSegment paged = lazy(blob, all);
        assertThat(paged.union(0, hot)).isEqualTo(whole.union(0, hot));
        long wholeBytes = all.bytes;
        assertThat(wholeBytes).isGreaterThan(SegmentWriter.PART_MIN_BYTES);
        // Ranges inside one part, straddling a part boundary, at the end, empty: the same ids as the whole decode.
        int span = SegmentWriter.PART_SPAN;
        int[][] ranges = {{0, 1_000}, {span - 500, span + 500}, {logs - 5_000, logs}, {span + 10, span + 10},
                {100_000, 200_000}};
        for (int[] r : ranges) {
            Slices pages = new Slices(blob);
            PagedSegment fresh = lazy(blob, pages);
            org.roaringbitmap.buffer.MutableRoaringBitmap expected = whole.union(0, hot, r[0], r[1]);
            assertThat(fresh.union(0, hot, r[0], r[1])).as("ids %d..%d", r[0], r[1]).isEqualTo(expected);
            if (r[1] > r[0] && r[0] / span == (r[1] - 1) / span) {
                // One part of the posting list (and a directory page): a fraction of the whole list's bytes.
                assertThat(pages.bytes).as("bytes read for ids %d..%d", r[0], r[1]).isLessThan(wholeBytes * 2 / 3);
            }
        }
        // A merge of segments with parts writes parts again, and reads the same.
        byte[] second = BatchEncoder.encode(logs, hotChain().stream().map(b -> new Block(b.number() + 2_400,
                b.hash() + "b", b.number() == 0 ? blocks.get(2_399).hash() : b.parentHash() + "b", b.logs())).toList(),
                "packs/q").segment();
        byte[] merged = IndexSegment.merge(1, List.of(whole, IndexSegment.decode(second, "t")), 4);
        IndexSegment m = IndexSegment.decode(merged, "m");
        assertThat(m.union(0, hot).getCardinality()).isEqualTo(logs);
        Slices mp = new Slices(merged);
        assertThat(lazy(merged, mp).union(0, hot, logs - 100, logs + 100)).isEqualTo(m.union(0, hot, logs - 100,
                logs + 100));
        assertThat(mp.bytes).isLessThan(wholeBytes);
    }

    @Test
    void aDamagedPartFailsTheQueriesThatReadItAndTheWholeDecode() {
        List<Block> blocks = hotChain();
        byte[] blob = BatchEncoder.encode(0, blocks, "packs/p").segment();
        List<IndexSegment.Term> hot = List.of(IndexSegment.Term.of("0xhot"));
        // The second part: where a range inside it reads, and one byte flipped in the middle of that.
        int span = SegmentWriter.PART_SPAN;
        Slices second = new Slices(blob);
        lazy(blob, second).union(0, hot, span + 1, span + 2);
        int at = second.lastPosting;
        assertThat(at).isPositive();
        byte[] bad = blob.clone();
        bad[at] ^= 0x10;
        assertThatThrownBy(() -> lazy(bad, new Slices(bad)).union(0, hot, span + 1, span + 2))
                .isInstanceOf(CorruptionException.class).hasMessageContaining("checksum mismatch");
        // A range that reads only the first part is answered; the whole decode (merges, verify) refuses the blob.
        assertThat(lazy(bad, new Slices(bad)).union(0, hot, 0, 1_000).getCardinality()).isEqualTo(500);
        assertThatThrownBy(() -> IndexSegment.decode(bad, "s")).isInstanceOf(CorruptionException.class)
                .hasMessageContaining("checksum mismatch");
    }
}
