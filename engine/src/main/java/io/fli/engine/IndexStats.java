package io.fli.engine;

/**
 * Counters of one index instance's read path, for metrics and benchmarks.
 *
 * @param cacheWeightBytes  the estimated heap the cache holds now
 * @param cacheLimitBytes   the configured bound ({@link IndexConfig#cacheBytes()})
 * @param cacheHits         lookups answered from the cache
 * @param cacheMisses       lookups that had to read the blob store
 * @param cacheEvictions    entries evicted to stay within the bound
 * @param blobReads         GETs sent to the blob store (ranged or whole)
 * @param blobBytesRead     bytes those GETs returned
 * @param stateReads        reads of meta/state sent to the meta store by queries
 * @param holderViewAnswers queries that answered from the state the lease holder named ({@link HolderView})
 *                          instead of reading meta/state
 * @param blobReadsByKind   {@code blobReads} by what was read: {@code segment-head}, {@code filter},
 *                          {@code directory}, {@code postings}, {@code block}, {@code hash}, {@code pack-head},
 *                          {@code pack-chunk}, {@code pack-chunks} (one GET for a run of chunks), {@code whole} (an
 *                          older-format blob), {@code segment-whole} and {@code pack-whole} (a new segment and pack
 *                          fetched whole by a process that did not write them)
 * @param backgroundReadsByKind the part of {@code blobReadsByKind} read off any query's path: the background warming
 *                          of new segments and of a first state, and merges reading their inputs back. A benchmark
 *                          that divides the GETs of a window by its queries subtracts these: they ran during the
 *                          window, not for its queries
 * @param backgroundBytesRead the part of {@code blobBytesRead} those returned
 * @param holderViewRecords the part of {@code holderViewAnswers} answered from a state this process had not read, whose
 *                          record the holder's answer carried ({@link ViewStamp#state()})
 * @param readLeaseAnswers  the part of {@code holderViewAnswers} answered under a read lease the holder granted
 *                          ({@link ReadLease}), without asking it
 * @param readLeaseRenewals read leases this process obtained off the query path, right after the holder revoked the
 *                          previous one (so that the first query after a publish need not ask)
 * @param warmsPending      warming tasks queued or running now (a first state's warming, new segments): a process
 *                          just opened is warmed once this first falls to 0 ({@link IndexConfig#warmSegmentBytes})
 */
public record IndexStats(long cacheWeightBytes, long cacheLimitBytes, long cacheHits, long cacheMisses,
                         long cacheEvictions, long blobReads, long blobBytesRead, long stateReads,
                         long holderViewAnswers, java.util.Map<String, Long> blobReadsByKind,
                         java.util.Map<String, Long> backgroundReadsByKind, long backgroundBytesRead,
                         long holderViewRecords, long readLeaseAnswers, long readLeaseRenewals, long warmsPending) {
    /** The kinds {@link #blobReadsByKind} counts, as its javadoc lists them. */
    public static final java.util.List<String> BLOB_READ_KINDS = java.util.List.of("segment-head", "filter",
            "directory", "postings", "block", "hash", "pack-head", "pack-chunk", "pack-chunks", "whole", "segment-whole",
            "pack-whole");

    public IndexStats {
        blobReadsByKind = java.util.Map.copyOf(blobReadsByKind);
        backgroundReadsByKind = java.util.Map.copyOf(backgroundReadsByKind);
    }

    /** Counters without the warming queue (kept for callers built against the earlier record). */
    public IndexStats(long cacheWeightBytes, long cacheLimitBytes, long cacheHits, long cacheMisses,
                      long cacheEvictions, long blobReads, long blobBytesRead, long stateReads,
                      long holderViewAnswers, java.util.Map<String, Long> blobReadsByKind,
                      java.util.Map<String, Long> backgroundReadsByKind, long backgroundBytesRead,
                      long holderViewRecords, long readLeaseAnswers, long readLeaseRenewals) {
        this(cacheWeightBytes, cacheLimitBytes, cacheHits, cacheMisses, cacheEvictions, blobReads, blobBytesRead,
                stateReads, holderViewAnswers, blobReadsByKind, backgroundReadsByKind, backgroundBytesRead,
                holderViewRecords, readLeaseAnswers, readLeaseRenewals, 0);
    }

    /** Counters without read-lease renewals (kept for callers built against the earlier record). */
    public IndexStats(long cacheWeightBytes, long cacheLimitBytes, long cacheHits, long cacheMisses,
                      long cacheEvictions, long blobReads, long blobBytesRead, long stateReads,
                      long holderViewAnswers, java.util.Map<String, Long> blobReadsByKind,
                      java.util.Map<String, Long> backgroundReadsByKind, long backgroundBytesRead,
                      long holderViewRecords, long readLeaseAnswers) {
        this(cacheWeightBytes, cacheLimitBytes, cacheHits, cacheMisses, cacheEvictions, blobReads, blobBytesRead,
                stateReads, holderViewAnswers, blobReadsByKind, backgroundReadsByKind, backgroundBytesRead,
                holderViewRecords, readLeaseAnswers, 0, 0);
    }

    /** Counters without read-lease answers told apart (kept for callers built against the earlier record). */
    public IndexStats(long cacheWeightBytes, long cacheLimitBytes, long cacheHits, long cacheMisses,
                      long cacheEvictions, long blobReads, long blobBytesRead, long stateReads,
                      long holderViewAnswers, java.util.Map<String, Long> blobReadsByKind,
                      java.util.Map<String, Long> backgroundReadsByKind, long backgroundBytesRead,
                      long holderViewRecords) {
        this(cacheWeightBytes, cacheLimitBytes, cacheHits, cacheMisses, cacheEvictions, blobReads, blobBytesRead,
                stateReads, holderViewAnswers, blobReadsByKind, backgroundReadsByKind, backgroundBytesRead,
                holderViewRecords, 0, 0, 0);
    }

    /** Counters without the holder's records told apart (kept for callers built against the earlier record). */
    public IndexStats(long cacheWeightBytes, long cacheLimitBytes, long cacheHits, long cacheMisses,
                      long cacheEvictions, long blobReads, long blobBytesRead, long stateReads,
                      long holderViewAnswers, java.util.Map<String, Long> blobReadsByKind,
                      java.util.Map<String, Long> backgroundReadsByKind, long backgroundBytesRead) {
        this(cacheWeightBytes, cacheLimitBytes, cacheHits, cacheMisses, cacheEvictions, blobReads, blobBytesRead,
                stateReads, holderViewAnswers, blobReadsByKind, backgroundReadsByKind, backgroundBytesRead, 0);
    }

    /** Counters without background reads told apart (kept for callers built against the earlier record). */
    public IndexStats(long cacheWeightBytes, long cacheLimitBytes, long cacheHits, long cacheMisses,
                      long cacheEvictions, long blobReads, long blobBytesRead, long stateReads,
                      long holderViewAnswers, java.util.Map<String, Long> blobReadsByKind) {
        this(cacheWeightBytes, cacheLimitBytes, cacheHits, cacheMisses, cacheEvictions, blobReads, blobBytesRead,
                stateReads, holderViewAnswers, blobReadsByKind, java.util.Map.of(), 0);
    }

    /** GETs read off any query's path ({@link #backgroundReadsByKind}), all kinds together. */
    public long backgroundReads() {
        return backgroundReadsByKind.values().stream().mapToLong(Long::longValue).sum();
    }

    /** Counters without reads by kind (kept for callers built against the earlier record). */
    public IndexStats(long cacheWeightBytes, long cacheLimitBytes, long cacheHits, long cacheMisses,
                      long cacheEvictions, long blobReads, long blobBytesRead, long stateReads,
                      long holderViewAnswers) {
        this(cacheWeightBytes, cacheLimitBytes, cacheHits, cacheMisses, cacheEvictions, blobReads, blobBytesRead,
                stateReads, holderViewAnswers, java.util.Map.of());
    }

    /** Counters without holder-view answers (kept for callers built against the earlier record). */
    public IndexStats(long cacheWeightBytes, long cacheLimitBytes, long cacheHits, long cacheMisses,
                      long cacheEvictions, long blobReads, long blobBytesRead, long stateReads) {
        this(cacheWeightBytes, cacheLimitBytes, cacheHits, cacheMisses, cacheEvictions, blobReads, blobBytesRead,
                stateReads, 0);
    }
}
