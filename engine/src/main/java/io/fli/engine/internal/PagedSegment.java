package io.fli.engine.internal;

import io.fli.engine.CorruptionException;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;
import org.roaringbitmap.buffer.ImmutableRoaringBitmap;
import org.roaringbitmap.buffer.MutableRoaringBitmap;

/**
 * A format-2 segment read page by page: its head (fetched once, cached) says where each block page, block-hash page
 * and directory page lies; a query fetches only the pages its terms and blocks fall in, and the bitmaps of the
 * streams it unions. Pages and bitmaps go through the index's bounded cache.
 */
final class PagedSegment implements SegmentReader {
    /** Fetches (or finds cached) one decoded page of this segment. */
    interface Pages {
        <T> T page(String blobKey, Object owner, String part, int bodyStart, Paged.Ref ref, PageDecoder<T> decoder);

        /**
         * As {@link #page}, but not cached: for what the segment holds itself once read (its filters, counted in its
         * head's weight), which a cached copy would only count twice. By default the cached read.
         */
        default <T> T read(String blobKey, Object owner, String part, int bodyStart, Paged.Ref ref,
                           PageDecoder<T> decoder) {
            return page(blobKey, owner, part, bodyStart, ref, decoder);
        }

        /**
         * As {@link #page} when that costs no GET — the page is cached, or the blob's bytes are held — else null.
         * By default null.
         */
        default <T> T atHand(String blobKey, Object owner, String part, int bodyStart, Paged.Ref ref,
                             PageDecoder<T> decoder) {
            return null;
        }
    }

    /** Decodes a verified page; returns the value and the heap bytes it holds (its cache weight). */
    interface PageDecoder<T> {
        T decode(ByteReader r, int end);
    }

    /** The parsed head of a format-2 segment. */
    static final class Head {
        int tier;
        long firstBlock;
        long lastBlock;
        long firstLogId;
        long logCount;
        String[] packKeys;
        long[] packFirst;
        int blocksPerPage;
        int[] blockPageStart;
        Paged.Ref[] blockPages;
        int hashesPerPage;
        int[] hashFirst;
        int[] hashLast;
        Paged.Ref[] hashPages;
        final int[] entries = new int[IndexSegment.POSITIONS];
        final int[][] dirFirst = new int[IndexSegment.POSITIONS][];
        final int[][] dirLast = new int[IndexSegment.POSITIONS][];
        final Paged.Ref[][] dirPages = new Paged.Ref[IndexSegment.POSITIONS][];
        /** Format 4: each position's term filter, and the block-hash filter; null before. */
        Paged.Ref[] filters;
        Paged.Ref hashFilter;
        int bodyStart; // also the head's size in bytes, frame header included
        int version; // the segment format: 3 lists the parts of long posting bitmaps

        static Head read(ByteReader r, int bodyStart, long bodyLength, String key, int version) {
            Head h = new Head();
            h.bodyStart = bodyStart;
            h.version = version;
            h.tier = r.varInt(1000);
            h.firstBlock = r.varLong();
            h.lastBlock = r.varLong();
            h.firstLogId = r.varLong();
            h.logCount = r.varLong();
            if (h.lastBlock < h.firstBlock || h.lastBlock - h.firstBlock >= Integer.MAX_VALUE
                    || h.logCount > Integer.MAX_VALUE) {
                throw new CorruptionException(key + ": impossible segment bounds " + h.firstBlock + ".."
                        + h.lastBlock + " with " + h.logCount + " logs");
            }
            int np = r.count(2);
            h.packKeys = new String[np];
            h.packFirst = new long[np];
            for (int i = 0; i < np; i++) {
                h.packKeys[i] = r.string();
                h.packFirst[i] = r.varLong();
            }
            if (np == 0) {
                throw new CorruptionException(key + ": the segment names no pack");
            }
            long nb = h.lastBlock - h.firstBlock + 1;
            h.blocksPerPage = r.varInt(1 << 20);
            int nbp = r.count(6);
            if (h.blocksPerPage < 1 || nbp != (nb + h.blocksPerPage - 1) / h.blocksPerPage) {
                throw new CorruptionException(key + ": " + nbp + " block pages of " + h.blocksPerPage
                        + " cannot cover " + nb + " blocks");
            }
            h.blockPageStart = new int[nbp];
            h.blockPages = new Paged.Ref[nbp];
            for (int i = 0; i < nbp; i++) {
                h.blockPageStart[i] = r.varInt((int) h.logCount);
                h.blockPages[i] = Paged.Ref.read(r, bodyLength);
            }
            h.hashesPerPage = r.varInt(1 << 20);
            int nhp = r.count(14);
            if (h.hashesPerPage < 1 || nhp != (nb + h.hashesPerPage - 1) / h.hashesPerPage) {
                throw new CorruptionException(key + ": " + nhp + " block-hash pages cannot cover " + nb + " blocks");
            }
            h.hashFirst = new int[nhp];
            h.hashLast = new int[nhp];
            h.hashPages = new Paged.Ref[nhp];
            for (int i = 0; i < nhp; i++) {
                h.hashFirst[i] = r.i32();
                h.hashLast[i] = r.i32();
                h.hashPages[i] = Paged.Ref.read(r, bodyLength);
            }
            for (int p = 0; p < IndexSegment.POSITIONS; p++) {
                h.entries[p] = r.varInt(Integer.MAX_VALUE);
                int n = r.count(14);
                h.dirFirst[p] = new int[n];
                h.dirLast[p] = new int[n];
                h.dirPages[p] = new Paged.Ref[n];
                for (int i = 0; i < n; i++) {
                    h.dirFirst[p][i] = r.i32();
                    h.dirLast[p][i] = r.i32();
                    h.dirPages[p][i] = Paged.Ref.read(r, bodyLength);
                    if (i > 0 && h.dirFirst[p][i] < h.dirLast[p][i - 1]) {
                        throw new CorruptionException(key + ": directory pages of position " + p
                                + " are not in hash order at page " + i);
                    }
                }
            }
            if (version >= SegmentWriter.FILTERED) {
                h.filters = new Paged.Ref[IndexSegment.POSITIONS];
                for (int p = 0; p < IndexSegment.POSITIONS; p++) {
                    h.filters[p] = Paged.Ref.read(r, bodyLength);
                }
                h.hashFilter = Paged.Ref.read(r, bodyLength);
            }
            r.expectEnd();
            return h;
        }

        /** Whether directory entries list the parts of long posting bitmaps (format 3). */
        boolean parted() {
            return version >= 3;
        }

        /** The pack index holding {@code logId}. */
        int packOf(long logId) {
            return IndexSegment.packOf(packFirst, logId);
        }
    }

    /** One decoded block page: hashes, parent hashes, and each block's first log relative to the page. */
    record BlockPage(String[] hash, String[] parent, int[] start) {
    }

    /** One decoded block-hash page: (hash of the block hash, block index) in hash order. */
    record HashPage(int[] hash, int[] block) {
    }

    final String key;
    final Head head;
    private final Pages pages;
    /**
     * Format 4: the filters read so far (per position, then block hashes), held with the head — every lookup of the
     * segment probes them, several times for a range query's buckets, and a cache lookup per probe cost more than the
     * probe. Their bytes are part of the head's {@link #weight}, counted before they are read.
     */
    private final TermFilter[] loaded = new TermFilter[IndexSegment.POSITIONS + 1];

    PagedSegment(String key, Head head, Pages pages) {
        this.key = key;
        this.head = head;
        this.pages = pages;
    }

    /** Heap bytes the head holds (its cache weight). */
    int weight() {
        long filters = head.filters == null ? 0 : filterBytes() + 48L * loaded.length;
        return (int) Math.min(Integer.MAX_VALUE, head.bodyStart * 3L + 512 + filters);
    }

    /** The stored bytes of the segment's filters (format 4), every position's and the block hashes'. */
    private long filterBytes() {
        long bytes = head.hashFilter.length();
        for (Paged.Ref f : head.filters) {
            bytes += f.length();
        }
        return bytes;
    }

    private BlockPage blockPage(int i) {
        return pages.page(key, head, "b", head.bodyStart, head.blockPages[i], blockPageDecoder(i));
    }

    /** Block page {@code i} if reading it costs no GET, else null. */
    private BlockPage blockPageAtHand(int i) {
        return pages.atHand(key, head, "b", head.bodyStart, head.blockPages[i], blockPageDecoder(i));
    }

    private PageDecoder<BlockPage> blockPageDecoder(int i) {
        int expected = (int) Math.min(head.blocksPerPage, head.lastBlock - head.firstBlock + 1
                - (long) i * head.blocksPerPage);
        return (r, end) -> {
            String[] h = new String[expected];
            String[] p = new String[expected];
            int[] start = new int[expected + 1];
            for (int b = 0; b < expected; b++) {
                h[b] = r.string();
                p[b] = r.string();
                start[b + 1] = start[b] + r.varInt(Integer.MAX_VALUE);
            }
            r.expectEnd();
            return new BlockPage(h, p, start);
        };
    }

    @Override
    public int localStart(long block) {
        if (block == head.firstBlock) {
            return 0;
        }
        if (block == head.lastBlock + 1) {
            return (int) head.logCount;
        }
        long i = block - head.firstBlock;
        int pg = (int) (i / head.blocksPerPage);
        int within = (int) (i % head.blocksPerPage);
        return head.blockPageStart[pg] + (within == 0 ? 0 : blockPage(pg).start()[within]);
    }

    @Override
    public int[] localStartBounds(long block) {
        if (block <= head.firstBlock) {
            return new int[]{0, 0};
        }
        if (block > head.lastBlock) {
            return new int[]{(int) head.logCount, (int) head.logCount};
        }
        long i = block - head.firstBlock;
        int pg = (int) (i / head.blocksPerPage);
        if (i % head.blocksPerPage == 0) {
            return new int[]{head.blockPageStart[pg], head.blockPageStart[pg]};
        }
        BlockPage atHand = blockPageAtHand(pg); // exact when its page costs no GET (warmed, or written here)
        if (atHand != null) {
            int s = head.blockPageStart[pg] + atHand.start()[(int) (i % head.blocksPerPage)];
            return new int[]{s, s};
        }
        int next = pg + 1 < head.blockPageStart.length ? head.blockPageStart[pg + 1] : (int) head.logCount;
        return new int[]{head.blockPageStart[pg], next};
    }

    @Override
    public String hashOf(long block) {
        long i = block - head.firstBlock;
        return blockPage((int) (i / head.blocksPerPage)).hash()[(int) (i % head.blocksPerPage)];
    }

    /** Whether the segment may hold a term (or, at {@code position} -1, a block hash) of this hash. */
    private boolean mayHold(int position, int hash) {
        if (head.filters == null) {
            return true;
        }
        int i = position < 0 ? IndexSegment.POSITIONS : position;
        TermFilter f = loaded[i]; // immutable once built (final fields): a racing read sees it whole or null
        if (f == null) {
            Paged.Ref ref = position < 0 ? head.hashFilter : head.filters[position];
            f = pages.read(key, head, "f", head.bodyStart, ref, (r, end) -> TermFilter.read(r, end, key));
            loaded[i] = f;
        }
        return f.mightContain(hash);
    }

    @Override
    public boolean mayHoldAny(int position, List<IndexSegment.Term> terms, int lo, int hi) {
        if (head.filters == null) {
            return true;
        }
        if (lo >= hi) {
            return false;
        }
        int first = lo >>> TermFilter.BUCKET_BITS;
        int last = (hi - 1) >>> TermFilter.BUCKET_BITS;
        boolean part = lo > 0 || hi < head.logCount; // the whole segment: the term's own key says it
        boolean byBucket = last - first < TermFilter.MAX_BUCKETS_TESTED && part;
        int fineFirst = lo >>> TermFilter.FINE_BITS;
        int fineLast = (hi - 1) >>> TermFilter.FINE_BITS;
        boolean byFine = head.version >= SegmentWriter.FINE && part
                && fineLast - fineFirst < TermFilter.MAX_FINE_TESTED;
        for (IndexSegment.Term t : terms) {
            if (mayHoldIn(position, t.hash(), byBucket, first, last) && (!byFine
                    || mayHoldShortIn(position, t.hash(), fineFirst, fineLast))) {
                return true;
            }
        }
        return false;
    }

    /** Whether a term of this hash may have postings in id buckets {@code first..last} (or, if not by bucket, at all). */
    private boolean mayHoldIn(int position, int hash, boolean byBucket, int first, int last) {
        if (!byBucket) {
            return mayHold(position, hash);
        }
        for (int b = first; b <= last; b++) {
            if (mayHold(position, TermFilter.bucketKey(hash, b))) {
                return true;
            }
        }
        return false;
    }

    /**
     * Format 5: whether a term of this hash may have postings in fine buckets {@code first..last} — always, for a term
     * marked as having a long posting list (its fine buckets are not in the filter); else only if one of them is.
     */
    private boolean mayHoldShortIn(int position, int hash, int first, int last) {
        if (mayHold(position, TermFilter.longKey(hash))) {
            return true;
        }
        for (int f = first; f <= last; f++) {
            if (mayHold(position, TermFilter.fineKey(hash, f))) {
                return true;
            }
        }
        return false;
    }

    @Override
    public long blockWithHash(String hash) {
        int h = IndexSegment.hash(hash);
        if (!mayHold(-1, h)) {
            return -1;
        }
        for (int pg = 0; pg < head.hashPages.length; pg++) {
            if (head.hashFirst[pg] > h || head.hashLast[pg] < h) {
                continue;
            }
            HashPage page = hashPage(pg);
            for (int k = 0; k < page.hash().length; k++) {
                if (page.hash()[k] == h && hash.equals(hashOf(head.firstBlock + page.block()[k]))) {
                    return head.firstBlock + page.block()[k];
                }
            }
        }
        return -1;
    }

    /** Hash page {@code pg}: block-hash hashes and the blocks they name. */
    private HashPage hashPage(int pg) {
        return pages.page(key, head, "h", head.bodyStart, head.hashPages[pg], (r, end) -> {
            int n = (int) Math.min(head.hashesPerPage, head.lastBlock - head.firstBlock + 1);
            int[] hs = new int[n];
            int[] bs = new int[n];
            int k = 0;
            while (r.position() < end && k < n) {
                hs[k] = r.i32();
                bs[k] = r.varInt((int) (head.lastBlock - head.firstBlock));
                k++;
            }
            r.expectEnd();
            return new HashPage(Arrays.copyOf(hs, k), Arrays.copyOf(bs, k));
        });
    }

    @Override
    public long warmBlocks() {
        long bytes = 0;
        for (int pg = 0; pg < head.hashPages.length; pg++) {
            hashPage(pg);
            bytes += head.hashPages[pg].length();
        }
        for (int i = 0; i < head.blockPages.length; i++) {
            blockPage(i);
            bytes += head.blockPages[i].length();
        }
        return bytes;
    }

    @Override
    public long warmFilters() {
        if (head.filters == null) {
            return 0;
        }
        for (int p = 0; p < head.filters.length; p++) {
            mayHold(p, 0);
        }
        mayHold(-1, 0);
        return filterBytes();
    }

    @Override
    public long warm(long maxBytes) {
        // The filters first: small, and every lookup of the segment reads them.
        if (head.filters != null && filterBytes() > maxBytes) {
            return 0;
        }
        long filters = warmFilters();
        long pagesBytes = 0;
        for (Paged.Ref[] refs : head.dirPages) {
            for (Paged.Ref r : refs) {
                pagesBytes += r.length();
            }
        }
        for (Paged.Ref r : head.blockPages) {
            pagesBytes += r.length();
        }
        if (filters + pagesBytes > maxBytes) {
            return filters;
        }
        for (int p = 0; p < head.dirPages.length; p++) {
            for (int pg = 0; pg < head.dirPages[p].length; pg++) {
                dirPage(p, pg);
            }
        }
        for (int i = 0; i < head.blockPages.length; i++) {
            blockPage(i);
        }
        return filters + pagesBytes;
    }

    /** A directory page of {@code position}, decoded over its own bytes (bitmap offsets are body offsets). */
    private IndexSegment.Dir dirPage(int position, int pg) {
        return pages.page(key, head, "d", head.bodyStart, head.dirPages[position][pg],
                (r, end) -> IndexSegment.readDirPage(r, end, 0, Long.MAX_VALUE, head.logCount, key, head.parted()));
    }

    /** Calls {@code f} with the page and entry of {@code t} at {@code position}, if the segment has it. */
    private <T> T lookup(int position, IndexSegment.Term t, EntryFn<T> f, T absent) {
        if (!mayHold(position, t.hash())) {
            return absent;
        }
        int[] first = head.dirFirst[position];
        int[] last = head.dirLast[position];
        // Pages whose hash span holds t.hash: binary search for the first whose last hash is >= t.hash.
        int lo = 0;
        int hi = first.length;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (last[mid] < t.hash()) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        for (int pg = lo; pg < first.length && first[pg] <= t.hash(); pg++) {
            IndexSegment.Dir d = dirPage(position, pg);
            byte[] bytes = pageBytes(d);
            // Entries are in (hash, value) order, checked when the page was read: binary search on the hash.
            int a = 0;
            int b = d.n;
            while (a < b) {
                int mid = (a + b) >>> 1;
                if (d.hash[mid] < t.hash()) {
                    a = mid + 1;
                } else {
                    b = mid;
                }
            }
            for (int e = a; e < d.n && d.hash[e] == t.hash(); e++) {
                if (Arrays.equals(bytes, d.valueOff[e], d.valueOff[e] + d.valueLen[e], t.utf8(), 0,
                        t.utf8().length)) {
                    return f.apply(d, e);
                }
            }
        }
        return absent;
    }

    private interface EntryFn<T> {
        T apply(IndexSegment.Dir d, int e);
    }

    private static byte[] pageBytes(IndexSegment.Dir d) {
        return d.bytes;
    }
    @Override
    public long estimate(int position, List<IndexSegment.Term> terms) {
        long sum = 0;
        for (IndexSegment.Term t : terms) {
            sum += lookup(position, t, (d, e) -> (long) d.card[e], 0L);
        }
        return sum;
    }

    @Override
    public MutableRoaringBitmap union(int position, List<IndexSegment.Term> terms, int lo, int hi) {
        MutableRoaringBitmap out = new MutableRoaringBitmap();
        boolean whole = lo <= 0 && hi >= head.logCount;
        for (IndexSegment.Term t : terms) {
            lookup(position, t, (d, e) -> {
                if (d.card[e] <= IndexSegment.INLINE_MAX) {
                    ByteReader r = new ByteReader(d.bytes, d.postOff[e], d.postOff[e] + d.postLen[e], key);
                    int id = 0;
                    for (int k = 0; k < d.card[e]; k++) {
                        id += r.varInt(Integer.MAX_VALUE);
                        if (id >= lo && id < hi) {
                            out.add(id);
                        }
                    }
                } else if (d.parts[e] == null) {
                    Paged.Ref ref = new Paged.Ref(d.postOff[e], d.postLen[e], d.crc[e]);
                    ImmutableRoaringBitmap bm = pages.page(key, head, "p", head.bodyStart, ref,
                            (r, end) -> bitmap(r, end, d.card[e]));
                    out.or(whole ? bm : bm.selectRange(lo, hi));
                } else {
                    // Only the parts the range overlaps, each fetched and checked on its own.
                    int[] parts = d.parts[e];
                    for (int i = 0; i < parts.length / 4; i++) {
                        long from = parts[4 * i];
                        long to = IndexSegment.partEnd(parts, i, head.logCount);
                        if (to <= lo || from >= hi) {
                            continue;
                        }
                        Paged.Ref ref = new Paged.Ref(parts[4 * i + 1], parts[4 * i + 2], parts[4 * i + 3]);
                        ImmutableRoaringBitmap bm = pages.page(key, head, "p", head.bodyStart, ref,
                                (r, end) -> IndexSegment.part(r.array(), r.position(), end - r.position(), from, to,
                                        key));
                        out.or(from >= lo && to <= hi ? bm : bm.selectRange(lo, hi));
                    }
                }
                return Boolean.TRUE;
            }, Boolean.FALSE);
        }
        return out;
    }

    private ImmutableRoaringBitmap bitmap(ByteReader r, int end, int card) {
        ImmutableRoaringBitmap bm;
        try {
            bm = new ImmutableRoaringBitmap(ByteBuffer.wrap(r.array(), r.position(), end - r.position()).slice());
        } catch (RuntimeException e) {
            throw new CorruptionException(key + ": undecodable posting bitmap (" + e + ")");
        }
        if (bm.getCardinality() != card || (card > 0 && bm.last() >= head.logCount)) {
            throw new CorruptionException(key + ": a posting bitmap holds " + bm.getCardinality()
                    + " ids where the directory says " + card);
        }
        return bm;
    }

    @Override
    public String packKeyOf(long logId) {
        return head.packKeys[head.packOf(logId)];
    }

    @Override
    public List<String> packKeys() {
        return Arrays.asList(head.packKeys);
    }
}
