package io.fli.engine;

import java.time.Clock;
import java.time.Duration;

/**
 * Tunables and limits of one index instance. Build with {@link #defaults()} and the {@code with…} methods.
 *
 * @param maxOrTerms        the largest OR-list a query may carry (addresses, or one topic position), {@code >= 1}
 * @param maxBlockRange     the widest block range a query may cover, in blocks, {@code >= 1}
 * @param maxResults        the most logs one query may return; more is an error, never a silent truncation
 * @param maxBlocksPerPublish the most blocks one publish may carry
 * @param leaseDuration     how long an acquired or renewed writer lease lasts
 * @param gcGrace           GC never deletes an unreferenced blob younger than this; it must exceed the longest
 *                          publish and the longest query, so that an in-flight writer's or reader's blobs survive
 * @param mergeFanout       how many segments of one tier are merged into one segment of the next tier ({@code >= 2})
 * @param maxSegmentLogs    no merge produces a segment with more logs than this (segment-local ids are 31-bit)
 * @param casRetries        how often a writer re-reads and retries a CAS that was not applied or unknown
 * @param backgroundMerges  merge segments on a background thread and fold finished merges into the next publish
 *                          (the default); {@code false} merges inline, so every run performs the same writes in the
 *                          same order (deterministic simulation, crash matrices)
 * @param clock             the clock for leases and GC ages
 * @param background        where background merges run, or {@code null} for a daemon thread of the index's own
 * @param random            where writer incarnation ids come from (unique across processes: a secure random source by
 *                          default; a seeded one makes a simulation replay byte for byte)
 * @param cacheBytes        the most bytes the cache of heads, pages and chunks holds
 * @param segmentFormat     the format new index segments are written in: 2 (the default in this release, which
 *                          the previous release reads too), 3 (long posting lists in parts, so that a range query
 *                          reads only the parts it overlaps), 4 (format 3 with a term filter per position, so that
 *                          a lookup of a term a segment does not hold reads no directory page) or 5 (format 4 whose
 *                          filters also hold the fine id buckets of each short posting list, so that a term the
 *                          segment holds only near a range reads no directory page either); every process must
 *                          run a build that reads the format — this one or later — before a writer writes it:
 *                          {@code docs/upgrade.md}, rule 3
 * @param holderView        where a process without the lease asks the lease holder which state is current before
 *                          it reads {@code meta/state} itself, or {@code null} (the default: it always reads)
 * @param warmSegmentBytes  when a query reads a state that adds segments, a background thread warms each new
 *                          segment: one the writer would hold whole (a publish's own segment, with its pack, and
 *                          merges small enough to be merged again) is fetched whole and held; a larger one's head
 *                          goes into the cache, and its directory and block pages too if these take at most this
 *                          many bytes (0, the default: off) — for a query process that does not write, which
 *                          otherwise fetches them on the query path at the first query that touches them
 */
public record IndexConfig(int maxOrTerms, long maxBlockRange, int maxResults, int maxBlocksPerPublish,
                          Duration leaseDuration, Duration gcGrace, int mergeFanout, long maxSegmentLogs,
                          int casRetries, boolean backgroundMerges, Clock clock, Background background,
                          java.util.random.RandomGenerator random, long cacheBytes, int segmentFormat,
                          HolderView holderView, long warmSegmentBytes) {
    public IndexConfig {
        require(maxOrTerms >= 1, "maxOrTerms must be >= 1, got " + maxOrTerms);
        require(maxBlockRange >= 1, "maxBlockRange must be >= 1, got " + maxBlockRange);
        require(maxResults >= 1, "maxResults must be >= 1, got " + maxResults);
        require(maxBlocksPerPublish >= 1, "maxBlocksPerPublish must be >= 1, got " + maxBlocksPerPublish);
        require(!leaseDuration.isNegative() && !leaseDuration.isZero(), "leaseDuration must be positive");
        require(!gcGrace.isNegative(), "gcGrace must not be negative");
        require(mergeFanout >= 2, "mergeFanout must be >= 2, got " + mergeFanout);
        require(maxSegmentLogs >= 1 && maxSegmentLogs <= Integer.MAX_VALUE,
                "maxSegmentLogs must be in [1, 2^31-1], got " + maxSegmentLogs);
        require(casRetries >= 0, "casRetries must be >= 0");
        require(random != null, "random must not be null");
        require(cacheBytes >= 0, "cacheBytes must be >= 0, got " + cacheBytes);
        require(segmentFormat >= 2 && segmentFormat <= 5, "segmentFormat must be 2, 3, 4 or 5, got " + segmentFormat);
        require(warmSegmentBytes >= 0, "warmSegmentBytes must be >= 0, got " + warmSegmentBytes);
    }

    private static void require(boolean ok, String message) {
        if (!ok) {
            throw new IllegalArgumentException(message);
        }
    }

    /**
     * 128 OR terms, 1,000,000-block ranges, 100,000 results, 10 s leases, 10 min GC grace, fan-out 8, segments of at
     * most 4,194,304 logs (a merge holds fan-out such segments in memory), a cache of a quarter of the JVM's maximum
     * heap (at least 64 MiB; {@link #defaultCacheBytes}).
     */
    public static IndexConfig defaults() {
        return new IndexConfig(128, 1_000_000, 100_000, 10_000, Duration.ofSeconds(10), Duration.ofMinutes(10), 8,
                1L << 22, 8, true, Clock.systemUTC(), null, new java.security.SecureRandom(), defaultCacheBytes(), 2,
                null, 0);
    }

    /** A quarter of the JVM's maximum heap, at least 64 MiB: what the cache may hold unless configured. */
    public static long defaultCacheBytes() {
        return Math.max(64L << 20, Runtime.getRuntime().maxMemory() / 4);
    }

    public IndexConfig withMaxOrTerms(int v) {
        return new IndexConfig(v, maxBlockRange, maxResults, maxBlocksPerPublish, leaseDuration, gcGrace,
                mergeFanout, maxSegmentLogs, casRetries, backgroundMerges, clock, background, random, cacheBytes,
                segmentFormat, holderView, warmSegmentBytes);
    }

    public IndexConfig withMaxBlockRange(long v) {
        return new IndexConfig(maxOrTerms, v, maxResults, maxBlocksPerPublish, leaseDuration, gcGrace, mergeFanout,
                maxSegmentLogs, casRetries, backgroundMerges, clock, background, random, cacheBytes, segmentFormat,
                holderView, warmSegmentBytes);
    }

    public IndexConfig withMaxResults(int v) {
        return new IndexConfig(maxOrTerms, maxBlockRange, v, maxBlocksPerPublish, leaseDuration, gcGrace,
                mergeFanout, maxSegmentLogs, casRetries, backgroundMerges, clock, background, random, cacheBytes,
                segmentFormat, holderView, warmSegmentBytes);
    }

    public IndexConfig withLeaseDuration(Duration v) {
        return new IndexConfig(maxOrTerms, maxBlockRange, maxResults, maxBlocksPerPublish, v, gcGrace, mergeFanout,
                maxSegmentLogs, casRetries, backgroundMerges, clock, background, random, cacheBytes, segmentFormat,
                holderView, warmSegmentBytes);
    }

    public IndexConfig withGcGrace(Duration v) {
        return new IndexConfig(maxOrTerms, maxBlockRange, maxResults, maxBlocksPerPublish, leaseDuration, v,
                mergeFanout, maxSegmentLogs, casRetries, backgroundMerges, clock, background, random, cacheBytes,
                segmentFormat, holderView, warmSegmentBytes);
    }

    public IndexConfig withMergeFanout(int v) {
        return new IndexConfig(maxOrTerms, maxBlockRange, maxResults, maxBlocksPerPublish, leaseDuration, gcGrace, v,
                maxSegmentLogs, casRetries, backgroundMerges, clock, background, random, cacheBytes, segmentFormat,
                holderView, warmSegmentBytes);
    }

    public IndexConfig withBackgroundMerges(boolean v) {
        return new IndexConfig(maxOrTerms, maxBlockRange, maxResults, maxBlocksPerPublish, leaseDuration, gcGrace,
                mergeFanout, maxSegmentLogs, casRetries, v, clock, background, random, cacheBytes, segmentFormat,
                holderView, warmSegmentBytes);
    }

    public IndexConfig withClock(Clock v) {
        return new IndexConfig(maxOrTerms, maxBlockRange, maxResults, maxBlocksPerPublish, leaseDuration, gcGrace,
                mergeFanout, maxSegmentLogs, casRetries, backgroundMerges, v, background, random, cacheBytes,
                segmentFormat, holderView, warmSegmentBytes);
    }

    /** Writer incarnation ids drawn from {@code v} (a seeded source in a deterministic simulation). */
    public IndexConfig withRandom(java.util.random.RandomGenerator v) {
        return new IndexConfig(maxOrTerms, maxBlockRange, maxResults, maxBlocksPerPublish, leaseDuration, gcGrace,
                mergeFanout, maxSegmentLogs, casRetries, backgroundMerges, clock, background, v, cacheBytes,
                segmentFormat, holderView, warmSegmentBytes);
    }

    /** Background merges run on {@code v} (a simulation's scheduler) instead of a thread of the index's own. */
    public IndexConfig withBackground(Background v) {
        return new IndexConfig(maxOrTerms, maxBlockRange, maxResults, maxBlocksPerPublish, leaseDuration, gcGrace,
                mergeFanout, maxSegmentLogs, casRetries, backgroundMerges, clock, v, random, cacheBytes,
                segmentFormat, holderView, warmSegmentBytes);
    }

    /** A cache of at most {@code v} bytes of decoded heads, pages and chunks. */
    public IndexConfig withCacheBytes(long v) {
        return new IndexConfig(maxOrTerms, maxBlockRange, maxResults, maxBlocksPerPublish, leaseDuration, gcGrace,
                mergeFanout, maxSegmentLogs, casRetries, backgroundMerges, clock, background, random, v,
                segmentFormat, holderView, warmSegmentBytes);
    }

    /** Merges never produce a segment of more than {@code v} logs. */
    public IndexConfig withMaxSegmentLogs(long v) {
        return new IndexConfig(maxOrTerms, maxBlockRange, maxResults, maxBlocksPerPublish, leaseDuration, gcGrace,
                mergeFanout, v, casRetries, backgroundMerges, clock, background, random, cacheBytes, segmentFormat,
                holderView, warmSegmentBytes);
    }

    /** New index segments are written in format {@code v} (2, 3, 4 or 5; see {@link IndexConfig}). */
    public IndexConfig withSegmentFormat(int v) {
        return new IndexConfig(maxOrTerms, maxBlockRange, maxResults, maxBlocksPerPublish, leaseDuration, gcGrace,
                mergeFanout, maxSegmentLogs, casRetries, backgroundMerges, clock, background, random, cacheBytes, v,
                holderView, warmSegmentBytes);
    }

    /**
     * Queries of this process, while it has no lease view of its own, ask {@code v} which state the lease holder
     * answers from and answer from that state without reading {@code meta/state} when it is the one this process
     * read last ({@link HolderView}); {@code null} turns it off.
     */
    public IndexConfig withHolderView(HolderView v) {
        return new IndexConfig(maxOrTerms, maxBlockRange, maxResults, maxBlocksPerPublish, leaseDuration, gcGrace,
                mergeFanout, maxSegmentLogs, casRetries, backgroundMerges, clock, background, random, cacheBytes,
                segmentFormat, v, warmSegmentBytes);
    }

    /**
     * Segments that a newly read state adds are warmed in the background (head, directory and block pages) when
     * those take at most {@code v} bytes; 0 turns it off (see {@link IndexConfig}).
     */
    public IndexConfig withWarmSegmentBytes(long v) {
        return new IndexConfig(maxOrTerms, maxBlockRange, maxResults, maxBlocksPerPublish, leaseDuration, gcGrace,
                mergeFanout, maxSegmentLogs, casRetries, backgroundMerges, clock, background, random, cacheBytes,
                segmentFormat, holderView, v);
    }
}
