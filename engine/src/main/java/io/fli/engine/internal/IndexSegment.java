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
public final class IndexSegment {
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

        Dir(int n) {
            this.n = n;
            hash = new int[n];
            valueOff = new int[n];
            valueLen = new int[n];
            card = new int[n];
            postOff = new int[n];
            postLen = new int[n];
        }
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

    public String hashOf(long block) {
        return blockHash[(int) (block - firstBlock)];
    }

    /** The block number with this hash, or -1. */
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

    /** Segment-local id of the first log of {@code block} (for {@code lastBlock + 1}: the log count). */
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

    /** Sum of the posting-list lengths of {@code terms} at {@code position}: the clause's cardinality estimate. */
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

    /** The union of the posting lists of {@code terms} at {@code position}. */
    public MutableRoaringBitmap union(int position, List<Term> terms) {
        MutableRoaringBitmap out = new MutableRoaringBitmap();
        for (Term t : terms) {
            int e = find(position, t);
            if (e < 0) {
                continue;
            }
            Dir d = dirs[position];
            if (d.card[e] <= INLINE_MAX) {
                forEachInline(d, e, 0, out::add);
            } else {
                out.or(bitmap(d, e));
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
        return new ImmutableRoaringBitmap(ByteBuffer.wrap(bytes, d.postOff[e], d.postLen[e]).slice());
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

    /** Merges consecutive segments (in block order) into one segment of {@code tier}: a k-way directory merge. */
    public static byte[] merge(int tier, List<IndexSegment> parts) {
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
        ByteWriter dir = new ByteWriter(blocks * 80 + 1024);
        writeHeader(dir, tier, head.firstBlock, parts.get(parts.size() - 1).lastBlock, firstLogId, logs, hashes,
                parents, counts, packKeys, packFirst);
        ByteWriter region = new ByteWriter((int) Math.min(Integer.MAX_VALUE / 2, logs * 6 + 64));
        int k = parts.size();
        int[] cur = new int[k];
        boolean[] take = new boolean[k];
        int[] inline = new int[INLINE_MAX];
        for (int p = 0; p < POSITIONS; p++) {
            ByteWriter entries = new ByteWriter(1024);
            int count = 0;
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
                int before = region.length();
                if (card <= INLINE_MAX) {
                    int[] n = {0};
                    for (int s = 0; s < k; s++) {
                        if (take[s]) {
                            parts.get(s).forEachPosting(parts.get(s).dirs[p], cur[s], shift[s], id -> inline[n[0]++] = id);
                        }
                    }
                    writePostings(region, inline, 0, card);
                } else {
                    RoaringBitmapWriter<RoaringBitmap> w = RoaringBitmapWriter.writer().get();
                    for (int s = 0; s < k; s++) {
                        if (take[s]) {
                            parts.get(s).forEachPosting(parts.get(s).dirs[p], cur[s], shift[s], w::add);
                        }
                    }
                    writeBitmap(region, w.get());
                }
                writeEntry(entries, m.hash[me], ms.bytes, m.valueOff[me], m.valueLen[me], card,
                        region.length() - before);
                count++;
                for (int s = 0; s < k; s++) {
                    if (take[s]) {
                        cur[s]++;
                    }
                }
            }
            dir.varInt(count);
            dir.bytes(entries.toByteArray());
        }
        return frame(dir, region);
    }

    // ---------------------------------------------------------------- reading

    public static IndexSegment decode(byte[] bytes, String key) {
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

    /** Index (into {@link #packKeys}) of the pack holding {@code logId}. */
    public int packOf(long logId) {
        int lo = 0;
        int hi = packFirstLogId.length - 1;
        while (lo < hi) {
            int mid = (lo + hi + 1) >>> 1;
            if (packFirstLogId[mid] <= logId) {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        return lo;
    }
}
