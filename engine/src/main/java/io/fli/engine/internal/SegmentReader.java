package io.fli.engine.internal;

import java.util.List;
import org.roaringbitmap.buffer.MutableRoaringBitmap;

/**
 * What a query needs of an index segment. {@link IndexSegment} answers from a whole decoded blob (format 1, and
 * segments this process holds for merging); {@link PagedSegment} answers from the pages it fetches (format 2).
 */
interface SegmentReader {
    /** Segment-local id of the first log of {@code block} (for {@code lastBlock + 1}: the log count). */
    int localStart(long block);

    /** The hash of {@code block}, which the segment covers. */
    String hashOf(long block);

    /** The block number with this hash, or -1. */
    long blockWithHash(String hash);

    /** Sum of the posting-list lengths of {@code terms} at {@code position}: the clause's cardinality estimate. */
    long estimate(int position, List<IndexSegment.Term> terms);

    /** The union of the posting lists of {@code terms} at {@code position}. */
    default MutableRoaringBitmap union(int position, List<IndexSegment.Term> terms) {
        return union(position, terms, 0, Integer.MAX_VALUE);
    }

    /**
     * The union of the posting lists of {@code terms} at {@code position}, restricted to the segment-local ids in
     * {@code [lo, hi)}: a query over a few blocks of a large segment copies and intersects only the part of a long
     * posting list its range covers, so its cost follows its range, not the segment's size.
     */
    MutableRoaringBitmap union(int position, List<IndexSegment.Term> terms, int lo, int hi);

    /** The key of the pack that holds {@code logId}. */
    String packKeyOf(long logId);

    /** Every pack key the segment names. */
    List<String> packKeys();

    /**
     * Bounds on {@link #localStart}{@code (block)} read without fetching a page: {@code [at most, at least]} (the
     * start of the block page holding {@code block}, and of the next). Exact where the segment is decoded whole, and
     * where the block page is cached or the segment's bytes are held.
     */
    default int[] localStartBounds(long block) {
        int s = localStart(block);
        return new int[]{s, s};
    }

    /**
     * False only when the segment holds none of {@code terms} at {@code position} with a posting among the
     * segment-local ids {@code [lo, hi)} (format 4's term filters, by bucket; format 5's also by fine bucket for a
     * term with a short posting list; always true before). Reads at most the position's filter page, never a
     * directory or block page.
     */
    default boolean mayHoldAny(int position, List<IndexSegment.Term> terms, int lo, int hi) {
        return true;
    }

    /** Reads the segment's term filters (format 4) into the cache; returns their bytes, 0 when it has none. */
    default long warmFilters() {
        return 0;
    }

    /**
     * Reads the segment's block-hash and block pages into the cache (what a block-hash query and an exact cut of a
     * range read); returns their stored bytes, 0 when nothing is paged.
     */
    default long warmBlocks() {
        return 0;
    }

    /**
     * Reads the pages every query's lookups start from into the cache: the term filters (format 4) if they take at
     * most {@code maxBytes}, and the directory and block pages too if all of it does; returns the bytes read into the
     * cache, or 0 when even the filters are over the bound or nothing is paged.
     */
    default long warm(long maxBytes) {
        return 0;
    }
}
