package io.fli.engine.internal;

/**
 * A live index segment as listed in {@code meta/state}: the manifest entry.
 *
 * @param tier       0 for a segment written by one publish; {@code t+1} for a merge of tier-{@code t} segments; the
 *                   highest tier of its inputs for a tail merge of idle compaction
 * @param firstBlock first block covered
 * @param lastBlock  last block covered (inclusive)
 * @param firstLogId global id of the segment's first log
 * @param logCount   number of logs in the segment
 * @param key        the index blob's key
 */
public record SegmentRef(int tier, long firstBlock, long lastBlock, long firstLogId, long logCount, String key) {
    public boolean overlaps(long from, long to) {
        return firstBlock <= to && lastBlock >= from;
    }
}
