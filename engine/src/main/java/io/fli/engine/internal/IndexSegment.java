package io.fli.engine.internal;

import io.fli.engine.Block;
import io.fli.engine.CorruptionException;
import io.fli.engine.Log;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.roaringbitmap.IntIterator;
import org.roaringbitmap.RoaringBitmap;
import org.roaringbitmap.buffer.ImmutableRoaringBitmap;
import org.roaringbitmap.buffer.MutableRoaringBitmap;

/**
 * An immutable index segment over a contiguous block range: the block table, the packs its logs live in, and one
 * posting list of segment-local log ids per stream. A stream is one value at one position: position 0 is the
 * address, positions 1..4 are topic0..topic3. Short posting lists are stored inline as delta varints; longer ones as
 * serialized roaring bitmaps that queries map without copying.
 */
public final class IndexSegment {
    static final int VERSION = 1;
    /** Number of stream positions: the address and four topics. */
    public static final int POSITIONS = 5;
    static final int INLINE_MAX = 16;

    /** Where one stream's posting list lives in the posting region. */
    record Entry(int offset, int length, int cardinality) {
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
    private final List<Map<String, Entry>> streams;
    private final ByteBuffer postings;
    private volatile Map<String, Integer> byHash;

    private IndexSegment(int tier, long firstBlock, long lastBlock, long firstLogId, long logCount, String[] blockHash,
                         String[] parentHash, int[] blockStart, String[] packKeys, long[] packFirstLogId,
                         List<Map<String, Entry>> streams, ByteBuffer postings) {
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
        this.streams = streams;
        this.postings = postings;
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

    /** Sum of the posting-list lengths of {@code values} at {@code position}: the clause's cardinality estimate. */
    public long estimate(int position, List<String> values) {
        Map<String, Entry> m = streams.get(position);
        long sum = 0;
        for (String v : values) {
            Entry e = m.get(v);
            if (e != null) {
                sum += e.cardinality;
            }
        }
        return sum;
    }

    /** The union of the posting lists of {@code values} at {@code position}. */
    public MutableRoaringBitmap union(int position, List<String> values) {
        Map<String, Entry> m = streams.get(position);
        MutableRoaringBitmap out = new MutableRoaringBitmap();
        for (String v : values) {
            Entry e = m.get(v);
            if (e != null) {
                if (e.cardinality <= INLINE_MAX) {
                    ByteReader r = new ByteReader(postings.array(), postings.arrayOffset() + e.offset,
                            postings.arrayOffset() + e.offset + e.length, "posting list");
                    int id = 0;
                    for (int k = 0; k < e.cardinality; k++) {
                        id += r.varInt(Integer.MAX_VALUE);
                        out.add(id);
                    }
                } else {
                    out.or(bitmap(e));
                }
            }
        }
        return out;
    }

    private ImmutableRoaringBitmap bitmap(Entry e) {
        ByteBuffer b = postings.duplicate();
        b.position(e.offset).limit(e.offset + e.length);
        return new ImmutableRoaringBitmap(b.slice());
    }

    /** Every stream at every position with its local ids, for merging. */
    private void forEachPosting(int position, java.util.function.BiConsumer<String, IntIterator> f) {
        for (Map.Entry<String, Entry> me : streams.get(position).entrySet()) {
            Entry e = me.getValue();
            if (e.cardinality <= INLINE_MAX) {
                MutableRoaringBitmap bm = union(position, List.of(me.getKey()));
                f.accept(me.getKey(), bm.getIntIterator());
            } else {
                f.accept(me.getKey(), bitmap(e).getIntIterator());
            }
        }
    }

    // ---------------------------------------------------------------- building

    /** Builds the tier-0 segment of one publish batch whose logs live in one pack. */
    public static byte[] build(long firstLogId, List<Block> blocks, String packKey) {
        List<Map<String, IntList>> post = new ArrayList<>(POSITIONS);
        for (int p = 0; p < POSITIONS; p++) {
            post.add(new LinkedHashMap<>());
        }
        int local = 0;
        String[] hashes = new String[blocks.size()];
        String[] parents = new String[blocks.size()];
        int[] starts = new int[blocks.size() + 1];
        for (int bi = 0; bi < blocks.size(); bi++) {
            Block b = blocks.get(bi);
            hashes[bi] = b.hash();
            parents[bi] = b.parentHash();
            starts[bi] = local;
            for (Log l : b.logs()) {
                post.get(0).computeIfAbsent(l.address(), k -> new IntList()).add(local);
                List<String> t = l.topics();
                for (int i = 0; i < t.size(); i++) {
                    post.get(i + 1).computeIfAbsent(t.get(i), k -> new IntList()).add(local);
                }
                local++;
            }
        }
        starts[blocks.size()] = local;
        long first = blocks.get(0).number();
        long last = blocks.get(blocks.size() - 1).number();
        return write(0, first, last, firstLogId, local, hashes, parents, starts, new String[]{packKey},
                new long[]{firstLogId}, post);
    }

    /** Merges consecutive segments (in block order) into one segment of {@code tier}. */
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
        int[] starts = new int[blocks + 1];
        String[] packKeys = new String[packs];
        long[] packFirst = new long[packs];
        List<Map<String, IntList>> post = new ArrayList<>(POSITIONS);
        for (int p = 0; p < POSITIONS; p++) {
            post.add(new LinkedHashMap<>());
        }
        int bi = 0;
        int pi = 0;
        for (IndexSegment s : parts) {
            int shift = (int) (s.firstLogId - firstLogId);
            for (int i = 0; i < s.blockHash.length; i++, bi++) {
                hashes[bi] = s.blockHash[i];
                parents[bi] = s.parentHash[i];
                starts[bi] = s.blockStart[i] + shift;
            }
            for (int i = 0; i < s.packKeys.length; i++, pi++) {
                packKeys[pi] = s.packKeys[i];
                packFirst[pi] = s.packFirstLogId[i];
            }
            for (int p = 0; p < POSITIONS; p++) {
                Map<String, IntList> target = post.get(p);
                s.forEachPosting(p, (value, it) -> {
                    IntList l = target.computeIfAbsent(value, k -> new IntList());
                    while (it.hasNext()) {
                        l.add(it.next() + shift);
                    }
                });
            }
        }
        starts[blocks] = (int) logs;
        IndexSegment tail = parts.get(parts.size() - 1);
        return write(tier, head.firstBlock, tail.lastBlock, firstLogId, logs, hashes, parents, starts, packKeys,
                packFirst, post);
    }

    private static byte[] write(int tier, long firstBlock, long lastBlock, long firstLogId, long logCount,
                                String[] hashes, String[] parents, int[] starts, String[] packKeys, long[] packFirst,
                                List<Map<String, IntList>> post) {
        ByteWriter dir = new ByteWriter(hashes.length * 80 + 1024);
        dir.varInt(tier).varLong(firstBlock).varLong(lastBlock).varLong(firstLogId).varLong(logCount);
        dir.varInt(hashes.length);
        for (int i = 0; i < hashes.length; i++) {
            dir.string(hashes[i]).string(parents[i]).varInt(starts[i + 1] - starts[i]);
        }
        dir.varInt(packKeys.length);
        for (int i = 0; i < packKeys.length; i++) {
            dir.string(packKeys[i]).varLong(packFirst[i]);
        }
        ByteWriter region = new ByteWriter((int) Math.min(Integer.MAX_VALUE / 2, logCount * 8 + 64));
        for (Map<String, IntList> m : post) {
            dir.varInt(m.size());
            for (Map.Entry<String, IntList> e : m.entrySet()) {
                IntList ids = e.getValue();
                int before = region.length();
                if (ids.n <= INLINE_MAX) {
                    int prev = 0;
                    for (int k = 0; k < ids.n; k++) {
                        region.varInt(ids.a[k] - prev);
                        prev = ids.a[k];
                    }
                } else {
                    RoaringBitmap bm = RoaringBitmap.bitmapOf(ids.toArray());
                    bm.runOptimize();
                    byte[] ser = new byte[bm.serializedSizeInBytes()];
                    bm.serialize(ByteBuffer.wrap(ser));
                    region.bytes(ser);
                }
                dir.string(e.getKey()).varInt(ids.n).varInt(region.length() - before);
            }
        }
        byte[] d = dir.toByteArray();
        ByteWriter all = new ByteWriter(d.length + region.length() + 8);
        all.varInt(d.length).bytes(d).bytes(region.toByteArray());
        return Frame.wrap(Frame.SEGMENT, VERSION, all);
    }

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
        List<Map<String, Entry>> streams = new ArrayList<>(POSITIONS);
        int offset = 0;
        for (int p = 0; p < POSITIONS; p++) {
            int n = d.count(3);
            Map<String, Entry> m = new HashMap<>(Math.max(4, n * 4 / 3 + 1));
            for (int i = 0; i < n; i++) {
                String value = d.string();
                int card = d.varInt((int) logCount);
                int len = d.varInt(regionLen - offset);
                m.put(value, new Entry(offset, len, card));
                offset += len;
            }
            streams.add(m);
        }
        d.expectEnd();
        if (offset != regionLen) {
            throw new CorruptionException(key + ": posting region is " + regionLen + " bytes, directory covers "
                    + offset);
        }
        ByteBuffer region = ByteBuffer.wrap(bytes, regionStart, regionLen).slice();
        return new IndexSegment(tier, firstBlock, lastBlock, firstLogId, logCount, hashes, parents, starts, packKeys,
                packFirst, streams, region);
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
