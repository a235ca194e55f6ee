package io.fli.engine.internal;

import io.fli.engine.CorruptionException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.roaringbitmap.IntConsumer;
import org.roaringbitmap.RoaringBitmap;
import org.roaringbitmap.RoaringBitmapWriter;
import org.roaringbitmap.buffer.ImmutableRoaringBitmap;
import org.roaringbitmap.buffer.MutableRoaringBitmap;

/**
 * An immutable index segment over a contiguous block range: the block table, the packs its logs live in, and one
 * posting list of segment-local log ids per stream. A stream is one value at one position: position 0 is the
 * address, positions 1..4 are topic0..topic3.
 *
 * <p>Each position's directory is sorted by (hash of the value, value bytes). A lookup is a binary search over an
 * {@code int[]} of hashes; a merge of segments is a k-way merge of sorted directories that copies value bytes and
 * never builds strings or hash maps. Short posting lists are stored inline as delta varints; longer ones as
 * serialized roaring bitmaps that queries map without copying.
 */
public final class IndexSegment implements SegmentReader {
    /** Format 1: one framed payload, decoded whole. Format 2 is paged ({@link SegmentWriter}); both are read. */
    static final int VERSION = 1;
    /** Number of stream positions: the address and four topics. */
    public static final int POSITIONS = 5;
    static final int INLINE_MAX = 16;

    /** A query term: a value with its UTF-8 bytes and its directory hash, computed once per query. */
    public record Term(String value, byte[] utf8, int hash) {
        public static Term of(String value) {
            return new Term(value, value.getBytes(StandardCharsets.UTF_8), IndexSegment.hash(value));
        }
    }

    /** The directory hash of a value: {@link String#hashCode()} (cached by the JVM), finalised for spread. */
    public static int hash(String value) {
        int h = value.hashCode();
        h ^= h >>> 16;
        h *= 0x85EBCA6B;
        h ^= h >>> 13;
        return h;
    }

    /** Orders directory entries: by hash, then by value bytes. */
    static int compare(int h1, byte[] b1, int o1, int l1, int h2, byte[] b2, int o2, int l2) {
        int c = Integer.compare(h1, h2);
        return c != 0 ? c : Arrays.compareUnsigned(b1, o1, o1 + l1, b2, o2, o2 + l2);
    }

    /** One position's sorted directory, as parallel arrays into the blob. */
    static final class Dir {
        final int n;
        final int[] hash;
        final int[] valueOff;
        final int[] valueLen;
        final int[] card;
        final int[] postOff;
        final int[] postLen;
        /** Format 2: the CRC32C of each bitmap posting list (inline lists are covered by their page's CRC). */
        final int[] crc;
        /**
         * Format 3: the parts of a bitmap posting list stored in parts (null: one bitmap), as (first id, offset,
         * length, CRC32C) per part, offsets like {@link #postOff}; part i holds ids from its first id up to the next
         * part's.
         */
        final int[][] parts;
        /** The bytes the offsets point into (a directory page's own bytes, or the whole blob). */
        byte[] bytes;

        Dir(int n) {
            this.n = n;
            hash = new int[n];
            valueOff = new int[n];
            valueLen = new int[n];
            card = new int[n];
            postOff = new int[n];
            postLen = new int[n];
            crc = new int[n];
            parts = new int[n][];
        }

        /** The first {@code n} entries (a page's directory is sized before its entry count is known). */
        Dir trim(int count) {
            Dir d = new Dir(count);
            System.arraycopy(hash, 0, d.hash, 0, count);
            System.arraycopy(valueOff, 0, d.valueOff, 0, count);
            System.arraycopy(valueLen, 0, d.valueLen, 0, count);
            System.arraycopy(card, 0, d.card, 0, count);
            System.arraycopy(postOff, 0, d.postOff, 0, count);
            System.arraycopy(postLen, 0, d.postLen, 0, count);
            System.arraycopy(crc, 0, d.crc, 0, count);
            System.arraycopy(parts, 0, d.parts, 0, count);
            d.bytes = bytes;
            return d;
        }
    }

    /**
     * Reads one format-2 directory page ({@code r} positioned at its start, ending at its end). Inline posting
     * offsets are positions in {@code r}'s array; bitmap offsets are {@code bodyBase} plus their body offset.
     */
    static Dir readDirPage(ByteReader r, int end, int bodyBase, long bodyLength, long logCount, String what,
                           boolean parted) {
        Dir dir = new Dir(SegmentWriter.ENTRIES_PER_PAGE);
        byte[] bytes = r.array();
        dir.bytes = bytes;
        int e = 0;
        while (r.position() < end) {
            if (e == dir.n) {
                throw new CorruptionException(what + ": a directory page holds more than "
                        + SegmentWriter.ENTRIES_PER_PAGE + " entries");
            }
            dir.hash[e] = r.i32();
            int len = r.count(1);
            dir.valueOff[e] = r.position();
            dir.valueLen[e] = len;
            r.skip(len);
            dir.card[e] = r.varInt((int) Math.min(Integer.MAX_VALUE, logCount));
            if (dir.card[e] <= INLINE_MAX) {
                dir.postLen[e] = r.count(1);
                dir.postOff[e] = r.position();
                r.skip(dir.postLen[e]);
            } else {
                Paged.Ref ref = Paged.Ref.read(r, bodyLength);
                dir.postOff[e] = bodyBase + (int) ref.offset();
                dir.postLen[e] = ref.length();
                dir.crc[e] = ref.crc();
                if (parted) {
                    dir.parts[e] = readParts(r, dir.postOff[e], ref.length(), logCount, what);
                }
            }
            if (e > 0 && compare(dir.hash[e - 1], bytes, dir.valueOff[e - 1], dir.valueLen[e - 1], dir.hash[e],
                    bytes, dir.valueOff[e], len) >= 0) {
                throw new CorruptionException(what + ": directory page is not sorted at entry " + e);
            }
            e++;
        }
        return dir.trim(e);
    }

    /**
     * A format-3 part list (after a bitmap's ref): null for none (the region is one bitmap), else (first id, offset,
     * length, CRC) per part, the parts tiling the region in id order.
     */
    private static int[] readParts(ByteReader r, int regionOff, int regionLen, long logCount, String what) {
        int n = r.count(6);
        if (n == 0) {
            return null;
        }
        int[] parts = new int[4 * n];
        int at = 0;
        for (int i = 0; i < n; i++) {
            int first = r.varInt((int) Math.min(Integer.MAX_VALUE, logCount - 1));
            int len = r.varInt(regionLen - at);
            if (len == 0 || (i > 0 && first <= parts[4 * (i - 1)])) {
                throw new CorruptionException(what + ": posting part " + i + " (first id " + first + ", " + len
                        + " bytes) is empty or out of order");
            }
            parts[4 * i] = first;
            parts[4 * i + 1] = regionOff + at;
            parts[4 * i + 2] = len;
            parts[4 * i + 3] = r.i32();
            at += len;
        }
        if (at != regionLen) {
            throw new CorruptionException(what + ": posting parts cover " + at + " of the region's " + regionLen
                    + " bytes");
        }
        return parts;
    }

    /** The end (exclusive) of the ids part {@code i} of {@code parts} may hold. */
    static long partEnd(int[] parts, int i, long logCount) {
        return i + 1 < parts.length / 4 ? parts[4 * (i + 1)] : logCount;
    }

    /**
     * A part of a parted posting list ({@code len} bytes at {@code off}) as a roaring bitmap, checked to hold ids
     * only in {@code [first, end)}.
     */
    static ImmutableRoaringBitmap part(byte[] bytes, int off, int len, long first, long end, String what) {
        ImmutableRoaringBitmap bm;
        try {
            bm = new ImmutableRoaringBitmap(ByteBuffer.wrap(bytes, off, len).slice());
        } catch (RuntimeException e) {
            throw new CorruptionException(what + ": undecodable posting part (" + e + ")");
        }
        if (bm.isEmpty() || bm.first() < first || bm.last() >= end) {
            throw new CorruptionException(what + ": a posting part holds ids outside " + first + ".." + (end - 1));
        }
        return bm;
    }

    final int tier;
    final long firstBlock;
    final long lastBlock;
    final long firstLogId;
    final long logCount;
    private final String[] blockHash;
    private final String[] parentHash;
    private final int[] blockStart; // segment-local id of each block's first log; length blocks + 1
    final String[] packKeys;
    final long[] packFirstLogId;
    private final Dir[] dirs;
    private final byte[] bytes;
    private volatile Map<String, Integer> byHash;

    private IndexSegment(int tier, long firstBlock, long lastBlock, long firstLogId, long logCount, String[] blockHash,
                         String[] parentHash, int[] blockStart, String[] packKeys, long[] packFirstLogId, Dir[] dirs,
                         byte[] bytes) {
        this.tier = tier;
        this.firstBlock = firstBlock;
        this.lastBlock = lastBlock;
        this.firstLogId = firstLogId;
        this.logCount = logCount;
        this.blockHash = blockHash;
        this.parentHash = parentHash;
        this.blockStart = blockStart;
        this.packKeys = packKeys;
        this.packFirstLogId = packFirstLogId;
        this.dirs = dirs;
        this.bytes = bytes;
    }

    @Override
    public String packKeyOf(long logId) {
        return packKeys[packOf(logId)];
    }

    @Override
    public List<String> packKeys() {
        return Arrays.asList(packKeys);
    }

    @Override
    public String hashOf(long block) {
        return blockHash[(int) (block - firstBlock)];
    }

    @Override
    public long blockWithHash(String hash) {
        Map<String, Integer> m = byHash;
        if (m == null) {
            m = new HashMap<>(blockHash.length * 2);
            for (int i = 0; i < blockHash.length; i++) {
                m.put(blockHash[i], i);
            }
            byHash = m;
        }
        Integer i = m.get(hash);
        return i == null ? -1 : firstBlock + i;
    }

    @Override
    public int localStart(long block) {
        return blockStart[(int) (block - firstBlock)];
    }

    /** The directory entry of {@code t} at {@code position}, or -1. */
    int find(int position, Term t) {
        Dir d = dirs[position];
        int lo = 0;
        int hi = d.n;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (d.hash[mid] < t.hash) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        for (int e = lo; e < d.n && d.hash[e] == t.hash; e++) {
            if (Arrays.equals(bytes, d.valueOff[e], d.valueOff[e] + d.valueLen[e], t.utf8, 0, t.utf8.length)) {
                return e;
            }
        }
        return -1;
    }

    @Override
    public long estimate(int position, List<Term> terms) {
        long sum = 0;
        for (Term t : terms) {
            int e = find(position, t);
            if (e >= 0) {
                sum += dirs[position].card[e];
            }
        }
        return sum;
    }

    @Override
    public MutableRoaringBitmap union(int position, List<Term> terms, int lo, int hi) {
        MutableRoaringBitmap out = new MutableRoaringBitmap();
        boolean whole = lo <= 0 && hi >= logCount;
        for (Term t : terms) {
            int e = find(position, t);
            if (e < 0) {
                continue;
            }
            Dir d = dirs[position];
            if (d.card[e] <= INLINE_MAX) {
                forEachInline(d, e, 0, id -> {
                    if (id >= lo && id < hi) {
                        out.add(id);
                    }
                });
            } else {
                ImmutableRoaringBitmap bm = bitmap(d, e);
                out.or(whole ? bm : bm.selectRange(lo, hi));
            }
        }
        return out;
    }

    private void forEachInline(Dir d, int e, int shift, IntConsumer f) {
        ByteReader r = new ByteReader(bytes, d.postOff[e], d.postOff[e] + d.postLen[e], "posting list");
        int id = 0;
        for (int k = 0; k < d.card[e]; k++) {
            id += r.varInt(Integer.MAX_VALUE);
            f.accept(id + shift);
        }
    }

    private ImmutableRoaringBitmap bitmap(Dir d, int e) {
        int[] parts = d.parts[e];
        if (parts == null) {
            return new ImmutableRoaringBitmap(ByteBuffer.wrap(bytes, d.postOff[e], d.postLen[e]).slice());
        }
        MutableRoaringBitmap all = new MutableRoaringBitmap();
        for (int i = 0; i < parts.length / 4; i++) {
            all.or(part(bytes, parts[4 * i + 1], parts[4 * i + 2], parts[4 * i], partEnd(parts, i, logCount),
                    "posting list"));
        }
        if (all.getCardinality() != d.card[e]) {
            throw new CorruptionException("posting list: its parts hold " + all.getCardinality()
                    + " ids where the directory says " + d.card[e]);
        }
        return all;
    }

    private void forEachPosting(Dir d, int e, int shift, IntConsumer f) {
        if (d.card[e] <= INLINE_MAX) {
            forEachInline(d, e, shift, f);
        } else {
            var it = bitmap(d, e).getIntIterator();
            while (it.hasNext()) {
                f.accept(it.next() + shift);
            }
        }
    }

    // ---------------------------------------------------------------- writing

    // Format 1 writing is kept only so that compatibility tests can build a format-1 blob; the engine writes format 2.

    /** Short lists as delta varints, longer ones as a serialized roaring bitmap. Ids must ascend. */
    static void writePostings(ByteWriter region, int[] ids, int from, int card) {
        if (card <= INLINE_MAX) {
            int prev = 0;
            for (int k = from; k < from + card; k++) {
                region.varInt(ids[k] - prev);
                prev = ids[k];
            }
        } else {
            RoaringBitmap bm = new RoaringBitmap();
            bm.addN(ids, from, card);
            writeBitmap(region, bm);
        }
    }

    private static void writeBitmap(ByteWriter region, RoaringBitmap bm) {
        bm.runOptimize();
        byte[] ser = new byte[bm.serializedSizeInBytes()];
        bm.serialize(ByteBuffer.wrap(ser));
        region.bytes(ser);
    }

    /** The header, block table and pack table of a segment's directory. */
    static void writeHeader(ByteWriter dir, int tier, long firstBlock, long lastBlock, long firstLogId, long logCount,
                            String[] hashes, String[] parents, int[] counts, String[] packKeys, long[] packFirst) {
        dir.varInt(tier).varLong(firstBlock).varLong(lastBlock).varLong(firstLogId).varLong(logCount);
        dir.varInt(hashes.length);
        for (int i = 0; i < hashes.length; i++) {
            dir.string(hashes[i]).string(parents[i]).varInt(counts[i]);
        }
        dir.varInt(packKeys.length);
        for (int i = 0; i < packKeys.length; i++) {
            dir.string(packKeys[i]).varLong(packFirst[i]);
        }
    }

    /** One directory entry. */
    static void writeEntry(ByteWriter dir, int hash, byte[] value, int off, int len, int card, int postLen) {
        dir.i32(hash).varInt(len).bytes(value, off, len).varInt(card).varInt(postLen);
    }

    /** The segment blob: the directory's length, the directory, the posting region. */
    static byte[] frame(ByteWriter dir, ByteWriter region) {
        return Frame.wrap(Frame.SEGMENT, VERSION, new ByteWriter(8).varInt(dir.length()), dir, region);
    }

    /** Merges consecutive segments (in block order) into one segment of {@code tier}, in the newest format. */
    public static byte[] merge(int tier, List<IndexSegment> parts) {
        return merge(tier, parts, SegmentWriter.VERSION);
    }

    /**
     * Merges consecutive segments (in block order) into one segment of {@code tier} in format {@code version} (2, 3
     * or 4): a k-way directory merge.
     */
    public static byte[] merge(int tier, List<IndexSegment> parts, int version) {
        IndexSegment head = parts.get(0);
        long firstLogId = head.firstLogId;
        int blocks = 0;
        int packs = 0;
        long logs = 0;
        for (IndexSegment s : parts) {
            blocks += s.blockHash.length;
            packs += s.packKeys.length;
            logs += s.logCount;
        }
        if (logs > Integer.MAX_VALUE) {
            throw new IllegalStateException("merged segment would hold " + logs + " logs");
        }
        String[] hashes = new String[blocks];
        String[] parents = new String[blocks];
        int[] counts = new int[blocks];
        String[] packKeys = new String[packs];
        long[] packFirst = new long[packs];
        int bi = 0;
        int pi = 0;
        int[] shift = new int[parts.size()];
        for (int s = 0; s < parts.size(); s++) {
            IndexSegment seg = parts.get(s);
            shift[s] = (int) (seg.firstLogId - firstLogId);
            for (int i = 0; i < seg.blockHash.length; i++, bi++) {
                hashes[bi] = seg.blockHash[i];
                parents[bi] = seg.parentHash[i];
                counts[bi] = seg.blockStart[i + 1] - seg.blockStart[i];
            }
            for (int i = 0; i < seg.packKeys.length; i++, pi++) {
                packKeys[pi] = seg.packKeys[i];
                packFirst[pi] = seg.packFirstLogId[i];
            }
        }
        SegmentWriter out = new SegmentWriter(tier, head.firstBlock, firstLogId, logs, hashes, parents, counts,
                packKeys, packFirst, (int) Math.min(Integer.MAX_VALUE / 2, logs * 6 + 64), version);
        int k = parts.size();
        int[] cur = new int[k];
        boolean[] take = new boolean[k];
        int[] inline = new int[INLINE_MAX];
        for (int p = 0; p < POSITIONS; p++) {
            out.position(p);
            Arrays.fill(cur, 0);
            while (true) {
                int min = -1;
                for (int s = 0; s < k; s++) {
                    Dir d = parts.get(s).dirs[p];
                    if (cur[s] >= d.n) {
                        continue;
                    }
                    if (min < 0) {
                        min = s;
                        continue;
                    }
                    Dir m = parts.get(min).dirs[p];
                    int c = compare(d.hash[cur[s]], parts.get(s).bytes, d.valueOff[cur[s]], d.valueLen[cur[s]],
                            m.hash[cur[min]], parts.get(min).bytes, m.valueOff[cur[min]], m.valueLen[cur[min]]);
                    if (c < 0) {
                        min = s;
                    }
                }
                if (min < 0) {
                    break;
                }
                IndexSegment ms = parts.get(min);
                Dir m = ms.dirs[p];
                int me = cur[min];
                int card = 0;
                for (int s = 0; s < k; s++) {
                    Dir d = parts.get(s).dirs[p];
                    take[s] = cur[s] < d.n && compare(d.hash[cur[s]], parts.get(s).bytes, d.valueOff[cur[s]],
                            d.valueLen[cur[s]], m.hash[me], ms.bytes, m.valueOff[me], m.valueLen[me]) == 0;
                    if (take[s]) {
                        card += d.card[cur[s]];
                    }
                }
                if (card <= INLINE_MAX) {
                    int[] n = {0};
                    for (int s = 0; s < k; s++) {
                        if (take[s]) {
                            parts.get(s).forEachPosting(parts.get(s).dirs[p], cur[s], shift[s], id -> inline[n[0]++] = id);
                        }
                    }
                    out.entry(m.hash[me], ms.bytes, m.valueOff[me], m.valueLen[me], inline, 0, card);
                } else {
                    RoaringBitmapWriter<RoaringBitmap> w = RoaringBitmapWriter.writer().get();
                    for (int s = 0; s < k; s++) {
                        if (take[s]) {
                            parts.get(s).forEachPosting(parts.get(s).dirs[p], cur[s], shift[s], w::add);
                        }
                    }
                    out.entry(m.hash[me], ms.bytes, m.valueOff[me], m.valueLen[me], w.get());
                }
                for (int s = 0; s < k; s++) {
                    if (take[s]) {
                        cur[s]++;
                    }
                }
            }
        }
        return out.finish();
    }

    // ---------------------------------------------------------------- reading

    /** Decodes a whole segment blob of either format (every page and bitmap of format 2 checked). */
    public static IndexSegment decode(byte[] bytes, String key) {
        return decode(bytes, key, true);
    }

    /** As {@link #decode(byte[], String)}; {@code checkPages} is false only in the bug zoo's no-checksum variant. */
    static IndexSegment decode(byte[] bytes, String key, boolean checkPages) {
        if (bytes != null && bytes.length >= Frame.HEADER && bytes[3] == Frame.SEGMENT
                && Frame.version(bytes) >= SegmentWriter.FIRST_PAGED) {
            return decodePaged(bytes, key, checkPages);
        }
        ByteReader r = Frame.open(bytes, Frame.SEGMENT, VERSION, key);
        int dirLen = r.count(1);
        int regionStart = r.position() + dirLen;
        ByteReader d = new ByteReader(bytes, r.position(), regionStart, key);
        int tier = d.varInt(1000);
        long firstBlock = d.varLong();
        long lastBlock = d.varLong();
        long firstLogId = d.varLong();
        long logCount = d.varLong();
        int nb = d.count(3);
        if (nb != lastBlock - firstBlock + 1) {
            throw new CorruptionException(key + ": block table has " + nb + " entries for blocks " + firstBlock
                    + ".." + lastBlock);
        }
        String[] hashes = new String[nb];
        String[] parents = new String[nb];
        int[] starts = new int[nb + 1];
        for (int i = 0; i < nb; i++) {
            hashes[i] = d.string();
            parents[i] = d.string();
            starts[i + 1] = starts[i] + d.varInt(Integer.MAX_VALUE);
        }
        if (starts[nb] != logCount) {
            throw new CorruptionException(key + ": block table counts " + starts[nb] + " logs, header says " + logCount);
        }
        int np = d.count(2);
        String[] packKeys = new String[np];
        long[] packFirst = new long[np];
        for (int i = 0; i < np; i++) {
            packKeys[i] = d.string();
            packFirst[i] = d.varLong();
        }
        int regionLen = bytes.length - regionStart;
        Dir[] dirs = new Dir[POSITIONS];
        int offset = 0;
        for (int p = 0; p < POSITIONS; p++) {
            int n = d.count(8);
            Dir dir = new Dir(n);
            for (int e = 0; e < n; e++) {
                dir.hash[e] = d.i32();
                int len = d.count(1);
                dir.valueOff[e] = d.position();
                dir.valueLen[e] = len;
                d.skip(len);
                dir.card[e] = d.varInt((int) logCount);
                dir.postLen[e] = d.varInt(regionLen - offset);
                dir.postOff[e] = regionStart + offset;
                offset += dir.postLen[e];
                if (e > 0 && compare(dir.hash[e - 1], bytes, dir.valueOff[e - 1], dir.valueLen[e - 1], dir.hash[e],
                        bytes, dir.valueOff[e], len) >= 0) {
                    throw new CorruptionException(key + ": directory of position " + p + " is not sorted at entry " + e);
                }
            }
            dirs[p] = dir;
        }
        d.expectEnd();
        if (offset != regionLen) {
            throw new CorruptionException(key + ": posting region is " + regionLen + " bytes, directory covers "
                    + offset);
        }
        return new IndexSegment(tier, firstBlock, lastBlock, firstLogId, logCount, hashes, parents, starts, packKeys,
                packFirst, dirs, bytes);
    }

    /** A whole format-2 blob: every page read and checked, directories joined into one per position. */
    private static IndexSegment decodePaged(byte[] bytes, String key, boolean checkPages) {
        int bodyStart = Paged.bodyStart(bytes, key);
        long bodyLength = bytes.length - (long) bodyStart;
        PagedSegment.Head h = PagedSegment.Head.read(Paged.head(bytes, Frame.SEGMENT, SegmentWriter.FIRST_PAGED,
                SegmentWriter.VERSION, key), bodyStart, bodyLength, key, Frame.version(bytes));
        int nb = (int) (h.lastBlock - h.firstBlock + 1);
        String[] hashes = new String[nb];
        String[] parents = new String[nb];
        int[] starts = new int[nb + 1];
        for (int pg = 0; pg < h.blockPages.length; pg++) {
            Paged.Ref ref = h.blockPages[pg];
            ByteReader r = Paged.page(bytes, bodyStart + (int) ref.offset(), ref, checkPages, key);
            if (starts[pg * h.blocksPerPage] != h.blockPageStart[pg]) {
                throw new CorruptionException(key + ": block page " + pg + " starts at log " + h.blockPageStart[pg]
                        + " but the blocks before it hold " + starts[pg * h.blocksPerPage]);
            }
            for (int b = pg * h.blocksPerPage; b < Math.min(nb, (pg + 1) * h.blocksPerPage); b++) {
                hashes[b] = r.string();
                parents[b] = r.string();
                starts[b + 1] = starts[b] + r.varInt(Integer.MAX_VALUE);
            }
            r.expectEnd();
        }
        if (starts[nb] != h.logCount) {
            throw new CorruptionException(key + ": block table counts " + starts[nb] + " logs, header says "
                    + h.logCount);
        }
        int listed = 0;
        for (int pg = 0; pg < h.hashPages.length; pg++) {
            Paged.Ref ref = h.hashPages[pg];
            int at = bodyStart + (int) ref.offset();
            ByteReader r = Paged.page(bytes, at, ref, checkPages, key);
            while (r.position() < at + ref.length()) {
                int hash = r.i32();
                int b = r.varInt(nb - 1);
                if (hash != hash(hashes[b])) {
                    throw new CorruptionException(key + ": block-hash page " + pg + " lists block " + b
                            + " under the wrong hash");
                }
                listed++;
            }
        }
        if (listed != nb) {
            throw new CorruptionException(key + ": block-hash pages list " + listed + " of " + nb + " blocks");
        }
        Dir[] dirs = new Dir[POSITIONS];
        for (int p = 0; p < POSITIONS; p++) {
            Dir all = new Dir(h.entries[p]);
            int e = 0;
            for (int pg = 0; pg < h.dirPages[p].length; pg++) {
                Paged.Ref ref = h.dirPages[p][pg];
                int at = bodyStart + (int) ref.offset();
                Dir d = readDirPage(Paged.page(bytes, at, ref, checkPages, key), at + ref.length(), bodyStart,
                        bodyLength, h.logCount, key, h.parted());
                if (e + d.n > all.n) {
                    throw new CorruptionException(key + ": position " + p + " has more entries than its "
                            + all.n);
                }
                for (int k = 0; k < d.n; k++, e++) {
                    all.hash[e] = d.hash[k];
                    all.valueOff[e] = d.valueOff[k];
                    all.valueLen[e] = d.valueLen[k];
                    all.card[e] = d.card[k];
                    all.postOff[e] = d.postOff[k];
                    all.postLen[e] = d.postLen[k];
                    all.crc[e] = d.crc[k];
                    all.parts[e] = d.parts[k];
                    if (d.card[k] > INLINE_MAX && checkPages && Paged.crc(bytes, d.postOff[k], d.postLen[k])
                            != d.crc[k]) {
                        throw new CorruptionException(key + ": posting bitmap at " + d.postOff[k]
                                + " checksum mismatch");
                    }
                    int[] parts = d.parts[k];
                    for (int i = 0; checkPages && parts != null && i < parts.length / 4; i++) {
                        if (Paged.crc(bytes, parts[4 * i + 1], parts[4 * i + 2]) != parts[4 * i + 3]) {
                            throw new CorruptionException(key + ": posting part at " + parts[4 * i + 1]
                                    + " checksum mismatch");
                        }
                    }
                    if (e > 0 && compare(all.hash[e - 1], bytes, all.valueOff[e - 1], all.valueLen[e - 1],
                            all.hash[e], bytes, all.valueOff[e], all.valueLen[e]) >= 0) {
                        throw new CorruptionException(key + ": directory of position " + p
                                + " is not sorted at entry " + e);
                    }
                }
            }
            if (e != all.n) {
                throw new CorruptionException(key + ": position " + p + " lists " + all.n + " entries, its pages "
                        + e);
            }
            all.bytes = bytes;
            dirs[p] = all;
        }
        if (h.filters != null) { // format 4: every listed hash passes its filter (a filter may not hide a term)
            for (int p = 0; p <= POSITIONS; p++) {
                Paged.Ref ref = p < POSITIONS ? h.filters[p] : h.hashFilter;
                int at = bodyStart + (int) ref.offset();
                TermFilter f = TermFilter.read(Paged.page(bytes, at, ref, checkPages, key), at + ref.length(), key);
                int n = p < POSITIONS ? dirs[p].n : nb;
                for (int e = 0; e < n; e++) {
                    int hash = p < POSITIONS ? dirs[p].hash[e] : hash(hashes[e]);
                    if (!f.mightContain(hash)) {
                        throw new CorruptionException(key + ": the term filter of " + (p < POSITIONS
                                ? "position " + p : "block hashes") + " does not hold entry " + e);
                    }
                    if (p < POSITIONS) {
                        int position = p;
                        int entry = e;
                        buckets(dirs[p], e, bytes, key, TermFilter.BUCKET_BITS, b -> {
                            if (!f.mightContain(TermFilter.bucketKey(hash, b))) {
                                throw new CorruptionException(key + ": the term filter of position " + position
                                        + " does not hold entry " + entry + " in id bucket " + b);
                            }
                        });
                        if (h.version < SegmentWriter.FINE) {
                            continue;
                        }
                        if (dirs[p].card[e] > TermFilter.FINE_MAX_IDS) {
                            if (!f.mightContain(TermFilter.longKey(hash))) {
                                throw new CorruptionException(key + ": the term filter of position " + position
                                        + " does not mark entry " + entry + " as a long posting list");
                            }
                        } else {
                            fineBuckets(dirs[p], e, bytes, key, b -> {
                                if (!f.mightContain(TermFilter.fineKey(hash, b))) {
                                    throw new CorruptionException(key + ": the term filter of position " + position
                                            + " does not hold entry " + entry + " in fine id bucket " + b);
                                }
                            });
                        }
                    }
                }
            }
        }
        return new IndexSegment(h.tier, h.firstBlock, h.lastBlock, h.firstLogId, h.logCount, hashes, parents, starts,
                h.packKeys, h.packFirst, dirs, bytes);
    }

    /**
     * Gives {@code out} each id bucket of {@code 1 << bits} ids entry {@code e}'s postings fall in, ascending (a
     * bucket once, bar a list stored in parts that share one), allocating nothing per bucket. A posting bitmap's
     * buckets are its container keys: {@code bits} must be {@link TermFilter#BUCKET_BITS} for a long list.
     */
    private static void buckets(Dir d, int e, byte[] bytes, String key, int bits,
                                java.util.function.IntConsumer out) {
        if (d.card[e] <= INLINE_MAX) {
            ByteReader r = new ByteReader(bytes, d.postOff[e], d.postOff[e] + d.postLen[e], key);
            int id = 0;
            int last = -1;
            for (int k = 0; k < d.card[e]; k++) {
                id += r.varInt(Integer.MAX_VALUE);
                int b = id >>> bits;
                if (b != last) {
                    out.accept(b);
                    last = b;
                }
            }
        } else {
            forEachBitmapPart(d, e, bytes, key, bm -> {
                for (org.roaringbitmap.buffer.MappeableContainerPointer cp = bm.getContainerPointer();
                     cp.hasContainer(); cp.advance()) {
                    out.accept(cp.key());
                }
            });
        }
    }

    /** Gives {@code out} each stored part of entry {@code e}'s posting bitmap (the whole bitmap if not in parts). */
    private static void forEachBitmapPart(Dir d, int e, byte[] bytes, String key,
                                          java.util.function.Consumer<ImmutableRoaringBitmap> out) {
        int[] parts = d.parts[e];
        int n = parts == null ? 1 : parts.length / 4;
        for (int i = 0; i < n; i++) {
            int off = parts == null ? d.postOff[e] : parts[4 * i + 1];
            int len = parts == null ? d.postLen[e] : parts[4 * i + 2];
            ImmutableRoaringBitmap bm;
            try {
                bm = new ImmutableRoaringBitmap(ByteBuffer.wrap(bytes, off, len).slice());
            } catch (RuntimeException ex) {
                throw new CorruptionException(key + ": undecodable posting bitmap (" + ex + ")");
            }
            out.accept(bm);
        }
    }

    /**
     * Gives {@code out} each fine id bucket ({@link TermFilter#FINE_BITS}) entry {@code e}'s postings fall in,
     * ascending (a bucket once, bar a list stored in parts that share one): from its ids, inline or in a bitmap.
     */
    private static void fineBuckets(Dir d, int e, byte[] bytes, String key, java.util.function.IntConsumer out) {
        if (d.card[e] <= INLINE_MAX) {
            buckets(d, e, bytes, key, TermFilter.FINE_BITS, out);
            return;
        }
        forEachBitmapPart(d, e, bytes, key, bm -> TermFilter.fineBuckets(bm.getIntIterator(), out));
    }

    /** Index (into {@link #packKeys}) of the pack holding {@code logId}. */
    public int packOf(long logId) {
        return packOf(packFirstLogId, logId);
    }

    /** The last index whose first log id is at or below {@code logId} (first ids ascend). */
    static int packOf(long[] packFirst, long logId) {
        int lo = 0;
        int hi = packFirst.length - 1;
        while (lo < hi) {
            int mid = (lo + hi + 1) >>> 1;
            if (packFirst[mid] <= logId) {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        return lo;
    }
}
