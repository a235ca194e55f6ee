package io.fli.engine.internal;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.roaringbitmap.RoaringBitmap;

/**
 * Writes an index segment in the paged layout (format 3, see {@link Paged}):
 *
 * <pre>
 * head:  tier, firstBlock, lastBlock, firstLogId, logCount
 *        pack table: (key, first log id)*
 *        block pages: blocks per page, (local start of the page's first block, ref)*
 *        hash pages:  entries per page, (first hash, last hash, ref)*      block hash -> block, sorted by hash
 *        per position 0..4: entries, (first hash, last hash, ref)*          the stream directory's pages
 * body:  block page = (hash, parent hash, log count)*
 *        hash page  = (i32 hash of the block hash, block index)*
 *        dir page   = (i32 hash, value, card, inline postings | ref of the posting region, parts)*
 *                     parts = count, (first id, length, crc)*        format 3; 0 parts: the region is one bitmap
 *        bitmaps
 *        filters     format 4: per position 0..4, then block hashes: a {@link TermFilter} of the hashes listed
 * head (format 4): after the directory pages, per position 0..4 the ref of its filter, then that of the block-hash
 *        filter
 * </pre>
 *
 * <p>Format 3 cuts a posting bitmap longer than {@link #PART_MIN_BYTES} into parts of {@link #PART_SPAN} ids, each
 * a roaring bitmap with its own CRC, stored one after another (the region's own ref and CRC cover them all, for
 * readers of the whole segment): a query over a block range reads only the parts its range overlaps — a popular
 * address's postings in a 4M-log segment are hundreds of KB, a recent range of 2,000 blocks needs one or two parts.
 * Format 2 (no part list) is read as before.
 *
 * <p>Format 4 adds a {@link TermFilter} per position and one of block hashes: a lookup of a term (or block hash) the
 * segment does not hold — most lookups of a selective query over a large index — is answered by the filter, a page
 * cached once per segment, instead of by the directory (or block-hash) page its hash falls in.
 *
 * Entries must be added position by position, each position sorted by (hash, value bytes). A query reads the head,
 * then the directory page(s) whose hash span holds a term, then the postings; nothing else.
 */
public final class SegmentWriter {
    static final int VERSION = 5;
    /** The first format with term filters. */
    static final int FILTERED = 4;
    /**
     * The first format whose filters also tell, for a term with a short posting list ({@link TermFilter#FINE_MAX_IDS}),
     * the fine id buckets ({@link TermFilter#FINE_BITS}) its ids fall in, and mark a term with a long one
     * ({@link TermFilter#longKey}).
     */
    static final int FINE = 5;
    /** The first paged segment format; this build reads {@code FIRST_PAGED..VERSION}. */
    static final int FIRST_PAGED = 2;
    /** Ids per part of a long posting bitmap (two roaring containers). */
    static final int PART_SPAN = 1 << 17;
    /** A posting bitmap up to this many serialized bytes is stored whole. */
    static final int PART_MIN_BYTES = 16 * 1024;
    static final int BLOCKS_PER_PAGE = 256;
    static final int HASHES_PER_PAGE = 512;
    static final int ENTRIES_PER_PAGE = 128;

    /** A directory page as listed in the head. */
    record PageInfo(int firstHash, int lastHash, Paged.Ref ref) {
    }

    private final int version;
    private final ByteWriter head = new ByteWriter(4096);
    private final Paged.Body body;
    private final List<List<PageInfo>> dirPages = new ArrayList<>();
    private final int[] entries = new int[IndexSegment.POSITIONS];
    private int position = -1;
    private ByteWriter page;
    private int pageCount;
    private int pageFirstHash;
    private int pageLastHash;
    /** Format 4: each position's filter keys (entry hashes and their bucket keys); the block-hash filter's ref. */
    private final int[][] termHashes = new int[IndexSegment.POSITIONS][];
    private final int[] keyCount = new int[IndexSegment.POSITIONS];
    private Paged.Ref hashFilter;

    SegmentWriter(int tier, long firstBlock, long firstLogId, long logCount, String[] hashes, String[] parents,
                  int[] counts, String[] packKeys, long[] packFirst, int bodyCapacity, int version) {
        if (version < FIRST_PAGED || version > VERSION) {
            throw new IllegalArgumentException("segment format " + version + " is not written");
        }
        this.version = version;
        body = new Paged.Body(bodyCapacity);
        head.varInt(tier).varLong(firstBlock).varLong(firstBlock + hashes.length - 1).varLong(firstLogId)
                .varLong(logCount);
        head.varInt(packKeys.length);
        for (int i = 0; i < packKeys.length; i++) {
            head.string(packKeys[i]).varLong(packFirst[i]);
        }
        // Block pages.
        int nb = hashes.length;
        int pages = (nb + BLOCKS_PER_PAGE - 1) / BLOCKS_PER_PAGE;
        head.varInt(BLOCKS_PER_PAGE).varInt(pages);
        int start = 0;
        for (int pg = 0; pg < pages; pg++) {
            ByteWriter w = new ByteWriter(BLOCKS_PER_PAGE * 140);
            int pageStart = start;
            for (int b = pg * BLOCKS_PER_PAGE; b < Math.min(nb, (pg + 1) * BLOCKS_PER_PAGE); b++) {
                w.string(hashes[b]).string(parents[b]).varInt(counts[b]);
                start += counts[b];
            }
            head.varInt(pageStart);
            body.add(w).write(head);
        }
        // Block-hash pages: (hash, block index) sorted.
        long[] keyed = new long[nb];
        for (int b = 0; b < nb; b++) {
            keyed[b] = ((long) IndexSegment.hash(hashes[b]) << 32) | b;
        }
        java.util.Arrays.sort(keyed);
        int hp = (nb + HASHES_PER_PAGE - 1) / HASHES_PER_PAGE;
        head.varInt(HASHES_PER_PAGE).varInt(hp);
        for (int pg = 0; pg < hp; pg++) {
            int from = pg * HASHES_PER_PAGE;
            int to = Math.min(nb, from + HASHES_PER_PAGE);
            ByteWriter w = new ByteWriter((to - from) * 8);
            for (int i = from; i < to; i++) {
                w.i32((int) (keyed[i] >> 32)).varInt((int) keyed[i]);
            }
            head.i32((int) (keyed[from] >> 32)).i32((int) (keyed[to - 1] >> 32));
            body.add(w).write(head);
        }
        if (version >= FILTERED) {
            int[] hs = new int[nb];
            for (int b = 0; b < nb; b++) {
                hs[b] = (int) (keyed[b] >> 32);
            }
            byte[] f = TermFilter.build(hs, nb);
            hashFilter = body.add(f, 0, f.length);
        }
    }

    /** Starts the next stream position (0 = address, 1..4 = topics); positions come in order. */
    void position(int p) {
        if (p != position + 1) {
            throw new IllegalStateException("position " + p + " after " + position);
        }
        flushPage();
        position = p;
        dirPages.add(new ArrayList<>());
    }

    private ByteWriter entryStart(int hash, byte[] value, int off, int len, int card) {
        if (page == null) {
            page = new ByteWriter(ENTRIES_PER_PAGE * 64);
        }
        if (pageCount == 0) {
            pageFirstHash = hash;
        }
        pageLastHash = hash;
        filterKey(hash);
        entries[position]++;
        pageCount++;
        return page.i32(hash).varInt(len).bytes(value, off, len).varInt(card);
    }

    /** Adds a key to the current position's filter (formats 4 and 5). */
    private void filterKey(int key) {
        if (version < FILTERED) {
            return;
        }
        int[] hs = termHashes[position];
        int n = keyCount[position];
        if (hs == null || hs.length == n) {
            hs = java.util.Arrays.copyOf(hs == null ? new int[0] : hs, Math.max(64, n * 2));
            termHashes[position] = hs;
        }
        hs[n] = key;
        keyCount[position] = n + 1;
    }

    private void entryEnd() {
        if (pageCount == ENTRIES_PER_PAGE) {
            flushPage();
        }
    }

    /** A stream with {@code card} ascending ids {@code ids[from..]}: inline when short, else a roaring bitmap. */
    void entry(int hash, byte[] value, int off, int len, int[] ids, int from, int card) {
        if (card > IndexSegment.INLINE_MAX) {
            RoaringBitmap bm = new RoaringBitmap();
            bm.addN(ids, from, card);
            entry(hash, value, off, len, bm);
            return;
        }
        ByteWriter w = entryStart(hash, value, off, len, card);
        int lastBucket = -1;
        int lastFine = -1;
        for (int k = from; k < from + card; k++) {
            int b = ids[k] >>> TermFilter.BUCKET_BITS;
            if (b != lastBucket) {
                filterKey(TermFilter.bucketKey(hash, b));
                lastBucket = b;
            }
            if (version >= FINE && ids[k] >>> TermFilter.FINE_BITS != lastFine) {
                lastFine = ids[k] >>> TermFilter.FINE_BITS;
                filterKey(TermFilter.fineKey(hash, lastFine));
            }
        }
        int bytes = 0;
        int prev = 0;
        for (int k = from; k < from + card; k++) {
            bytes += varIntSize(ids[k] - prev);
            prev = ids[k];
        }
        w.varInt(bytes);
        prev = 0;
        for (int k = from; k < from + card; k++) {
            w.varInt(ids[k] - prev);
            prev = ids[k];
        }
        entryEnd();
    }

    private static int varIntSize(int v) {
        return v < 0 ? 10 : v < (1 << 7) ? 1 : v < (1 << 14) ? 2 : v < (1 << 21) ? 3 : v < (1 << 28) ? 4 : 5;
    }

    /** A stream whose postings are {@code bm} (more than {@link IndexSegment#INLINE_MAX} ids). */
    void entry(int hash, byte[] value, int off, int len, RoaringBitmap bm) {
        ByteWriter w = entryStart(hash, value, off, len, bm.getCardinality());
        if (version >= FINE) {
            if (bm.getCardinality() > TermFilter.FINE_MAX_IDS) {
                filterKey(TermFilter.longKey(hash));
            } else {
                TermFilter.fineBuckets(bm.getIntIterator(), f -> filterKey(TermFilter.fineKey(hash, f)));
            }
        }
        for (org.roaringbitmap.ContainerPointer cp = bm.getContainerPointer(); cp.getContainer() != null;
             cp.advance()) {
            filterKey(TermFilter.bucketKey(hash, cp.key()));
        }
        bm.runOptimize();
        if (version < 3 || bm.serializedSizeInBytes() <= PART_MIN_BYTES) {
            byte[] ser = serialize(bm);
            body.add(ser, 0, ser.length).write(w);
            if (version >= 3) {
                w.varInt(0);
            }
            entryEnd();
            return;
        }
        List<byte[]> parts = new ArrayList<>();
        List<Integer> firsts = new ArrayList<>();
        int total = 0;
        for (long start = (bm.first() / PART_SPAN) * (long) PART_SPAN; start <= bm.last(); start += PART_SPAN) {
            RoaringBitmap part = bm.selectRange(start, start + PART_SPAN);
            if (part.isEmpty()) {
                continue;
            }
            byte[] ser = serialize(part);
            parts.add(ser);
            firsts.add((int) start);
            total += ser.length;
        }
        byte[] region = new byte[total];
        int at = 0;
        for (byte[] p : parts) {
            System.arraycopy(p, 0, region, at, p.length);
            at += p.length;
        }
        body.add(region, 0, total).write(w);
        w.varInt(parts.size());
        for (int i = 0; i < parts.size(); i++) {
            w.varInt(firsts.get(i)).varInt(parts.get(i).length).i32(Paged.crc(parts.get(i), 0, parts.get(i).length));
        }
        entryEnd();
    }

    private static byte[] serialize(RoaringBitmap bm) {
        byte[] ser = new byte[bm.serializedSizeInBytes()];
        bm.serialize(ByteBuffer.wrap(ser));
        return ser;
    }

    private void flushPage() {
        if (pageCount > 0) {
            dirPages.get(position).add(new PageInfo(pageFirstHash, pageLastHash, body.add(page)));
            page.reset();
            pageCount = 0;
        }
    }

    byte[] finish() {
        flushPage();
        while (dirPages.size() < IndexSegment.POSITIONS) {
            position(dirPages.size());
        }
        for (int p = 0; p < IndexSegment.POSITIONS; p++) {
            head.varInt(entries[p]).varInt(dirPages.get(p).size());
            for (PageInfo pi : dirPages.get(p)) {
                head.i32(pi.firstHash()).i32(pi.lastHash());
                pi.ref().write(head);
            }
        }
        if (version >= FILTERED) {
            for (int p = 0; p < IndexSegment.POSITIONS; p++) {
                byte[] f = TermFilter.build(termHashes[p] == null ? new int[0] : termHashes[p], keyCount[p]);
                termHashes[p] = null;
                body.add(f, 0, f.length).write(head);
            }
            hashFilter.write(head);
        }
        return Paged.frame(Frame.SEGMENT, version, head, body);
    }
}
