package io.fli.engine.internal;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.fli.engine.BlobStore;
import io.fli.engine.CorruptionException;
import io.fli.engine.DegradedException;
import io.fli.engine.Health;
import io.fli.engine.IndexConfig;
import io.fli.engine.InvalidQueryException;
import io.fli.engine.LogIndex;
import io.fli.engine.LogQuery;
import io.fli.engine.MatchedLog;
import io.fli.engine.MetaRecord;
import io.fli.engine.MetaStore;
import io.fli.engine.QueryResult;
import io.fli.engine.Writer;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import org.roaringbitmap.PeekableIntIterator;
import org.roaringbitmap.buffer.MutableRoaringBitmap;

/** The engine behind {@link LogIndex}: queries, the blob cache and the fail-closed switch. */
public final class DefaultLogIndex implements LogIndex {
    final MetaStore meta;
    final BlobStore blobs;
    final IndexConfig config;
    private final AtomicReference<Health> health;
    /**
     * The bounded cache, in two parts. What every query needs — segment heads, directory, block and hash pages,
     * bitmaps — and what only a query's results need: pack heads and chunks. Split so that the newest packs (cached
     * write-through, 110 bytes a log, 22 MB/s at 200k logs/s) and the chunks of one wide query cannot evict the
     * directories every selective query reads (they are each read rarely, at random, so a frequency-based policy
     * alone does not keep them). The index may use three quarters of {@link IndexConfig#cacheBytes} less what the
     * writer holds ({@link #pin}); packs get at least a quarter and whatever else the index and the held segments
     * leave unused ({@link #rebalance}): an index that fits in a fraction of its share does not leave the rest idle
     * while result chunks are evicted (the in-memory 5M bench evicted 4.7M chunks with 1 GB of the cache empty).
     */
    private final Cache<Object, Object> cache;
    private final Cache<Object, Object> packCache;

    public DefaultLogIndex(MetaStore meta, BlobStore blobs, IndexConfig config) {
        this(meta, blobs, config, Seams.CORRECT);
    }

    /** An index with the given seams: {@link Seams#CORRECT}, or a broken variant of the harness's bug zoo. */
    DefaultLogIndex(MetaStore meta, BlobStore blobs, IndexConfig config, Seams seams) {
        this.seams = seams;
        this.meta = meta;
        this.blobs = blobs;
        this.config = config;
        this.health = new AtomicReference<>(Health.ok(config.clock().millis()));
        this.cache = newCache(config.cacheBytes() - packCacheBytes());
        this.packCache = newCache(packCacheBytes());
    }

    /** A cache bounded in bytes; its evictions run on the calling thread, so it never lags behind its bound. */
    private static Cache<Object, Object> newCache(long maxBytes) {
        return Caffeine.newBuilder().maximumWeight(maxBytes).executor(Runnable::run)
                .weigher((Object k, Object v) -> v instanceof Weighted w ? w.weight : 1024).recordStats().build();
    }

    private long packCacheBytes() {
        return config.cacheBytes() / 4;
    }

    private final java.util.concurrent.atomic.AtomicLong blobReads = new java.util.concurrent.atomic.AtomicLong();
    /** {@link #blobReads} by what was read ({@link io.fli.engine.IndexStats#blobReadsByKind()}). */
    private final java.util.Map<String, java.util.concurrent.atomic.LongAdder> readsByKind =
            new java.util.concurrent.ConcurrentHashMap<>();
    private final java.util.concurrent.atomic.AtomicLong blobBytesRead = new java.util.concurrent.atomic.AtomicLong();
    /** The part of {@link #readsByKind} read off any query's path ({@link #inBackground}). */
    private final java.util.Map<String, java.util.concurrent.atomic.LongAdder> backgroundReadsByKind =
            new java.util.concurrent.ConcurrentHashMap<>();
    private final java.util.concurrent.atomic.AtomicLong backgroundBytesRead =
            new java.util.concurrent.atomic.AtomicLong();

    /**
     * Set on a thread while it does work no query waits for (warming, merging): its GETs are counted as background
     * reads too ({@link io.fli.engine.IndexStats#backgroundReadsByKind()}).
     */
    private static final ThreadLocal<Boolean> BACKGROUND = ThreadLocal.withInitial(() -> false);

    /** Runs {@code work} with this thread's GETs counted as background reads. */
    static void inBackground(Runnable work) {
        boolean was = BACKGROUND.get();
        BACKGROUND.set(true);
        try {
            work.run();
        } finally {
            BACKGROUND.set(was);
        }
    }
    private final java.util.concurrent.atomic.AtomicLong stateReads = new java.util.concurrent.atomic.AtomicLong();
    private final java.util.concurrent.atomic.AtomicLong holderViewAnswers =
            new java.util.concurrent.atomic.AtomicLong();

    @Override
    public io.fli.engine.IndexStats stats() {
        var cs = cache.stats().plus(packCache.stats());
        long weight = weight(cache) + weight(packCache) + pinnedBytes();
        return new io.fli.engine.IndexStats(weight, config.cacheBytes(), cs.hitCount(), cs.missCount(),
                cs.evictionCount(), blobReads.get(), blobBytesRead.get(), stateReads.get(), holderViewAnswers.get(),
                sums(readsByKind), sums(backgroundReadsByKind), backgroundBytesRead.get(), holderViewRecords.get(),
                readLeaseAnswers.get(), readLeaseRenewals.get(), warmsPending.get());
    }

    /** Each kind's count now. */
    private static java.util.Map<String, Long> sums(
            java.util.Map<String, java.util.concurrent.atomic.LongAdder> byKind) {
        java.util.Map<String, Long> out = new java.util.TreeMap<>();
        byKind.forEach((k, v) -> out.put(k, v.sum()));
        return out;
    }

    private static long weight(Cache<Object, Object> c) {
        return c.policy().eviction().flatMap(e -> {
            java.util.OptionalLong w = e.weightedSize();
            return w.isPresent() ? Optional.of(w.getAsLong()) : Optional.empty();
        }).orElse(0L);
    }

    /**
     * A cached value and its weight in bytes. Write-through entries (what this process just wrote) are decoded on
     * first use, not on the publisher's path: a tier-0 segment that a merge replaces before any query reads it is
     * decoded once, by the merge, and a chunk no query asks for never is.
     */
    static final class Weighted {
        private volatile Object value;
        private java.util.function.Supplier<Object> decoder;
        final int weight;

        Weighted(Object value, int weight) {
            this.value = value;
            this.weight = weight;
        }

        private Weighted(java.util.function.Supplier<Object> decoder, int weight) {
            this.decoder = decoder;
            this.weight = weight;
        }

        static Weighted lazy(java.util.function.Supplier<Object> decoder, int weight) {
            return new Weighted(decoder, weight);
        }

        Object value() {
            Object v = value;
            if (v == null) {
                synchronized (this) {
                    v = value;
                    if (v == null) {
                        v = decoder.get();
                        value = v;
                        decoder = null;
                    }
                }
            }
            return v;
        }
    }

    /** The stored state, decoded. */
    record Snapshot(MetaRecord record, StateRecord state) {
    }

    /** A blob that meta/state (or a segment) references is not in the blob store. */
    static final class MissingBlob extends RuntimeException {
        final String key;

        MissingBlob(String key) {
            super("blob " + key + " is missing", null, false, false);
            this.key = key;
        }
    }

    /** {@link Seams#CORRECT} always, except in the harness's bug zoo. */
    final Seams seams;

    private volatile java.util.concurrent.ExecutorService mergeExecutor;

    /** Where background merges run: the configured {@link io.fli.engine.Background}, else a daemon thread. */
    io.fli.engine.Background background() {
        io.fli.engine.Background b = config.background();
        return b != null ? b : this::executeOnMergeThread;
    }

    private void executeOnMergeThread(Runnable task) {
        mergeExecutor().execute(task);
    }

    /** The daemon thread background merges run on, started on first use and stopped by {@link #close()}. */
    private synchronized java.util.concurrent.Executor mergeExecutor() {
        if (mergeExecutor == null) {
            mergeExecutor = java.util.concurrent.Executors.newSingleThreadExecutor(r -> {
                Thread t = new Thread(r, "fli-merge");
                t.setDaemon(true);
                return t;
            });
        }
        return mergeExecutor;
    }

    @Override
    public synchronized void close() {
        if (mergeExecutor != null) {
            mergeExecutor.shutdownNow();
            mergeExecutor = null;
        }
        if (fetchers != null) {
            fetchers.shutdownNow();
            fetchers = null;
        }
        if (warmer != null) {
            warmer.shutdownNow();
            warmer = null;
        }
        if (leaseKeeper != null) {
            leaseKeeper.shutdownNow();
            leaseKeeper = null;
        }
    }

    // ------------------------------------------------------------------ warming new segments

    /** Segments waiting to be warmed at most; a state read that adds more while the thread is behind skips them. */
    static final int WARM_QUEUE = 256;

    private java.util.concurrent.ThreadPoolExecutor warmer;
    private final java.util.concurrent.atomic.AtomicLong warmedSegments = new java.util.concurrent.atomic.AtomicLong();

    /** Threads that read a first state's filters: the reads are round trips, not work (a 50M index has ~1,000). */
    static final int FILTER_WARMERS = 4;

    /**
     * Heads and term filters of every segment of a process's first state, newest first (the ranges queries ask for
     * most), then, in what is left of the budget, every segment's block-hash and block pages and the heads of its
     * packs (a block-hash query and an exact range cut read those, and every answer starts from its pack's head: a
     * second process at 50M paid six GETs for a block-hash query where the writer, which has them, paid one). Not
     * the address directories: at 50M reading them took the whole measured window of {@code fli slo}, and the
     * queries' GETs queued behind them (warm-up 41 s against 10). On {@link #FILTER_WARMERS} threads of their own
     * (not the query prefetch pool: queries never wait behind them), within a quarter of the cache. Last, on the
     * warming thread alone, the newest segments whole while they fit where held segments leave room ({@link
     * #takeWhole}: paced 8 MB GETs, with a publish's pack), as a writer that built them holds them — their directory and
     * posting pages are what a selective query of recent blocks reads. Stops at the first failure (the store is
     * away: queries will meet it) or when the index closes.
     */
    private void warmFirstState(Snapshot first) {
        List<SegmentRef> refs = new ArrayList<>(first.state().segments());
        refs.sort(java.util.Comparator.comparingLong(SegmentRef::lastBlock).reversed());
        java.util.concurrent.atomic.AtomicLong budget = new java.util.concurrent.atomic.AtomicLong(
                config.cacheBytes() / 4);
        java.util.concurrent.atomic.AtomicBoolean failed = new java.util.concurrent.atomic.AtomicBoolean();
        warmEach(refs, budget, failed, ref -> {
            long b = segment(ref).warmFilters();
            if (b > 0) {
                warmedFilters.incrementAndGet();
            }
            return b;
        });
        if (Thread.currentThread().isInterrupted()) {
            return;
        }
        warmEach(refs, budget, failed, ref -> {
            SegmentReader seg = segment(ref);
            long b = seg.warmBlocks() * 3; // decoded strings and arrays: three times their bytes in the cache
            for (String pack : seg.packKeys()) {
                // A paged pack's head only (an older-format pack is whole: left for the queries that need it).
                if (packCache.getIfPresent(pack) == null && head(pack, Frame.PACK, false) != null
                        && packCache.getIfPresent(pack) instanceof Weighted w) {
                    b += w.weight;
                }
            }
            if (b > 0) {
                warmedBlocks.incrementAndGet();
            }
            return b;
        });
        // Last, the newest segments whole, where held segments leave room (as a writer that built them holds them):
        // on this thread alone, newest first, until one does not fit. Their sizes from one listing.
        if (failed.get() || Thread.currentThread().isInterrupted()) {
            return;
        }
        java.util.Map<String, Long> sizes = new java.util.HashMap<>();
        try {
            for (BlobStore.BlobInfo b : blobs.list(Keys.INDEX)) {
                sizes.put(b.key(), b.size());
            }
        } catch (RuntimeException e) {
            return; // the store is away: queries will meet it
        }
        for (SegmentRef r : refs) {
            if (failed.get() || Thread.currentThread().isInterrupted()) {
                return;
            }
            try {
                if (!takeWhole(r, false, sizes.getOrDefault(r.key(), Long.MAX_VALUE))) {
                    return;
                }
                warmedWhole.incrementAndGet();
            } catch (RuntimeException e) {
                return; // collected meanwhile, unreachable, or damaged: left for the queries
            }
        }
    }

    private final java.util.concurrent.atomic.AtomicLong warmedWhole = new java.util.concurrent.atomic.AtomicLong();

    /** Segments of a first state that its warming took whole ({@link #warmFirstState}). */
    long warmedWhole() {
        return warmedWhole.get();
    }

    /** Runs {@code warm} on each segment on the warming threads while the budget lasts and nothing has failed. */
    private void warmEach(List<SegmentRef> refs, java.util.concurrent.atomic.AtomicLong budget,
                          java.util.concurrent.atomic.AtomicBoolean failed,
                          java.util.function.ToLongFunction<SegmentRef> warm) {
        java.util.concurrent.atomic.AtomicInteger next = new java.util.concurrent.atomic.AtomicInteger();
        List<Thread> workers = new ArrayList<>();
        for (int w = 0; w < FILTER_WARMERS; w++) {
            // A thread of its own, doing nothing else: its GETs are all background reads.
            Thread t = new Thread(() -> inBackground(() -> {
                for (int k = next.getAndIncrement(); k < refs.size(); k = next.getAndIncrement()) {
                    if (failed.get() || budget.get() <= 0 || Thread.currentThread().isInterrupted()) {
                        return;
                    }
                    try {
                        budget.addAndGet(-warm.applyAsLong(refs.get(k)));
                    } catch (RuntimeException e) {
                        failed.set(true); // collected meanwhile, unreachable, or damaged: left for the queries
                    }
                }
            }), "fli-warm-first-" + w);
            t.setDaemon(true);
            t.start();
            workers.add(t);
        }
        try {
            for (Thread t : workers) {
                t.join();
            }
        } catch (InterruptedException e) {
            workers.forEach(Thread::interrupt);
            Thread.currentThread().interrupt();
        }
    }

    /** Segments whose block-hash and block pages and pack heads the first-state warming read. */
    long warmedBlocks() {
        return warmedBlocks.get();
    }

    private final java.util.concurrent.atomic.AtomicLong warmedBlocks = new java.util.concurrent.atomic.AtomicLong();

    /** Segments whose filters the first-state warming read ({@link #warmFirstState}). */
    long warmedFilters() {
        return warmedFilters.get();
    }

    private final java.util.concurrent.atomic.AtomicLong warmedFilters = new java.util.concurrent.atomic.AtomicLong();

    /** How many segments the background warmer has warmed ({@link IndexConfig#warmSegmentBytes()}). */
    long warmedSegments() {
        return warmedSegments.get();
    }

    /** Segments queued or being warmed now. */
    long warmsPending() {
        return warmsPending.get();
    }

    /**
     * Warming tasks submitted and not finished. Counted here, not from the executor: its task counts are approximate
     * (a task taken from the queue and not yet started is counted nowhere), and a test that waited for them to agree
     * sometimes queried while a warm was still reading.
     */
    private final java.util.concurrent.atomic.AtomicInteger warmsPending =
            new java.util.concurrent.atomic.AtomicInteger();

    /** Runs {@code task} on the warming thread (dropped when the queue is full). */
    private void warmLater(Runnable task) {
        warmsPending.incrementAndGet();
        warmer().execute(() -> {
            try {
                inBackground(task);
            } finally {
                warmsPending.decrementAndGet();
            }
        });
    }

    /** The daemon thread new segments are warmed on, started on first use and stopped by {@link #close()}. */
    private synchronized java.util.concurrent.ThreadPoolExecutor warmer() {
        if (warmer == null) {
            warmer = new java.util.concurrent.ThreadPoolExecutor(1, 1, 0, java.util.concurrent.TimeUnit.SECONDS,
                    new java.util.concurrent.ArrayBlockingQueue<>(WARM_QUEUE), r -> {
                        Thread t = new Thread(r, "fli-warm");
                        t.setDaemon(true);
                        return t;
                    }, (task, executor) -> warmsPending.decrementAndGet()); // dropped (queue full): not pending
        }
        return warmer;
    }

    /**
     * A query read state {@code now} after {@code before} ({@code committed}; false for the state a holder's CAS is
     * about to write, sent with a revocation): the segments {@code now} adds are warmed in the background (off the
     * query path), so that the first query to touch them does not fetch their heads and directories.
     * <ul>
     * <li>A segment the writer would hold whole ({@link #remember}: a publish's own segment and the small merges
     * always, a larger one when it fits in what merge inputs leave of half the cache) is fetched whole ({@link
     * #fetchWhole}: paced 8 MB GETs) and held as the writer holds it; a publish's own segment brings its pack too,
     * fetched whole and cached head and chunks as the writer caches the pack it wrote ({@link #takeWhole}). A process
     * that did not write them then reads new data as the writer does, from memory: until 2026-12-04 it read them page
     * by page and GETted the new pack's chunks at query time.</li>
     * <li>A segment that does not fit: its filters, directory and block pages when together they are within
     * {@link IndexConfig#warmSegmentBytes()}, else its filters.</li>
     * <li>On a process's first state: every segment's heads and filters, block pages and pack heads, then the newest
     * segments whole while they fit ({@link #warmFirstState}).</li>
     * </ul>
     * A committed state also drops the held bytes of the segments it no longer names (merged away), as the writer
     * does. Only against a remote store, and never with any effect on a query: a failure here is left for the query
     * to meet.
     */
    private void warmAdded(Snapshot before, Snapshot now, boolean committed) {
        long bound = config.warmSegmentBytes();
        if (bound <= 0 || !blobs.remote()) {
            return;
        }
        if (before == null) {
            warmLater(() -> warmFirstState(now));
            return;
        }
        java.util.Set<String> had = new java.util.HashSet<>();
        for (SegmentRef r : before.state().segments()) {
            had.add(r.key());
        }
        java.util.Set<String> has = new java.util.HashSet<>();
        for (SegmentRef r : now.state().segments()) {
            has.add(r.key());
            if (!had.contains(r.key())) {
                warmLater(() -> {
                    try {
                        if (takeWhole(r, true, -1) || segment(r).warm(bound) > 0) {
                            warmedSegments.incrementAndGet();
                        }
                    } catch (RuntimeException e) {
                        // collected meanwhile, unreachable, or damaged: a query that needs it meets it and decides
                    }
                });
            }
        }
        if (committed) {
            for (String k : had) {
                if (!has.contains(k) && written.containsKey(k)) {
                    unpin(k); // merged away (a query of an older state that still needs it reads it again)
                }
            }
        }
    }

    /**
     * What a stored segment takes per log, for deciding before its GET whether it fits where it would be held: the
     * production shape measures 135-141 bytes per log (format 4, all segments of a 3M and a 50M index); a little over.
     */
    static final long SEGMENT_BYTES_PER_LOG = 160;

    /**
     * Fetches segment {@code r} whole and holds it as the writer holds what it wrote ({@link #remember}): a segment
     * small enough to be merged again (a publish's own, small merges) as a merge input, any other in what merge inputs
     * leave of half the cache — evicting older held segments ({@code evict}, a new segment: the newest are held) or
     * only where there is room (not {@code evict}: a first state's segments, taken newest first). A publish's own
     * segment (tier 0) brings the packs it names, fetched whole, cached head and verified chunks. False when the
     * segment is not held (it does not fit): left to page warming. The held bytes are checked as any fetched page
     * is, when a query reads them. {@code size}: the blob's size if known, else -1 (estimated from its logs).
     */
    private boolean takeWhole(SegmentRef r, boolean evict, long size) {
        boolean input = r.logCount() * config.mergeFanout() <= config.maxSegmentLogs();
        if (!written.containsKey(r.key())) {
            // Not fetched when it would not fit (a merge input on a new state always does: the oldest inputs make way,
            // as on the writer); pin() decides on the bytes themselves.
            if ((!input || !evict) && (size >= 0 ? size : r.logCount() * SEGMENT_BYTES_PER_LOG) > pinRoom(evict)) {
                return false;
            }
            byte[] bytes = fetchWhole(r.key(), "segment-whole");
            if (!Frame.isPaged(bytes) || !pin(r.key(), bytes, input, evict)) {
                return false;
            }
        }
        if (r.tier() == 0) {
            for (String pack : segment(r).packKeys()) {
                if (packCache.getIfPresent(pack) == null) {
                    byte[] bytes = fetchWhole(pack, "pack-whole");
                    if (Frame.isPaged(bytes)) {
                        cachePack(pack, bytes, true);
                    }
                }
            }
        }
        return true;
    }

    /** Bytes per GET of a whole blob fetched in the background ({@link #fetchWhole}). */
    static final int WHOLE_PIECE = 8 << 20;
    /** At most this many bytes a second fetched whole in the background: warming must leave the store to queries. */
    static final long WHOLE_BYTES_PER_S = 64L << 20;

    /**
     * A whole blob, read by ranged GETs of {@link #WHOLE_PIECE} bytes one after another, at most {@link
     * #WHOLE_BYTES_PER_S} a second: a merged segment of hundreds of MB read by one GET held the store's CPU for a
     * second or more, and the queries' GETs meanwhile waited (the second process's block-hash p99 11 ms at 50M where
     * it had been 3-5). Missing: {@link MissingBlob}. Interrupted (the index closes): {@link MissingBlob} too.
     */
    byte[] fetchWhole(String key, String kind) {
        List<byte[]> pieces = new ArrayList<>();
        long total = 0;
        long t0 = System.nanoTime();
        while (true) {
            byte[] p = fetch(key, total, WHOLE_PIECE, kind);
            pieces.add(p);
            total += p.length;
            if (p.length < WHOLE_PIECE) {
                break;
            }
            long due = t0 + total * 1_000_000_000L / WHOLE_BYTES_PER_S - System.nanoTime();
            if (due > 0) {
                try {
                    Thread.sleep(due / 1_000_000, (int) (due % 1_000_000));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new MissingBlob(key);
                }
            }
        }
        if (total == 0) {
            throw new MissingBlob(key); // (a blob is never empty: every one is framed)
        }
        if (pieces.size() == 1) {
            return pieces.get(0);
        }
        byte[] all = new byte[Math.toIntExact(total)];
        int at = 0;
        for (byte[] p : pieces) {
            System.arraycopy(p, 0, all, at, p.length);
            at += p.length;
        }
        return all;
    }

    /** Bytes a segment that is not a merge input may take when held: evicting older held ones or not. */
    private synchronized long pinRoom(boolean evict) {
        long half = config.cacheBytes() / 2;
        return evict ? half - inputBytes : half - inputBytes - pinnedBytes;
    }

    /**
     * Whether queries against a remote store prefetch in parallel ({@link #prefetch}): on. (It was off while the S3
     * client reused dead pooled connections after a store restart: a prefetch burst then failed all at once and opened
     * the store's circuit breaker. The client now retries such a request once on a fresh connection.) A store that is
     * not remote is read one fetch after another whatever this says.
     */
    private volatile boolean prefetching = true;

    void prefetching(boolean on) {
        prefetching = on;
    }

    /** Parallel page fetches per query against a {@link BlobStore#remote() remote} store. */
    static final int FETCH_THREADS = 16;

    private java.util.concurrent.ExecutorService fetchers;

    /** The daemon threads a query's prefetch runs on, started on first use and stopped by {@link #close()}. */
    private synchronized java.util.concurrent.ExecutorService fetchers() {
        if (fetchers == null) {
            java.util.concurrent.atomic.AtomicInteger n = new java.util.concurrent.atomic.AtomicInteger();
            fetchers = java.util.concurrent.Executors.newFixedThreadPool(FETCH_THREADS, r -> {
                Thread t = new Thread(r, "fli-fetch-" + n.incrementAndGet());
                t.setDaemon(true);
                return t;
            });
        }
        return fetchers;
    }

    @Override
    public Writer writer(String writerId) {
        if (writerId == null || writerId.isEmpty() || writerId.contains("#")) {
            throw new IllegalArgumentException("a writer id must be non-empty and must not contain '#': " + writerId);
        }
        return new DefaultWriter(this, writerId);
    }

    @Override
    public Health health() {
        Health h = health.get();
        if (h.status() == Health.Status.DEGRADED) {
            return h;
        }
        for (Object store : new Object[]{meta, blobs}) {
            if (store instanceof io.fli.engine.HealthReporting r) {
                java.util.Optional<String> why = r.throttledReason();
                if (why.isPresent()) {
                    return new Health(Health.Status.THROTTLED, why.get(), config.clock().millis());
                }
            }
        }
        return h;
    }

    @Override
    public void dropCaches() {
        cache.invalidateAll();
        packCache.invalidateAll();
        unpinAll();
        leaseView.set(null);
        heldLease = null;
    }

    @Override
    public Health clearDegraded(String reason) {
        Health h = health.get();
        if (h.status() != Health.Status.DEGRADED) {
            return health();
        }
        dropCaches();
        io.fli.engine.Admin.VerifyReport r = io.fli.engine.Admin.verify(meta, blobs);
        if (!r.ok()) {
            throw new DegradedException("still degraded (" + h.reason() + "): " + r.problems().size()
                    + " problem(s) remain: " + String.join("; ", r.problems().subList(0, Math.min(5,
                    r.problems().size()))), null);
        }
        health.compareAndSet(h, new Health(Health.Status.OK, "", config.clock().millis()));
        return health();
    }

    /** Fails closed: from now on queries and ingest refuse with the reason. Returns the exception to throw. */
    public DegradedException degrade(String reason, Throwable cause) {
        Health entered = new Health(Health.Status.DEGRADED, reason, config.clock().millis());
        health.updateAndGet(h -> h.status() == Health.Status.DEGRADED ? h : entered);
        return new DegradedException(health.get().reason(), cause);
    }

    void checkNotDegraded() {
        Health h = health.get();
        if (h.status() == Health.Status.DEGRADED) {
            throw new DegradedException(h.reason(), null);
        }
    }

    // ------------------------------------------------------------------ lease reads

    /**
     * The state this process last wrote while holding the lease, with the time until which queries may use it
     * without reading meta/state: no other writer can change the state before this process's lease has run out
     * (a writer that takes the lease over waits out the previous lease before it publishes, see
     * {@link DefaultWriter}), so the state is the current one. A clock-skew allowance ({@link #leaseMargin()}) is
     * taken off on this side and added on the taker's side.
     */
    record LeaseView(Snapshot snapshot, long epoch, long validUntil) {
    }

    private final AtomicReference<LeaseView> leaseView = new AtomicReference<>();

    /**
     * Until when a lease holder of another process may still answer lease reads, as learned by a writer of this
     * process that took the lease from it: every writer of this process waits that out before publishing, even one
     * that re-acquires from a writer of this process (which inherited the wait) — say, after a crash.
     */
    private final java.util.concurrent.atomic.AtomicLong othersServeUntil = new java.util.concurrent.atomic.AtomicLong();

    long othersServeUntil() {
        return othersServeUntil.get();
    }

    void othersServeUntil(long until) {
        othersServeUntil.accumulateAndGet(until, Math::max);
    }

    /** The allowance for clock skew between processes: a quarter of the lease, at most one second. */
    long leaseMargin() {
        return Math.min(1_000, config.leaseDuration().toMillis() / 4);
    }

    /** A writer of this process wrote {@code state} as {@code rec} (holding the lease): queries may serve it. */
    void holding(MetaRecord rec, StateRecord state) {
        leaseView.set(new LeaseView(new Snapshot(rec, state), rec.epoch(), state.leaseUntil() - leaseMargin()));
    }

    /** Whether this process's lease view is that of the writer of {@code epoch}. */
    boolean viewOf(long epoch) {
        LeaseView v = leaseView.get();
        return v != null && v.epoch() == epoch;
    }

    /**
     * The writer of {@code epoch} no longer knows the current state: fenced, its outcome unknown, or a CAS in flight.
     * Every read lease this process granted is revoked and waited out before this returns: the caller may send a CAS
     * next.
     */
    void released(long epoch) {
        released(epoch, null);
    }

    /** As {@link #released(long)}, before a CAS that writes {@code coming}: askers may warm what it names. */
    void released(long epoch, byte[] coming) {
        List<Grant> out;
        synchronized (grantLock) {
            leaseView.updateAndGet(v -> v != null && v.epoch() == epoch ? null : v);
            if (grants.isEmpty()) {
                return;
            }
            out = new ArrayList<>(grants.values());
            grants.clear();
        }
        if (!seams.revokeReadLeases()) {
            return;
        }
        for (Grant g : out) {
            try {
                g.revoker().revoke(g.id(), coming);
            } catch (RuntimeException e) {
                // the asker is not told: its grant is waited out below
            }
        }
        for (Grant g : out) {
            background().awaitUntil(g.acknowledged(), this::monotonicMillis,
                    g.grantedAt() + g.lengthMs() + io.fli.engine.ReadLease.allowanceMs(g.lengthMs()));
            revoking.remove(g.id());
        }
    }

    // ------------------------------------------------------------------ read leases (holder side)

    /** A read lease this process granted and has not revoked yet; {@code grantedAt} on {@link #monotonicMillis}. */
    private record Grant(long id, long grantedAt, long lengthMs, io.fli.engine.ReadLease.Revoker revoker,
                         java.util.concurrent.CompletableFuture<Void> acknowledged) {
    }

    private static final Class<?> SYSTEM_CLOCK = java.time.Clock.systemUTC().getClass();
    private final Object grantLock = new Object();
    private final java.util.Map<Long, Grant> grants = new java.util.HashMap<>();
    /** Grants being revoked, by id, until acknowledged or waited out. */
    private final java.util.concurrent.ConcurrentHashMap<Long, Grant> revoking =
            new java.util.concurrent.ConcurrentHashMap<>();
    private final java.util.concurrent.atomic.AtomicLong nextGrant = new java.util.concurrent.atomic.AtomicLong();
    /**
     * The clock read leases are measured on: the JVM's monotonic clock when the index runs on the system's clock (a
     * wall clock stepped back by NTP must not lengthen a lease), the configured clock otherwise (tests, simulations).
     */
    long monotonicMillis() {
        java.time.Clock c = config.clock();
        return c.getClass() == SYSTEM_CLOCK ? System.nanoTime() / 1_000_000 : c.millis();
    }

    @Override
    public Optional<io.fli.engine.ReadLease> grantReadLease(io.fli.engine.ViewStamp have, long lengthMs,
                                                           io.fli.engine.ReadLease.Revoker revoker) {
        if (lengthMs <= 0) {
            throw new IllegalArgumentException("a read lease's length must be positive, got " + lengthMs + " ms");
        }
        long length = Math.min(lengthMs, MAX_READ_LEASE_MS);
        synchronized (grantLock) {
            LeaseView v = leaseView.get();
            long now = config.clock().millis();
            if (v == null || now >= v.validUntil()) {
                return Optional.empty();
            }
            MetaRecord rec = v.snapshot().record();
            io.fli.engine.ViewStamp named = new io.fli.engine.ViewStamp(rec.epoch(), rec.version(), rec.value())
                    .answering(have);
            // The grant, waited out, must end before this process's own lease does (less the skew allowance).
            if (now + length + io.fli.engine.ReadLease.allowanceMs(length) > v.validUntil()) {
                return Optional.of(new io.fli.engine.ReadLease(named, 0, 0));
            }
            Grant g = new Grant(nextGrant.incrementAndGet(), monotonicMillis(), length, revoker,
                    new java.util.concurrent.CompletableFuture<>());
            grants.put(g.id(), g);
            revoking.put(g.id(), g);
            return Optional.of(new io.fli.engine.ReadLease(named, g.id(), length));
        }
    }

    @Override
    public void readLeaseAcknowledged(long grant) {
        Grant g = revoking.get(grant);
        if (g != null) {
            synchronized (grantLock) {
                if (grants.containsKey(grant)) {
                    return; // not revoked yet: an acknowledgement before the revocation means nothing
                }
            }
            g.acknowledged().complete(null);
        }
    }

    // ------------------------------------------------------------------ read leases (asker side)

    /**
     * A read lease this process holds: its queries answer from {@code snapshot} until {@code validUntil} on
     * {@link #monotonicMillis} (the request's sending plus the length, less the allowance) unless revoked.
     */
    private static final class HeldLease {
        final long sent;
        volatile boolean revoked;
        volatile Snapshot snapshot;
        volatile long validUntil = Long.MIN_VALUE;

        HeldLease(long sent) {
            this.sent = sent;
        }

        void revoke() {
            revoked = true;
        }
    }

    private volatile HeldLease heldLease;
    private final java.util.concurrent.atomic.AtomicBoolean askingForLease =
            new java.util.concurrent.atomic.AtomicBoolean();
    private final java.util.concurrent.atomic.AtomicLong readLeaseAnswers = new java.util.concurrent.atomic.AtomicLong();

    /** The state a live read lease names, or null. */
    private Snapshot underReadLease() {
        HeldLease h = heldLease;
        if (h == null || !seams.readLeaseUsable(h.revoked) || monotonicMillis() >= h.validUntil) {
            return null;
        }
        readLeaseAnswers.incrementAndGet();
        holderViewAnswers.incrementAndGet();
        return h.snapshot;
    }

    /**
     * The state a query answers against: this process's lease view while it is safely live, else a linearizable
     * read (which also retires a view that another writer's state has overtaken).
     */
    Optional<Snapshot> queryState() {
        LeaseView v = leaseView.get();
        if (v != null && config.clock().millis() < v.validUntil()) {
            return Optional.of(v.snapshot());
        }
        Snapshot leased = underReadLease();
        if (leased != null) {
            return Optional.of(leased);
        }
        Snapshot named = fromHolder();
        if (named != null) {
            return Optional.of(named);
        }
        Optional<Snapshot> s = readState(false);
        if (v != null) {
            leaseView.compareAndSet(v, null);
        }
        return s;
    }

    @Override
    public Optional<io.fli.engine.ViewStamp> leaseView() {
        LeaseView v = leaseView.get();
        if (v == null || config.clock().millis() >= v.validUntil()) {
            return Optional.empty();
        }
        MetaRecord rec = v.snapshot().record();
        return Optional.of(new io.fli.engine.ViewStamp(rec.epoch(), rec.version(), rec.value()));
    }

    /**
     * The state this process read last, when the lease holder ({@link IndexConfig#holderView()}) names it as its
     * current one; else null (no holder view configured, no answer, or another state: the caller reads meta/state).
     * The question goes out after the query started and its answer names the current state at the moment the holder
     * answered, inside the query (see {@link io.fli.engine.HolderView}).
     */
    private Snapshot fromHolder() {
        return askHolder(true);
    }

    /**
     * The question of {@link #fromHolder()}; {@code forQuery} false for a renewal of the read lease that answers no
     * query ({@link #renewReadLease()}): it asks only for a lease, and counts no answer.
     */
    private Snapshot askHolder(boolean forQuery) {
        io.fli.engine.HolderView hv = config.holderView();
        if (hv == null) {
            return null;
        }
        Snapshot last = lastDecoded;
        io.fli.engine.ViewStamp have = last == null ? null
                : new io.fli.engine.ViewStamp(last.record().epoch(), last.record().version());
        Optional<io.fli.engine.ViewStamp> answer;
        HeldLease asked = null;
        io.fli.engine.ReadLease granted = null;
        try {
            // One query at a time asks for a lease; the others meanwhile ask as before.
            if (hv.leases() && askingForLease.compareAndSet(false, true)) {
                try {
                    asked = new HeldLease(monotonicMillis()); // counted from before the request is sent
                    HeldLease h = asked;
                    java.util.function.Consumer<byte[]> onRevoke = coming -> {
                        h.revoke();
                        warmComing(coming);
                        renewSoon();
                    };
                    Optional<io.fli.engine.ReadLease> l = forQuery ? hv.readLease(have, onRevoke)
                            : hv.renewLease(have, onRevoke);
                    granted = l == null ? null : l.orElse(null);
                    answer = granted == null ? Optional.empty() : Optional.of(granted.view());
                } finally {
                    askingForLease.set(false);
                }
            } else if (forQuery && renewing.get()) {
                // The lease was just revoked for the holder's CAS and its renewal is waiting for that CAS: the holder
                // has no view to name until then, so the question would cost a round trip to learn that. Read.
                return null;
            } else if (forQuery) {
                answer = hv.current(have);
            } else {
                return null;
            }
        } catch (RuntimeException e) {
            return null;
        }
        if (answer == null || answer.isEmpty()) {
            return null;
        }
        io.fli.engine.ViewStamp named = answer.get();
        if (named.sameRecord(have)) {
            if (forQuery) {
                holderViewAnswers.incrementAndGet();
            }
            hold(asked, granted, last);
            return last;
        }
        if (named.state() == null) {
            return null; // another state, without its bytes: read it
        }
        // Another state, with the bytes the holder's CAS wrote: answer from them as from a read of meta/state. Bytes
        // that do not decode are the answer's fault, not the store's: read the store (which decides on corruption).
        Snapshot s;
        try {
            s = new Snapshot(new MetaRecord(StateRecord.KEY, named.version(), named.epoch(), named.state()),
                    StateRecord.decode(named.state()));
        } catch (RuntimeException e) { // CorruptionException among them
            return null;
        }
        if (forQuery) {
            holderViewAnswers.incrementAndGet();
            holderViewRecords.incrementAndGet();
        }
        adopt(last, s);
        hold(asked, granted, s);
        return s;
    }

    /**
     * The state the holder's CAS is about to write, sent with a revocation: the segments it adds are warmed while
     * the CAS is in flight (they are written already), so that the first queries against it do not fetch them. Never
     * answered from; bytes that do not decode are ignored.
     */
    private void warmComing(byte[] coming) {
        Snapshot last = lastDecoded;
        if (coming == null || last == null) {
            return;
        }
        try {
            warmAdded(last, new Snapshot(new MetaRecord(StateRecord.KEY, -1, -1, coming), StateRecord.decode(coming)),
                    false);
        } catch (RuntimeException e) {
            // damaged on the way: nothing is warmed, and nothing is answered from it anyway
        }
    }

    /** How long after a revocation a process keeps asking for a new read lease in the background. */
    private static final long RENEW_FOR_MS = 250;

    private final java.util.concurrent.atomic.AtomicBoolean renewing = new java.util.concurrent.atomic.AtomicBoolean();
    private final java.util.concurrent.atomic.AtomicLong readLeaseRenewals = new java.util.concurrent.atomic.AtomicLong();
    private volatile java.util.concurrent.ExecutorService leaseKeeper;

    /**
     * A read lease was revoked: ask for the next one off the query path, so that the first query after the holder's
     * publish does not wait for the question. Only where the index runs its own threads on the system's clock (a
     * simulation, which configures its {@link io.fli.engine.Background} and clock, and a test on a manual clock ask on
     * the query path only).
     */
    private void renewSoon() {
        if (config.background() != null || config.clock().getClass() != SYSTEM_CLOCK
                || !renewing.compareAndSet(false, true)) {
            return;
        }
        try {
            leaseKeeper().execute(this::renewReadLease);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            renewing.set(false); // closed
        }
    }

    private synchronized java.util.concurrent.ExecutorService leaseKeeper() {
        if (leaseKeeper == null) {
            leaseKeeper = java.util.concurrent.Executors.newSingleThreadExecutor(r -> {
                Thread t = new Thread(r, "fli-read-lease-renewal");
                t.setDaemon(true);
                return t;
            });
        }
        return leaseKeeper;
    }

    /**
     * Asks for the next read lease ({@link io.fli.engine.HolderView#renewLease}: the holder may hold the request until
     * its CAS is through) until one is held, a query got one first, or {@link #RENEW_FOR_MS} have passed; 4 ms apart
     * when an answer came without a grant.
     */
    private void renewReadLease() {
        try {
            long until = monotonicMillis() + RENEW_FOR_MS;
            while (monotonicMillis() < until) {
                HeldLease h = heldLease;
                if (h != null && !h.revoked && monotonicMillis() < h.validUntil) {
                    return;
                }
                askHolder(false);
                h = heldLease;
                if (h != null && !h.revoked && monotonicMillis() < h.validUntil) {
                    readLeaseRenewals.incrementAndGet();
                    return;
                }
                Thread.sleep(4); // the holder did not wait for its CAS (or a query was asking): again shortly
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            // the next query asks
        } finally {
            renewing.set(false);
        }
    }

    /** Keeps a read lease the holder granted ({@code granted}, asked for as {@code asked}) on state {@code s}. */
    private void hold(HeldLease asked, io.fli.engine.ReadLease granted, Snapshot s) {
        if (asked == null || granted == null || granted.grant() == 0) {
            return;
        }
        long from = seams.readLeaseFromArrival() ? monotonicMillis() : asked.sent;
        asked.snapshot = s;
        asked.validUntil = from + granted.lengthMs() - io.fli.engine.ReadLease.allowanceMs(granted.lengthMs());
        heldLease = asked; // a revocation that came first has marked it already
    }

    /**
     * Makes {@code s} the state queries answer from next time the holder names it, when it is newer than the one
     * decoded last ({@code last}), and warms the segments it adds. A state no newer (a concurrent read got further)
     * is answered from but not kept.
     */
    private void adopt(Snapshot last, Snapshot s) {
        synchronized (decodedLock) {
            Snapshot now = lastDecoded;
            if (now != null && now.record().version() >= s.record().version()) {
                return;
            }
            lastDecoded = s;
        }
        warmAdded(last, s, true);
    }

    private final Object decodedLock = new Object();

    /** Queries answered from a state record the holder's answer carried, without reading meta/state. */
    private final java.util.concurrent.atomic.AtomicLong holderViewRecords = new java.util.concurrent.atomic.AtomicLong();

    /** A linearizable read of meta/state; empty before the first lease. Corruption fails closed. */
    Optional<Snapshot> readState() {
        return readState(true);
    }

    /**
     * meta/state as a query needs it ({@code settle} false): every publish that completed before the read started
     * is in it ({@link MetaStore#getCommitted}, a QUORUM read in CQL). Writers and outcome resolution settle
     * in-flight CASes with a linearizable {@link MetaStore#get} ({@code settle} true, a SERIAL read).
     */
    Optional<Snapshot> readState(boolean settle) {
        stateReads.incrementAndGet();
        Optional<MetaRecord> rec = settle ? meta.get(StateRecord.KEY) : meta.getCommitted(StateRecord.KEY);
        if (rec.isEmpty()) {
            return Optional.empty();
        }
        // The same record as last time (version, epoch and every byte): the same decoded state, whose segment keys
        // keep their cached hashes for the cache lookups that follow. Any other bytes are decoded and checked.
        Snapshot last = lastDecoded;
        if (last != null && last.record().equals(rec.get())) {
            return Optional.of(last);
        }
        try {
            Snapshot s = new Snapshot(rec.get(), StateRecord.decode(rec.get().value()));
            lastDecoded = s;
            warmAdded(last, s, true);
            return Optional.of(s);
        } catch (CorruptionException e) {
            return seams.undecodableState(this, e);
        }
    }

    /** The state {@link #readState} decoded last (a query's state read mostly finds the same record again). */
    private volatile Snapshot lastDecoded;

    /** The segment {@code ref} names, read lazily (format 2) or whole (format 1), checked against {@code ref}. */
    SegmentReader segment(SegmentRef ref) {
        Object o = head(ref.key(), Frame.SEGMENT);
        if (o instanceof IndexSegment s) {
            return checked(ref, s, s.firstBlock, s.lastBlock, s.firstLogId, s.logCount);
        }
        PagedSegment p = (PagedSegment) o;
        return checked(ref, p, p.head.firstBlock, p.head.lastBlock, p.head.firstLogId, p.head.logCount);
    }

    /** The whole decoded segment, for a merge: the cached one this process wrote, else read and decoded whole. */
    IndexSegment fullSegment(SegmentRef ref) {
        Weighted w = (Weighted) cache.getIfPresent(ref.key());
        IndexSegment s;
        if (w != null && w.value() instanceof IndexSegment cached) {
            s = cached;
        } else {
            byte[] bytes = seams.beforeDecode(fetch(ref.key(), 0, -1, "whole"));
            s = IndexSegment.decode(bytes, ref.key(), seams.verifyPageChecksums());
        }
        return checked(ref, s, s.firstBlock, s.lastBlock, s.firstLogId, s.logCount);
    }

    private static <T> T checked(SegmentRef ref, T s, long firstBlock, long lastBlock, long firstLogId, long logs) {
        if (firstBlock != ref.firstBlock() || lastBlock != ref.lastBlock() || firstLogId != ref.firstLogId()
                || logs != ref.logCount()) {
            throw new CorruptionException(ref.key() + ": segment covers blocks " + firstBlock + ".." + lastBlock
                    + " and " + logs + " logs from id " + firstLogId + ", but meta/state lists " + ref);
        }
        return s;
    }

    /** The pack, or the chunk of a format-3 pack, that holds {@code logId}. */
    Pack packHolding(String key, long logId) {
        return packHolding(head(key, Frame.PACK), key, logId);
    }

    /** As {@link #packHolding(String, long)} given the pack's head ({@link #head}) already looked up. */
    private Pack packHolding(Object o, String key, long logId) {
        if (o instanceof Pack p) {
            return p;
        }
        Pack.Head h = (Pack.Head) o;
        if (!h.contains(logId)) {
            return null;
        }
        int c = h.chunkOf(logId);
        return page(key, h, "c", h.headBytes(), h.chunks()[c], (r, end) -> h.chunk(c, r, key));
    }

    /**
     * {@code length < 0}: the whole blob. Counts every GET. A blob the store does not have is a {@link MissingBlob}.
     * A large segment this process just wrote is read from its cached bytes ({@link #remember}) while they last.
     */
    private byte[] fetch(String key, long offset, int length, String kind) {
        byte[] all = written.get(key);
        if (all != null) {
            if (length < 0 && offset == 0) {
                return all;
            }
            if (offset >= 0 && length >= 0 && offset + length <= all.length) {
                return java.util.Arrays.copyOfRange(all, (int) offset, (int) offset + length);
            }
        }
        byte[] b = (length < 0 ? blobs.get(key) : blobs.getRange(key, offset, length))
                .orElseThrow(() -> new MissingBlob(key));
        blobReads.incrementAndGet();
        blobBytesRead.addAndGet(b.length);
        readsByKind.computeIfAbsent(kind, k -> new java.util.concurrent.atomic.LongAdder()).increment();
        if (BACKGROUND.get()) {
            backgroundReadsByKind.computeIfAbsent(kind, k -> new java.util.concurrent.atomic.LongAdder()).increment();
            backgroundBytesRead.addAndGet(b.length);
        }
        return b;
    }

    /**
     * What a query starts from for blob {@code key}: the head of a paged blob (one ranged GET of
     * {@link Paged#PREFIX} bytes, rarely two), or a whole older-format blob, decoded. Cached.
     */
    private Object head(String key, byte kind) {
        return head(key, kind, true);
    }

    /**
     * As {@link #head(String, byte)}; with {@code wholeToo} false, an older-format blob (not paged) is neither read
     * whole nor cached, and the answer is null.
     */
    private Object head(String key, byte kind, boolean wholeToo) {
        Cache<Object, Object> cache = kind == Frame.PACK ? packCache : this.cache;
        Weighted w = (Weighted) cache.getIfPresent(key);
        if (w != null) {
            return w.value();
        }
        String headKind = kind == Frame.PACK ? "pack-head" : "segment-head";
        byte[] prefix = fetch(key, 0, Paged.PREFIX, headKind);
        if (!wholeToo && !Frame.isPaged(prefix)) {
            return null;
        }
        if (Frame.isPaged(prefix)) {
            int end = Paged.bodyStart(prefix, key);
            if (end > prefix.length) {
                byte[] rest = fetch(key, prefix.length, end - prefix.length, headKind);
                byte[] all = java.util.Arrays.copyOf(prefix, prefix.length + rest.length);
                System.arraycopy(rest, 0, all, prefix.length, rest.length);
                prefix = all;
            }
            prefix = seams.beforeDecode(prefix);
            if (kind == Frame.SEGMENT) {
                ByteReader r = Paged.head(prefix, kind, SegmentWriter.FIRST_PAGED, SegmentWriter.VERSION, key);
                PagedSegment s = new PagedSegment(key, PagedSegment.Head.read(r, end, Long.MAX_VALUE, key,
                        Frame.version(prefix)), pages);
                w = new Weighted(s, s.weight());
            } else {
                int version = Frame.version(prefix);
                ByteReader r = Paged.head(prefix, kind, version, key);
                w = new Weighted(Pack.Head.read(r, Long.MAX_VALUE, end, version, key), end * 2 + 256);
            }
        } else {
            byte[] whole = prefix.length < Paged.PREFIX ? prefix : fetch(key, 0, -1, "whole");
            w = decoded(key, seams.beforeDecode(whole), kind == Frame.SEGMENT);
        }
        cache.put(key, w);
        rebalance();
        return w.value();
    }

    /** A page's cache key: the decoded head it belongs to and the page's name, no string built. */
    record PageKey(Object owner, String part, long at) {
        // Identity of the decoded head the page belongs to: no string comparison, and a re-read head (after an
        // eviction) starts afresh while the pages of the old one age out. Written out: the generated record
        // methods go through method handles that the hot query loop pays for.
        @Override
        public boolean equals(Object o) {
            return o instanceof PageKey k && owner == k.owner && at == k.at && part.equals(k.part);
        }

        @Override
        public int hashCode() {
            return (System.identityHashCode(owner) * 31 + part.hashCode()) * 31 + Long.hashCode(at);
        }
    }

    /** How a segment's head reads its pages: {@link #page}, and uncached {@link #readPage}. */
    private final PagedSegment.Pages pages = new PagedSegment.Pages() {
        @Override
        public <T> T page(String key, Object owner, String part, int bodyStart, Paged.Ref ref,
                          PagedSegment.PageDecoder<T> decoder) {
            return DefaultLogIndex.this.page(key, owner, part, bodyStart, ref, decoder);
        }

        @Override
        public <T> T read(String key, Object owner, String part, int bodyStart, Paged.Ref ref,
                          PagedSegment.PageDecoder<T> decoder) {
            return readPage(key, part, bodyStart, ref, decoder);
        }

        @Override
        public <T> T atHand(String key, Object owner, String part, int bodyStart, Paged.Ref ref,
                            PagedSegment.PageDecoder<T> decoder) {
            return DefaultLogIndex.this.pageAtHand(key, owner, part, bodyStart, ref, decoder);
        }
    };

    /** What each page part is, for {@link io.fli.engine.IndexStats#blobReadsByKind()}. */
    private static final java.util.Map<String, String> PART_KINDS = java.util.Map.of("b", "block", "f", "filter",
            "h", "hash", "d", "directory", "p", "postings", "c", "pack-chunk");

    /** One page of a paged blob, fetched by a ranged GET, verified and decoded; not cached. */
    private <T> T readPage(String key, String part, int bodyStart, Paged.Ref ref,
                           PagedSegment.PageDecoder<T> decoder) {
        byte[] b = fetch(key, bodyStart + ref.offset(), ref.length(), PART_KINDS.getOrDefault(part, part));
        return decoder.decode(Paged.page(b, 0, ref, seams.verifyPageChecksums(), key), ref.length());
    }

    /** One page of a paged blob: fetched by a ranged GET, verified, decoded, cached. */
    @SuppressWarnings("unchecked")
    <T> T page(String key, Object owner, String part, int bodyStart, Paged.Ref ref,
               PagedSegment.PageDecoder<T> decoder) {
        PageKey ck = new PageKey(owner, part, ref.offset());
        Cache<Object, Object> cache = owner instanceof Pack.Head ? packCache : this.cache;
        Weighted w = (Weighted) cache.getIfPresent(ck);
        if (w == null) {
            T v = readPage(key, part, bodyStart, ref, decoder);
            w = new Weighted(v, (int) pageWeight(v, ref.length()));
            cache.put(ck, w);
            rebalance();
        }
        return (T) w.value();
    }

    /** {@link #page} when it costs no GET: the page is cached, or the blob's bytes are held here; else null. */
    @SuppressWarnings("unchecked")
    <T> T pageAtHand(String key, Object owner, String part, int bodyStart, Paged.Ref ref,
                     PagedSegment.PageDecoder<T> decoder) {
        if (written.containsKey(key)) {
            return page(key, owner, part, bodyStart, ref, decoder);
        }
        Cache<Object, Object> cache = owner instanceof Pack.Head ? packCache : this.cache;
        Weighted w = (Weighted) cache.getIfPresent(new PageKey(owner, part, ref.offset()));
        return w == null ? null : (T) w.value();
    }

    /**
     * The heap a decoded page holds, for the cache's bound: a directory page and a bitmap keep the fetched bytes they
     * were read from (plus seven ints per directory entry; a bitmap is read in place), a pack chunk says what it
     * holds, and block and hash pages (decoded strings and arrays) are counted at three times their bytes. Counting
     * every page at three times its bytes, as before, let the cache hold a third of the bitmaps and about half of the
     * directory pages it had room for.
     */
    static long pageWeight(Object v, int bytes) {
        if (v instanceof Pack p) {
            return p.weight();
        }
        if (v instanceof IndexSegment.Dir d) {
            return bytes + 28L * d.n + 128;
        }
        if (v instanceof org.roaringbitmap.buffer.ImmutableRoaringBitmap) {
            return bytes + 128L;
        }
        return bytes * 3L + 256;
    }

    /** Drops what is cached under {@code key} (a segment no state names any more). */
    void forget(String key) {
        cache.invalidate(key);
        unpin(key);
    }

    /**
     * Stored bytes of segments this process wrote, held outside the cache's admission policy (which turns a large
     * newcomer away from a full cache of entries in use, and lets a flood of newer entries evict a segment that was
     * written once and is read once, by the merge that replaces it) and counted against the cache: the cache's own
     * bound shrinks by what is held, so the two together stay within {@code cacheBytes}. Two kinds, each oldest
     * first:
     * <ul>
     * <li>merge inputs ({@link #remember} with {@code mergeInput}): held until a state without them is published
     * ({@link #forget}), at most half the cache; a merge reads them from here instead of GETting back what this
     * process wrote seconds ago (on local servers, once the cache was full, those read-backs cut ingest from 200k to
     * 25k logs/s);</li>
     * <li>the large segments this process wrote last: in what merge inputs leave of that half.</li>
     * </ul>
     */
    private final java.util.LinkedHashMap<String, byte[]> pinned = new java.util.LinkedHashMap<>();
    private final java.util.LinkedHashMap<String, byte[]> inputs = new java.util.LinkedHashMap<>();
    private final java.util.Map<String, byte[]> written = new java.util.concurrent.ConcurrentHashMap<>();
    private long pinnedBytes;
    private long inputBytes;

    /** Holds {@code bytes}; false when they cannot fit within their kind's share of the cache. */
    private synchronized boolean pin(String key, byte[] bytes, boolean mergeInput) {
        return pin(key, bytes, mergeInput, true);
    }

    /**
     * As {@link #pin(String, byte[], boolean)}; {@code evict} false: only where held bytes leave room, making no older
     * held blob go ({@link #pinRoom}).
     */
    private synchronized boolean pin(String key, byte[] bytes, boolean mergeInput, boolean evict) {
        long half = config.cacheBytes() / 2;
        if (bytes.length > (!evict ? pinRoom(false) : mergeInput ? half : pinRoom(true))) {
            return false;
        }
        if (mergeInput) {
            while (inputBytes + bytes.length > half) {
                unpinLocked(inputs.keySet().iterator().next());
            }
            inputs.put(key, bytes);
            inputBytes += bytes.length;
        } else {
            pinned.put(key, bytes);
            pinnedBytes += bytes.length;
        }
        written.put(key, bytes);
        while (!pinned.isEmpty() && pinnedBytes + inputBytes > half) {
            unpinLocked(pinned.keySet().iterator().next());
        }
        resizeCache();
        return true;
    }

    /** Keys of the stored blobs held whole here ({@link #remember}, {@link #takeWhole}). */
    java.util.Set<String> heldKeys() {
        return java.util.Set.copyOf(written.keySet());
    }

    private synchronized void unpin(String key) {
        if (written.containsKey(key)) {
            unpinLocked(key);
            resizeCache();
        }
    }

    private void unpinLocked(String key) {
        byte[] b = written.remove(key);
        if (pinned.remove(key) != null) {
            pinnedBytes -= b.length;
        } else if (inputs.remove(key) != null) {
            inputBytes -= b.length;
        }
    }

    private synchronized void unpinAll() {
        pinned.clear();
        inputs.clear();
        written.clear();
        pinnedBytes = 0;
        inputBytes = 0;
        resizeCache();
    }

    private void resizeCache() {
        long max = Math.max(0, config.cacheBytes() - packCacheBytes() - pinnedBytes - inputBytes);
        held = pinnedBytes + inputBytes;
        cache.policy().eviction().ifPresent(e -> e.setMaximum(max));
        rebalance();
    }

    /** {@link #pinnedBytes()}, readable without the lock. */
    private volatile long held;

    /**
     * Sets the pack cache's bound to what the index cache and the held segments leave of the whole, never below a
     * quarter; called after every index insertion and every change of what is held, so the index takes room back
     * from packs as it grows (evicting packs, never index entries). The whole never runs over its bound: a bound
     * above what is left is lowered at once, and a further 1/64 of the cache below it (never below the quarter), so
     * the index may grow by that much before the next lowering; a bound is raised only when more than 1/64 of the
     * cache has come free (a bound changed on every insertion would cost a maintenance pass each).
     */
    private void rebalance() {
        long step = config.cacheBytes() / 64;
        long target = Math.max(packCacheBytes(), config.cacheBytes() - held - weight(cache));
        packCache.policy().eviction().ifPresent(e -> {
            long max = e.getMaximum();
            if (max > target) {
                e.setMaximum(Math.max(packCacheBytes(), target - step));
            } else if (target - max > 2 * step) {
                e.setMaximum(target - step);
            }
        });
    }

    /** Bytes of the writer's own segments held for reading and merging (part of the cache's bound). */
    synchronized long pinnedBytes() {
        return pinnedBytes + inputBytes;
    }

    /**
     * Caches a segment this process just wrote. A merge input is held whole until a state without it is published
     * ({@link #forget}): the merge that replaces it reads it from memory, and so do queries in the meantime (its head
     * and pages decoded on demand like those of any other paged blob). Any other paged segment (up to half the
     * cache) is held as its stored bytes the same way, the newest first, in what merge inputs leave of half the cache
     * — a merged or compacted segment of millions of logs would otherwise leave the writer's queries reading it from
     * the object store page by page. An older-format segment (not paged) is cached whole, decoded on first use.
     */
    void remember(String key, byte[] bytes, boolean mergeInput) {
        if (mergeInput && pin(key, bytes, true)) {
            return;
        }
        if (Frame.isPaged(bytes)) {
            if (bytes.length <= config.cacheBytes() / 2) {
                pin(key, bytes, false);
            }
            return; // (not cached whole: a merged segment of 90 MB decoded whole took a tenth of the cache at once)
        }
        if (bytes.length <= config.cacheBytes() / 16) {
            cache.put(key, Weighted.lazy(() -> IndexSegment.decode(bytes, key, seams.verifyPageChecksums()),
                    bytes.length * 2 + 256));
            rebalance();
        }
    }

    /**
     * Caches the head and every chunk of a format-3/4 pack this process just wrote (write-through: the newest blocks
     * are the ones queries ask for most), unless the pack is large. Each chunk keeps a copy of its own page, so
     * evicting one frees it.
     */
    void rememberPack(String key, byte[] bytes) {
        if (Frame.isPaged(bytes)) {
            cachePack(key, bytes, false);
        }
    }

    /**
     * Caches the head and every chunk of paged pack {@code bytes}; {@code fetched}: read from the store, not written
     * here, so every chunk is checked against its checksum first (a damaged one caches nothing, and the query that
     * reads it from the store decides).
     */
    private void cachePack(String key, byte[] bytes, boolean fetched) {
        if (bytes.length > config.cacheBytes() / 16) {
            return;
        }
        int end = Paged.bodyStart(bytes, key);
        int version = Frame.version(bytes);
        Pack.Head h = Pack.Head.read(Paged.head(bytes, Frame.PACK, version, key), bytes.length - (long) end, end,
                version, key);
        if (fetched) {
            for (Paged.Ref ref : h.chunks()) {
                Paged.page(bytes, end + (int) ref.offset(), ref, seams.verifyPageChecksums(), key);
            }
        }
        packCache.put(key, new Weighted(h, end * 2 + 256));
        for (int c = 0; c < h.chunks().length; c++) {
            Paged.Ref ref = h.chunks()[c];
            int from = end + (int) ref.offset();
            byte[] page = java.util.Arrays.copyOfRange(bytes, from, from + ref.length());
            int chunk = c;
            packCache.put(new PageKey(h, "c", ref.offset()), Weighted.lazy(
                    () -> h.chunk(chunk, new ByteReader(page, 0, page.length, key), key), Pack.chunkWeight(page.length)));
        }
    }

    private Weighted decoded(String key, byte[] bytes, boolean segment) {
        if (segment) {
            return new Weighted(IndexSegment.decode(bytes, key, seams.verifyPageChecksums()), bytes.length * 2 + 256);
        }
        Pack p = Pack.decode(bytes, key, seams.verifyPageChecksums());
        return new Weighted(p, p.weight());
    }

    /** The hash indexed at {@code block} under {@code st}, which must cover it. */
    String indexedHash(StateRecord st, long block) {
        for (SegmentRef ref : st.segments()) {
            if (ref.firstBlock() <= block && block <= ref.lastBlock()) {
                return segment(ref).hashOf(block);
            }
        }
        throw new CorruptionException("meta/state covers block " + block + " but no segment lists it");
    }

    @Override
    public Long head() {
        checkNotDegraded();
        return queryState().filter(s -> s.state().hasHead()).map(s -> s.state().head()).orElse(null);
    }

    @Override
    public QueryResult query(LogQuery q) {
        validate(q);
        checkNotDegraded();
        for (int attempt = 0; ; attempt++) {
            Optional<Snapshot> snap = seams.queryState(this);
            if (snap.isEmpty() || !snap.get().state().hasHead()) {
                return new QueryResult(null, List.of());
            }
            try {
                return execute(q, snap.get().state());
            } catch (MissingBlob e) {
                // Compaction and GC may have removed what an old snapshot names: retry against the new state.
                Optional<Snapshot> now = readState();
                boolean moved = now.isPresent() && now.get().record().version() != snap.get().record().version();
                if (moved && attempt < config.casRetries()) {
                    continue;
                }
                throw degrade("blob " + e.key + " referenced by meta/state version "
                        + snap.get().record().version() + " is missing", e);
            } catch (CorruptionException e) {
                throw degrade(e.getMessage(), e);
            }
        }
    }

    private void validate(LogQuery q) {
        if (q == null) {
            throw new InvalidQueryException("query is null");
        }
        if (q.blockHash() != null && (q.fromBlock() != null || q.toBlock() != null)) {
            throw new InvalidQueryException("blockHash cannot be combined with fromBlock/toBlock");
        }
        if (q.fromBlock() != null && q.fromBlock() < 0) {
            throw new InvalidQueryException("fromBlock must be >= 0, got " + q.fromBlock());
        }
        if (q.toBlock() != null && q.toBlock() < 0) {
            throw new InvalidQueryException("toBlock must be >= 0, got " + q.toBlock());
        }
        if (q.fromBlock() != null && q.toBlock() != null && q.fromBlock() > q.toBlock()) {
            throw new InvalidQueryException("fromBlock " + q.fromBlock() + " is after toBlock " + q.toBlock());
        }
        if (q.addresses().size() > config.maxOrTerms()) {
            throw new InvalidQueryException("addresses has " + q.addresses().size() + " terms; the limit is "
                    + config.maxOrTerms());
        }
        if (q.topics().size() > 4) {
            throw new InvalidQueryException("topics has " + q.topics().size() + " positions; at most 4 are allowed");
        }
        for (int i = 0; i < q.topics().size(); i++) {
            List<String> t = q.topics().get(i);
            if (t != null && t.size() > config.maxOrTerms()) {
                throw new InvalidQueryException("topics[" + i + "] has " + t.size() + " terms; the limit is "
                        + config.maxOrTerms());
            }
            if (t != null && t.stream().anyMatch(v -> v == null)) {
                throw new InvalidQueryException("topics[" + i + "] contains null");
            }
        }
        if (q.addresses().stream().anyMatch(v -> v == null)) {
            throw new InvalidQueryException("addresses contains null");
        }
    }

    /** One clause of the filter: an OR-list at one stream position. */
    record Clause(int position, List<IndexSegment.Term> terms) {
        static Clause of(int position, List<String> values) {
            return new Clause(position, values.stream().distinct().map(IndexSegment.Term::of).toList());
        }
    }

    private QueryResult execute(LogQuery q, StateRecord st) {
        long from;
        long to;
        if (q.blockHash() != null) {
            long found = -1;
            for (SegmentRef ref : st.segments()) {
                found = segment(ref).blockWithHash(q.blockHash());
                if (found >= 0) {
                    break;
                }
            }
            if (found < 0 || found > st.head()) {
                return new QueryResult(st.head(), List.of());
            }
            from = found;
            to = found;
        } else {
            from = Math.max(q.fromBlock() == null ? st.firstBlock() : q.fromBlock(), st.firstBlock());
            to = Math.min(q.toBlock() == null ? st.head() : q.toBlock(), st.head());
            if (from > to) {
                return new QueryResult(st.head(), List.of());
            }
            if (to - from + 1 > config.maxBlockRange()) {
                throw new InvalidQueryException("block range " + from + ".." + to + " spans " + (to - from + 1)
                        + " blocks; the limit is " + config.maxBlockRange());
            }
        }
        List<Clause> clauses = new ArrayList<>(5);
        if (!q.addresses().isEmpty()) {
            clauses.add(Clause.of(0, q.addresses()));
        }
        for (int i = 0; i < q.topics().size(); i++) {
            List<String> t = q.topics().get(i);
            if (t != null && !t.isEmpty()) {
                clauses.add(Clause.of(i + 1, t));
            }
        }
        java.util.Map<SegmentRef, MutableRoaringBitmap> planned = prefetching && blobs.remote()
                && !clauses.isEmpty() && !throttled() ? prefetch(st, from, to, clauses) : java.util.Map.of();
        Filter filter = new Filter(q);
        List<MatchedLog> out = new ArrayList<>();
        Pack lastPack = null; // consecutive matches mostly share a chunk, a pack, a block
        String lastPackKey = null;
        Object lastPackHead = null;
        long hashBlock = -1;
        String hash = null;
        for (SegmentRef ref : st.segments()) {
            if (!ref.overlaps(from, to)) {
                continue;
            }
            SegmentReader seg;
            try {
                seg = segment(ref);
            } catch (MissingBlob e) {
                if (seams.missingBlobIsEmpty()) {
                    continue;
                }
                throw e;
            }
            MutableRoaringBitmap bm = null;
            if (!clauses.isEmpty()) {
                // Planned over bounds of the range the head alone gives (whole block pages): a segment whose
                // postings miss them needs no block page read to cut the range exactly — and, in format 4, no
                // directory page either when a clause's filter holds none of its terms in those bounds.
                if (planned.containsKey(ref)) {
                    bm = planned.get(ref);
                } else {
                    int outerLo = outerLo(ref, seg, from);
                    int outerHi = outerHi(ref, seg, to);
                    bm = mayMatch(seg, clauses, outerLo, outerHi) ? planBitmap(seg, clauses, outerLo, outerHi) : null;
                }
                if (bm == null) {
                    continue;
                }
            }
            int lo = localLo(ref, seg, from);
            int hi = localHi(ref, seg, to);
            if (lo >= hi) {
                continue;
            }
            PeekableIntIterator ids;
            if (clauses.isEmpty()) {
                if (prefetching && blobs.remote() && !throttled()) {
                    prefetchRange(seg, ref.firstLogId() + lo, ref.firstLogId() + Math.min(hi,
                            lo + (long) config.maxResults() + 1));
                }
                MutableRoaringBitmap all = new MutableRoaringBitmap();
                all.add((long) lo, (long) hi);
                ids = all.getIntIterator();
            } else {
                ids = bm.getIntIterator();
            }
            ids.advanceIfNeeded(lo);
            while (ids.hasNext()) {
                int local = ids.next();
                if (local >= hi) {
                    break;
                }
                long logId = ref.firstLogId() + local;
                Pack p = lastPack;
                try {
                    if (p == null || !p.contains(logId)) {
                        String key = seg.packKeyOf(logId);
                        if (key != lastPackKey) { // the segment hands out one string per pack
                            lastPackHead = head(key, Frame.PACK);
                            lastPackKey = key;
                        }
                        p = packHolding(lastPackHead, key, logId);
                        lastPack = p;
                    }
                } catch (MissingBlob e) {
                    if (seams.missingBlobIsEmpty()) {
                        continue;
                    }
                    throw e;
                }
                if (p == null || !p.contains(logId)) {
                    throw new CorruptionException(ref.key() + ": log id " + logId + " is not in the pack it names");
                }
                long block = p.blockOf(logId);
                var log = p.log(logId);
                if (block < from || block > to || !filter.matches(log)) {
                    throw new CorruptionException(ref.key() + ": the index lists log id " + logId + " (block " + block
                            + ", log " + log.index() + ") for a filter the stored log does not match");
                }
                if (out.size() == config.maxResults()) {
                    throw new InvalidQueryException("the query matches more than " + config.maxResults()
                            + " logs (the limit); narrow the block range or the filter");
                }
                if (block != hashBlock) {
                    hash = seams.blockHash(seg, ref, block);
                    hashBlock = block;
                }
                out.add(new MatchedLog(block, hash, log));
            }
        }
        return new QueryResult(st.head(), out);
    }

    /**
     * The query's filter as hash sets, for re-checking every stored log the index names ({@link Log#matches} with
     * O(1) membership: a 256-term OR-list would otherwise cost 256 string comparisons per result).
     */
    private static final class Filter {
        private final java.util.Collection<String> addresses;
        private final java.util.List<java.util.Collection<String>> topics = new ArrayList<>(4);

        Filter(LogQuery q) {
            addresses = q.addresses().isEmpty() ? null : set(q.addresses());
            for (List<String> t : q.topics()) {
                topics.add(t == null || t.isEmpty() ? null : set(t));
            }
        }

        /** A hash set for long lists; a short one is scanned (no hash of the freshly decoded string needed). */
        private static java.util.Collection<String> set(List<String> values) {
            return values.size() <= 8 ? values : new java.util.HashSet<>(values);
        }

        boolean matches(io.fli.engine.Log log) {
            if (addresses != null && !addresses.contains(log.address())) {
                return false;
            }
            for (int i = 0; i < topics.size(); i++) {
                java.util.Collection<String> allowed = topics.get(i);
                if (allowed != null && (i >= log.topics().size() || !allowed.contains(log.topics().get(i)))) {
                    return false;
                }
            }
            return true;
        }
    }

    /** The first segment-local id of block {@code from} or later in {@code ref} (a bound at or before it: 0). */
    private static int localLo(SegmentRef ref, SegmentReader seg, long from) {
        return from <= ref.firstBlock() ? 0 : seg.localStart(from); // no block-page lookup for a covered bound
    }

    /** The segment-local id after the last log of block {@code to} or earlier in {@code ref}. */
    private static int localHi(SegmentRef ref, SegmentReader seg, long to) {
        return to >= ref.lastBlock() ? (int) ref.logCount() : seg.localStart(to + 1);
    }

    /** At most {@link #localLo}, from the segment's head alone (no block page read). */
    private static int outerLo(SegmentRef ref, SegmentReader seg, long from) {
        return from <= ref.firstBlock() ? 0 : seg.localStartBounds(from)[0];
    }

    /** At least {@link #localHi}, from the segment's head alone (no block page read). */
    private static int outerHi(SegmentRef ref, SegmentReader seg, long to) {
        return to >= ref.lastBlock() ? (int) ref.logCount() : seg.localStartBounds(to + 1)[1];
    }


    /** Intersects the clauses smallest-estimate first; null when the segment has no match. */
    static PeekableIntIterator plan(SegmentReader seg, List<Clause> clauses) {
        MutableRoaringBitmap bm = planBitmap(seg, clauses);
        return bm == null ? null : bm.getIntIterator();
    }

    /**
     * Warms the cache for a query against a remote store: the heads and plans of every segment the range overlaps
     * in parallel, then the pack chunks their matches fall in, in parallel — a round trip or three instead of one
     * per segment and per chunk. Best effort: a failure here is left for the query's own pass to meet (and report
     * exactly as it would without prefetching). Returns the plans made (null: the segment has no match).
     */
    private java.util.Map<SegmentRef, MutableRoaringBitmap> prefetch(StateRecord st, long from, long to,
                                                                    List<Clause> clauses) {
        List<SegmentRef> refs = new ArrayList<>();
        for (SegmentRef ref : st.segments()) {
            if (ref.overlaps(from, to)) {
                refs.add(ref);
            }
        }
        java.util.Map<SegmentRef, MutableRoaringBitmap> planned = new java.util.concurrent.ConcurrentHashMap<>();
        java.util.Set<SegmentRef> empty = java.util.concurrent.ConcurrentHashMap.newKeySet();
        java.util.Map<SegmentRef, SegmentReader> readers = new java.util.concurrent.ConcurrentHashMap<>();
        boolean segmentsOk = awaitAll(refs.stream().map(ref -> (Runnable) () -> {
            SegmentReader seg = segment(ref);
            readers.put(ref, seg);
            // Cut to the query's range, as the query's own pass does: a long posting list is then read only in the
            // parts the range overlaps (segment format 3), not whole; first to the bounds the head gives, then,
            // only if something matched there, exactly (block pages).
            int outerLo = outerLo(ref, seg, from);
            int outerHi = outerHi(ref, seg, to);
            if (!mayMatch(seg, clauses, outerLo, outerHi)) {
                empty.add(ref);
                return;
            }
            MutableRoaringBitmap bm = outerLo >= outerHi ? null : planBitmap(seg, clauses, outerLo, outerHi);
            if (bm != null) {
                int lo = localLo(ref, seg, from);
                int hi = localHi(ref, seg, to);
                if (lo > outerLo || hi < outerHi) {
                    bm = bm.selectRange(lo, Math.max(lo, hi));
                }
            }
            if (bm == null || bm.isEmpty()) {
                empty.add(ref);
            } else {
                planned.put(ref, bm);
            }
        }).toList());
        // One log id per chunk the matches fall in (chunks of Pack.CHUNK log ids), at most a result limit's worth.
        List<Runnable> chunks = new ArrayList<>();
        java.util.Set<Long> seen = new java.util.HashSet<>();
        java.util.Set<String> packs = new java.util.LinkedHashSet<>();
        List<java.util.Map.Entry<String, Long>> candidates = new ArrayList<>();
        for (SegmentRef ref : refs) {
            MutableRoaringBitmap bm = planned.get(ref);
            SegmentReader seg = readers.get(ref);
            if (bm == null || seg == null) {
                continue;
            }
            // The plan holds only the ids of the query's range: it was cut to the range above.
            PeekableIntIterator it = bm.getIntIterator();
            while (it.hasNext() && candidates.size() < config.maxResults()) {
                int local = it.next();
                long logId = ref.firstLogId() + local;
                if (seen.add(logId / Pack.CHUNK)) {
                    String key;
                    try {
                        key = seg.packKeyOf(logId);
                    } catch (RuntimeException e) {
                        continue;
                    }
                    packs.add(key);
                    candidates.add(java.util.Map.entry(key, logId));
                }
            }
        }
        if (segmentsOk && candidates.size() > 1
                // Heads first, one fetch each: chunk fetches of one pack would otherwise all miss its head at once.
                && awaitAll(packs.stream().map(k -> (Runnable) () -> head(k, Frame.PACK)).toList())) {
            // The chunks not cached yet, by pack, in body order; then runs of them close together read by one GET.
            java.util.Map<String, java.util.TreeSet<Integer>> wanted = new java.util.LinkedHashMap<>();
            java.util.Map<String, Pack.Head> heads = new java.util.HashMap<>();
            for (java.util.Map.Entry<String, Long> c : candidates) {
                Weighted h = (Weighted) packCache.getIfPresent(c.getKey());
                if (h != null && h.value() instanceof Pack.Head ph && ph.contains(c.getValue())) {
                    int i = ph.chunkOf(c.getValue());
                    if (!chunkCached(ph, i)) {
                        heads.put(c.getKey(), ph);
                        wanted.computeIfAbsent(c.getKey(), k -> new java.util.TreeSet<>()).add(i);
                    }
                }
            }
            for (java.util.Map.Entry<String, java.util.TreeSet<Integer>> e : wanted.entrySet()) {
                addChunkRuns(e.getKey(), heads.get(e.getKey()), e.getValue(), chunks);
            }
            awaitAll(chunks); // one run too: its chunks would otherwise be read one GET each by the query's pass
        }
        java.util.Map<SegmentRef, MutableRoaringBitmap> out = new java.util.HashMap<>(planned);
        for (SegmentRef ref : empty) {
            out.put(ref, null);
        }
        return out;
    }

    /**
     * Reads the chunks holding log ids {@code [first, end)} (every log of a range: a block-hash or unfiltered query)
     * in coalesced runs ({@link #coalesce}) before the query's pass asks for them one by one: a block's logs that
     * straddle two chunks are one GET, not two after another. Best effort, as {@link #prefetch}.
     */
    private void prefetchRange(SegmentReader seg, long first, long end) {
        try {
            long logId = first;
            while (logId < end) {
                String key = seg.packKeyOf(logId);
                if (!(head(key, Frame.PACK) instanceof Pack.Head h) || !h.contains(logId)) {
                    return; // an older-format pack is read whole: nothing to coalesce
                }
                long last = Math.min(end, h.firstLogId() + h.count()) - 1;
                java.util.TreeSet<Integer> wanted = new java.util.TreeSet<>();
                for (int c = h.chunkOf(logId); c <= h.chunkOf(last); c++) {
                    if (!chunkCached(h, c)) {
                        wanted.add(c);
                    }
                }
                if (wanted.size() > 1) {
                    List<Runnable> runs = new ArrayList<>();
                    addChunkRuns(key, h, wanted, runs);
                    awaitAll(runs);
                }
                logId = last + 1;
            }
        } catch (RuntimeException e) {
            // left for the query's own pass to meet and report
        }
    }

    /**
     * The most bytes between two wanted pages that one GET reads through rather than being split in two: about what
     * the store transfers in the time a GET costs beyond its bytes (on local S3Proxy, 2 cores: 2,000 GETs/s at most
     * whatever the concurrency, about 0.5 ms of the machine each, and 0.5 GB/s; 14 KB, 256 KB and 1 MB ranged GETs
     * took 0.9, 1.1 and 3.4 ms). A real S3 over a network (a first byte in 5-20 ms) would gain from a larger gap; a
     * smaller one only costs GETs.
     */
    static final int COALESCE_GAP = 256 << 10;
    /** The most bytes one coalesced GET reads: larger answers are read by several GETs in parallel. */
    static final int COALESCE_SPAN = 1 << 20;

    /**
     * Runs of the wanted pages (indices into {@code refs}, whose pages lie in body order) that one ranged GET each
     * reads: pages at most {@link #COALESCE_GAP} apart, spanning at most {@link #COALESCE_SPAN} bytes (a page larger
     * than that is a run of its own). Each run lists its pages' indices.
     */
    static List<int[]> coalesce(Paged.Ref[] refs, java.util.SortedSet<Integer> wanted) {
        List<int[]> runs = new ArrayList<>();
        IntList run = new IntList();
        long start = 0;
        long end = 0;
        for (int i : wanted) {
            Paged.Ref r = refs[i];
            if (run.n > 0 && (r.offset() - end > COALESCE_GAP
                    || r.offset() + r.length() - start > COALESCE_SPAN)) {
                runs.add(run.toArray());
                run = new IntList();
            }
            if (run.n == 0) {
                start = r.offset();
            }
            run.add(i);
            end = r.offset() + r.length();
        }
        if (run.n > 0) {
            runs.add(run.toArray());
        }
        return runs;
    }

    /** Whether chunk {@code c} of the pack whose head is {@code h} is cached. */
    private boolean chunkCached(Pack.Head h, int c) {
        return packCache.getIfPresent(new PageKey(h, "c", h.chunks()[c].offset())) != null;
    }

    /** Adds to {@code tasks} one {@link #readChunks} per {@link #coalesce} run of the {@code wanted} chunks. */
    private void addChunkRuns(String key, Pack.Head h, java.util.SortedSet<Integer> wanted, List<Runnable> tasks) {
        for (int[] run : coalesce(h.chunks(), wanted)) {
            tasks.add(() -> readChunks(key, h, run));
        }
    }

    /**
     * Reads chunks {@code run} of the pack {@code key} (a {@link #coalesce} run) with one ranged GET and caches each,
     * verified and decoded as {@link #page} would; a run of one is just {@link #page}. Each chunk keeps a copy of its
     * own bytes, not the GET's (a cached chunk must not hold the pages between).
     */
    private void readChunks(String key, Pack.Head h, int[] run) {
        if (run.length == 1) {
            int c = run[0];
            page(key, h, "c", h.headBytes(), h.chunks()[c], (r, end) -> h.chunk(c, r, key));
            return;
        }
        Paged.Ref first = h.chunks()[run[0]];
        Paged.Ref last = h.chunks()[run[run.length - 1]];
        long span = last.offset() + last.length() - first.offset();
        byte[] b = fetch(key, h.headBytes() + first.offset(), (int) span, "pack-chunks");
        for (int c : run) {
            if (chunkCached(h, c)) {
                continue;
            }
            Paged.Ref ref = h.chunks()[c];
            int off = (int) (ref.offset() - first.offset());
            byte[] own = java.util.Arrays.copyOfRange(b, off, Math.min(b.length, off + ref.length()));
            Pack v = h.chunk(c, Paged.page(own, 0, ref, seams.verifyPageChecksums(), key), key);
            packCache.put(new PageKey(h, "c", ref.offset()), new Weighted(v, (int) pageWeight(v, own.length)));
        }
        rebalance();
    }

    /**
     * Whether the blob store is holding calls back (its circuit breaker open or half-open): no prefetch then, so a
     * recovering store sees one call at a time from a query, as without prefetching.
     */
    private boolean throttled() {
        return blobs instanceof io.fli.engine.HealthReporting r && r.throttledReason().isPresent();
    }

    /**
     * Runs the tasks on the fetch threads and waits for them; returns false if one failed, in which case those not
     * yet started are cancelled (a failing store gets one burst, not a query's worth of calls). Failures are
     * otherwise ignored (see {@link #prefetch}). A single task runs on the calling thread (nothing to overlap, and
     * left undone the query's pass would read what it reads page by page).
     */
    private boolean awaitAll(List<Runnable> tasks) {
        if (tasks.isEmpty()) {
            return true;
        }
        if (tasks.size() == 1) {
            try {
                tasks.get(0).run();
                return true;
            } catch (RuntimeException e) {
                return false; // left for the query's own pass to meet and report
            }
        }
        java.util.concurrent.ExecutorService pool = fetchers();
        List<java.util.concurrent.Future<?>> fs = new ArrayList<>(tasks.size());
        try {
            for (Runnable t : tasks) {
                fs.add(pool.submit(t));
            }
        } catch (java.util.concurrent.RejectedExecutionException closing) {
            // the index is closing: what was submitted is awaited below, the rest is left to the query's pass
        }
        boolean ok = fs.size() == tasks.size();
        for (java.util.concurrent.Future<?> f : fs) {
            try {
                f.get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                fs.forEach(x -> x.cancel(false));
                return false;
            } catch (java.util.concurrent.CancellationException e) {
                ok = false;
            } catch (java.util.concurrent.ExecutionException e) {
                // left for the query's own pass; stop what has not started
                ok = false;
                fs.forEach(x -> x.cancel(false));
            }
        }
        return ok;
    }

    /**
     * False when some clause has no term the segment may hold with a posting in {@code [lo, hi)} (its term filters,
     * format 4): the segment cannot match there, and the query need not read its block pages to cut the range nor its
     * directory pages. True without clauses.
     */
    static boolean mayMatch(SegmentReader seg, List<Clause> clauses, int lo, int hi) {
        for (Clause c : clauses) {
            if (!seg.mayHoldAny(c.position(), c.terms(), lo, hi)) {
                return false;
            }
        }
        return true;
    }

    /** {@link #plan} as the intersected bitmap; null when the segment has no match. */
    static MutableRoaringBitmap planBitmap(SegmentReader seg, List<Clause> clauses) {
        return planBitmap(seg, clauses, 0, Integer.MAX_VALUE);
    }

    /**
     * {@link #planBitmap(SegmentReader, List)} over the segment-local ids in {@code [lo, hi)} only (the query's block
     * range): long posting lists are cut to the range before they are copied and intersected.
     */
    static MutableRoaringBitmap planBitmap(SegmentReader seg, List<Clause> clauses, int lo, int hi) {
        if (clauses.size() == 1) {
            // One clause (an address or topic list alone): nothing to order, so no estimate, which would look up
            // every term a second time; a segment without the terms gives an empty union.
            MutableRoaringBitmap only = seg.union(clauses.get(0).position(), clauses.get(0).terms(), lo, hi);
            return only.isEmpty() ? null : only;
        }
        List<Clause> ordered = new ArrayList<>(clauses);
        long[] est = new long[5];
        for (Clause c : ordered) {
            est[c.position()] = seg.estimate(c.position(), c.terms());
            if (est[c.position()] == 0) {
                return null;
            }
        }
        ordered.sort(Comparator.comparingLong(c -> est[c.position()]));
        MutableRoaringBitmap acc = seg.union(ordered.get(0).position(), ordered.get(0).terms(), lo, hi);
        for (int i = 1; i < ordered.size() && !acc.isEmpty(); i++) {
            acc.and(seg.union(ordered.get(i).position(), ordered.get(i).terms(), lo, hi));
        }
        return acc.isEmpty() ? null : acc;
    }
}
