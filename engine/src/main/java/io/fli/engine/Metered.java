package io.fli.engine;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * Micrometer instrumentation of the index and its stores, as decorators: what a long-running process (the soak,
 * {@code fli serve}) wraps around what it opens. Names follow Prometheus conventions once exported
 * ({@code fli.cas} becomes {@code fli_cas_total}, {@code fli.query} {@code fli_query_seconds}):
 *
 * <ul>
 *   <li>{@code fli.cas{backend,op,outcome}}: conditional writes by outcome — {@code applied}, {@code conflict},
 *       {@code unknown} (counted apart: the caller must re-read) and {@code error} (certainly not sent);</li>
 *   <li>{@code fli.backend.requests{backend,op}} (timer) and {@code fli.backend.errors{backend,op,class}}, where
 *       {@code class} is the driver's or SDK's exception class ({@code DriverTimeoutException},
 *       {@code UnavailableException}, {@code ErrorResponseException}, {@code ConnectException}, ...);</li>
 *   <li>{@code fli.query{class,outcome}} (histogram) per {@link QueryClass}, and {@code fli.query.results{class}};</li>
 *   <li>{@code fli.publish{outcome}} (histogram), {@code fli.ingest.logs}, {@code fli.ingest.blocks};</li>
 *   <li>{@code fli.fence.rejections{op}}, {@code fli.lease.lost}, {@code fli.lease.acquires{outcome}};</li>
 *   <li>{@code fli.gc.runs}, {@code fli.gc.deleted.objects}, {@code fli.gc.deleted.bytes}, and the gauges
 *       {@code fli.gc.backlog.objects} and {@code fli.gc.backlog.bytes} (orphans left after the last pass);</li>
 *   <li>{@code fli.health{state}} (1 for the current state, 0 for the others), {@code fli.head.block}, and the
 *       cache counters of {@link IndexStats}.</li>
 * </ul>
 *
 * Head lag depends on the block source, so the process that follows one registers {@code fli.head.lag.blocks}
 * itself ({@link #headLag}).
 */
public final class Metered {
    private static final Duration MIN = Duration.ofNanos(20_000);
    private static final Duration MAX = Duration.ofSeconds(60);

    private Metered() {
    }

    /** {@code store}'s calls timed and its CAS outcomes and errors counted under {@code backend} (e.g. "cql"). */
    public static MetaStore meta(MetaStore store, MeterRegistry registry, String backend) {
        Calls calls = new Calls(registry, backend);
        // Every outcome exported from the start (at 0), so that rates and alerts see a series, not an absence.
        for (String op : List.of("put-if-absent", "compare-and-set")) {
            for (String outcome : List.of("applied", "conflict", "unknown", "error")) {
                calls.casCounter(op, outcome);
            }
        }
        return new MeteredMeta(store, calls);
    }

    /** {@code store}'s calls timed and its errors counted under {@code backend} (e.g. "s3"). */
    public static BlobStore blobs(BlobStore store, MeterRegistry registry, String backend) {
        return new MeteredBlobs(store, new Calls(registry, backend));
    }

    /** {@code index} with its queries, writers, health and cache counters measured; {@code tags} name the instance. */
    public static LogIndex index(LogIndex index, MeterRegistry registry, Tags tags) {
        return new MeteredIndex(index, registry, tags);
    }

    /** Registers {@code fli.head.lag.blocks}: how far the indexed head is behind the source's finalized head. */
    public static void headLag(MeterRegistry registry, Tags tags, Supplier<Number> lag) {
        // Strongly held: a gauge keeps only a weak reference to its object, and nothing else holds this supplier
        // (it read NaN after the first collection, so FliHeadLagGrowing could never fire: found by fli drill).
        Gauge.builder("fli.head.lag.blocks", lag, s -> s.get().doubleValue()).tags(tags).strongReference(true)
                .description("Blocks the indexed finalized head is behind the source's").register(registry);
    }

    /** The outcome labels of each measured call ({@code error}: a failure of no kind the call names). */
    static final List<String> QUERY_OUTCOMES = List.of("ok", "invalid", "degraded", "backend", "error");
    static final List<String> PUBLISH_OUTCOMES = List.of("ok", "fenced", "unknown", "invalid", "degraded", "backend",
            "error");
    static final List<String> ACQUIRE_OUTCOMES = List.of("ok", "held", "unknown", "error");

    /** The outcome label of a failed call: its kind when {@code labels} names it, else {@code error}. */
    static String outcome(RuntimeException e, List<String> labels) {
        String kind = e instanceof FencedException ? "fenced" : e instanceof OutcomeUnknownException ? "unknown"
                : e instanceof LeaseHeldException ? "held"
                : e instanceof InvalidQueryException || e instanceof InvalidBlockException ? "invalid"
                : e instanceof DegradedException ? "degraded" : e instanceof BackendException ? "backend" : "error";
        return labels.contains(kind) ? kind : "error";
    }

    /** The error class a metric label names: the driver's or SDK's exception under fli's own wrapping. */
    static String errorClass(Throwable e) {
        Throwable t = e;
        while (t instanceof FliException && t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        return t.getClass().getSimpleName();
    }

    /** The timers and counters of one backend. */
    private static final class Calls {
        final MeterRegistry registry;
        final String backend;
        final Map<String, Timer> timers = new ConcurrentHashMap<>();

        Calls(MeterRegistry registry, String backend) {
            this.registry = registry;
            this.backend = backend;
        }

        <T> T time(String op, Supplier<T> call) {
            long t0 = System.nanoTime();
            try {
                return call.get();
            } catch (RuntimeException e) {
                error(op, e);
                throw e;
            } finally {
                timers.computeIfAbsent(op, o -> Timer.builder("fli.backend.requests").tag("backend", backend)
                        .tag("op", o).description("Calls to a backend store").register(registry))
                        .record(System.nanoTime() - t0, java.util.concurrent.TimeUnit.NANOSECONDS);
            }
        }

        void error(String op, Throwable e) {
            Counter.builder("fli.backend.errors").tag("backend", backend).tag("op", op).tag("class", errorClass(e))
                    .description("Failed calls to a backend store, by the driver's or SDK's error class")
                    .register(registry).increment();
        }

        CasResult cas(String op, Supplier<CasResult> call) {
            CasResult r;
            try {
                r = time(op, call);
            } catch (RuntimeException e) {
                cas(op, "error");
                throw e;
            }
            if (r instanceof CasResult.Applied) {
                cas(op, "applied");
            } else if (r instanceof CasResult.NotApplied) {
                cas(op, "conflict");
            } else if (r instanceof CasResult.Unknown u) {
                cas(op, "unknown");
                error(op, u.cause() == null ? new OutcomeUnknownException("unknown") : u.cause());
            }
            return r;
        }

        private void cas(String op, String outcome) {
            casCounter(op, outcome).increment();
        }

        Counter casCounter(String op, String outcome) {
            return Counter.builder("fli.cas").tag("backend", backend).tag("op", op).tag("outcome", outcome)
                    .description("Conditional writes (LWT) by outcome; unknown outcomes are re-read by the caller")
                    .register(registry);
        }
    }

    private static Optional<String> throttled(Object store) {
        return store instanceof HealthReporting h ? h.throttledReason() : Optional.empty();
    }

    private record MeteredMeta(MetaStore d, Calls calls) implements MetaStore, HealthReporting {
        @Override
        public Optional<MetaRecord> get(String key) {
            return calls.time("get", () -> d.get(key));
        }

        @Override
        public Optional<MetaRecord> getCommitted(String key) {
            return calls.time("get-committed", () -> d.getCommitted(key));
        }

        @Override
        public CasResult putIfAbsent(String key, long epoch, byte[] value) {
            return calls.cas("put-if-absent", () -> d.putIfAbsent(key, epoch, value));
        }

        @Override
        public CasResult compareAndSet(String key, long expectedVersion, long expectedEpoch, long newEpoch,
                                       byte[] value) {
            return calls.cas("compare-and-set", () -> d.compareAndSet(key, expectedVersion, expectedEpoch, newEpoch,
                    value));
        }

        @Override
        public Optional<String> throttledReason() {
            return throttled(d);
        }

        @Override
        public void close() {
            d.close();
        }
    }

    private record MeteredBlobs(BlobStore d, Calls calls) implements BlobStore, HealthReporting {
        @Override
        public PutOutcome putIfAbsent(String key, byte[] data) {
            return calls.time("put", () -> d.putIfAbsent(key, data));
        }

        @Override
        public Optional<byte[]> get(String key) {
            return calls.time("get", () -> d.get(key));
        }

        @Override
        public Optional<byte[]> getRange(String key, long offset, int length) {
            return calls.time("get-range", () -> d.getRange(key, offset, length));
        }

        @Override
        public boolean remote() {
            return d.remote();
        }

        @Override
        public void delete(String key) {
            calls.time("delete", () -> {
                d.delete(key);
                return null;
            });
        }

        @Override
        public List<BlobInfo> list(String prefix) {
            return calls.time("list", () -> d.list(prefix));
        }

        @Override
        public Optional<String> throttledReason() {
            return throttled(d);
        }

        @Override
        public void close() {
            d.close();
        }
    }

    private static final class MeteredIndex implements LogIndex {
        private final LogIndex d;
        private final MeterRegistry registry;
        private final Tags tags;
        private final Map<QueryClass, Map<String, Timer>> queryTimers = new EnumMap<>(QueryClass.class);
        private final Map<QueryClass, Counter> results = new EnumMap<>(QueryClass.class);
        private final AtomicLong head = new AtomicLong(-1);
        final AtomicLong backlogObjects = new AtomicLong();
        final AtomicLong backlogBytes = new AtomicLong();

        MeteredIndex(LogIndex d, MeterRegistry registry, Tags tags) {
            this.d = d;
            this.registry = registry;
            this.tags = tags;
            for (QueryClass c : QueryClass.values()) {
                Map<String, Timer> byOutcome = new ConcurrentHashMap<>();
                for (String outcome : QUERY_OUTCOMES) {
                    byOutcome.put(outcome, Timer.builder("fli.query").tags(tags).tag("class", c.label())
                            .tag("outcome", outcome).description("eth_getLogs queries by SLO class and outcome")
                            .publishPercentileHistogram().minimumExpectedValue(MIN).maximumExpectedValue(MAX)
                            .register(registry));
                }
                queryTimers.put(c, byOutcome);
                results.put(c, Counter.builder("fli.query.results").tags(tags).tag("class", c.label())
                        .description("Logs returned by queries").register(registry));
            }
            // A process that opens its index again (a restart) under the same tags: the meters that read the index
            // must read the new one, not keep the first (a registry ignores a second registration of an id).
            for (String n : List.of("fli.health", "fli.head.block", "fli.gc.backlog.objects", "fli.gc.backlog.bytes",
                    "fli.cache.hits", "fli.cache.misses", "fli.cache.evictions", "fli.cache.bytes",
                    "fli.cache.limit.bytes", "fli.blob.reads", "fli.blob.read.bytes", "fli.state.reads",
                    "fli.holder.view.answers", "fli.holder.view.records")) {
                registry.find(n).tags(tags).meters().forEach(registry::remove);
            }
            for (Health.Status s : Health.Status.values()) {
                Gauge.builder("fli.health", d, i -> i.health().status() == s ? 1 : 0).tags(tags)
                        .tag("state", s.name().toLowerCase())
                        .description("1 for the index's current health state (ok, throttled, degraded), else 0")
                        .register(registry);
            }
            Gauge.builder("fli.head.block", head, AtomicLong::get).tags(tags)
                    .description("The finalized head this process last saw (-1 before the first)").register(registry);
            Gauge.builder("fli.gc.backlog.objects", backlogObjects, AtomicLong::get).tags(tags)
                    .description("Unreferenced blobs left after the last GC pass").register(registry);
            Gauge.builder("fli.gc.backlog.bytes", backlogBytes, AtomicLong::get).tags(tags)
                    .description("Bytes of unreferenced blobs left after the last GC pass").register(registry);
            FunctionCounter.builder("fli.cache.hits", d, i -> i.stats().cacheHits()).tags(tags).register(registry);
            FunctionCounter.builder("fli.cache.misses", d, i -> i.stats().cacheMisses()).tags(tags).register(registry);
            FunctionCounter.builder("fli.cache.evictions", d, i -> i.stats().cacheEvictions()).tags(tags)
                    .register(registry);
            Gauge.builder("fli.cache.bytes", d, i -> i.stats().cacheWeightBytes()).tags(tags)
                    .description("Estimated heap held by the blob cache").register(registry);
            Gauge.builder("fli.cache.limit.bytes", d, i -> i.stats().cacheLimitBytes()).tags(tags).register(registry);
            FunctionCounter.builder("fli.blob.reads", d, i -> i.stats().blobReads()).tags(tags).register(registry);
            FunctionCounter.builder("fli.blob.read.bytes", d, i -> i.stats().blobBytesRead()).tags(tags)
                    .register(registry);
            for (String kind : IndexStats.BLOB_READ_KINDS) { // each a series of fli_blob_reads_by_kind_total
                FunctionCounter.builder("fli.blob.reads.by.kind", d,
                                i -> i.stats().blobReadsByKind().getOrDefault(kind, 0L)).tags(tags).tag("kind", kind)
                        .description("Blob GETs by what they read (a query's store round trips, told apart)")
                        .register(registry);
            }
            FunctionCounter.builder("fli.blob.reads.background", d, i -> i.stats().backgroundReads()).tags(tags)
                    .description("Blob GETs no query waited for: warming new segments, merges reading their inputs")
                    .register(registry);
            FunctionCounter.builder("fli.state.reads", d, i -> i.stats().stateReads()).tags(tags).register(registry);
            FunctionCounter.builder("fli.holder.view.answers", d, i -> i.stats().holderViewAnswers()).tags(tags)
                    .description("Queries answered from the state the lease holder named, without reading meta/state")
                    .register(registry);
            FunctionCounter.builder("fli.holder.view.records", d, i -> i.stats().holderViewRecords()).tags(tags)
                    .description("Of those, answered from a state not read yet, whose record the holder's answer carried")
                    .register(registry);
            FunctionCounter.builder("fli.read.lease.answers", d, i -> i.stats().readLeaseAnswers()).tags(tags)
                    .description("Of those, answered under a read lease the holder granted, without asking it")
                    .register(registry);
            FunctionCounter.builder("fli.read.lease.renewals", d, i -> i.stats().readLeaseRenewals()).tags(tags)
                    .description("Read leases obtained off the query path right after the holder revoked one")
                    .register(registry);
            Gauge.builder("fli.warms.pending", d, i -> i.stats().warmsPending()).tags(tags)
                    .description("Warming tasks queued or running (a first state's, new segments'): 0 once warmed")
                    .register(registry);
            // Event counters exported from the start (at 0), so that rates and alerts see a series.
            for (String op : List.of("publish", "renew", "compact", "gc")) {
                counter("fli.fence.rejections", FENCE, "op", op);
            }
            counter("fli.lease.lost", LEASE_LOST);
            for (String outcome : ACQUIRE_OUTCOMES) {
                counter("fli.lease.acquires", ACQUIRES, "outcome", outcome);
            }
            counter("fli.ingest.blocks", "Blocks made query-visible");
            counter("fli.ingest.logs", "Logs made query-visible");
            counter("fli.gc.runs", "GC passes");
            counter("fli.gc.deleted.objects", "Orphan blobs deleted by GC");
            counter("fli.gc.deleted.bytes", "Bytes of orphan blobs deleted by GC");
        }

        static final String FENCE = "Writes refused because the writer's epoch was fenced";
        static final String LEASE_LOST = "Times a writer found it had lost the lease it held";
        static final String ACQUIRES = "Lease acquisitions and takeovers by outcome";

        void seeHead(Long h) {
            if (h != null) {
                head.accumulateAndGet(h, Math::max);
            }
        }

        @Override
        public Writer writer(String writerId) {
            return new MeteredWriter(d.writer(writerId), this);
        }

        @Override
        public QueryResult query(LogQuery query) {
            QueryClass c = QueryClass.of(query);
            long t0 = System.nanoTime();
            String outcome = "error";
            try {
                QueryResult r = d.query(query);
                outcome = "ok";
                results.get(c).increment(r.logs().size());
                seeHead(r.head());
                return r;
            } catch (RuntimeException e) {
                outcome = outcome(e, QUERY_OUTCOMES);
                throw e;
            } finally {
                queryTimers.get(c).get(outcome).record(System.nanoTime() - t0, java.util.concurrent.TimeUnit.NANOSECONDS);
            }
        }

        @Override
        public Long head() {
            Long h = d.head();
            seeHead(h);
            return h;
        }

        @Override
        public Health health() {
            return d.health();
        }

        @Override
        public void dropCaches() {
            d.dropCaches();
        }

        @Override
        public Health clearDegraded(String reason) {
            return d.clearDegraded(reason);
        }

        @Override
        public java.util.Optional<ViewStamp> leaseView() {
            return d.leaseView();
        }

        @Override
        public java.util.Optional<ReadLease> grantReadLease(ViewStamp have, long lengthMs,
                                                         io.fli.engine.ReadLease.Revoker revoker) {
            return d.grantReadLease(have, lengthMs, revoker);
        }

        @Override
        public void readLeaseAcknowledged(long grant) {
            d.readLeaseAcknowledged(grant);
        }

        @Override
        public IndexStats stats() {
            return d.stats();
        }

        @Override
        public void close() {
            d.close();
        }

        Counter counter(String name, String description, String... tagPairs) {
            return Counter.builder(name).tags(tags).tags(tagPairs).description(description).register(registry);
        }

        Timer publishTimer(String outcome) {
            return Timer.builder("fli.publish").tags(tags).tag("outcome", outcome)
                    .description("Publishes of block batches (blobs, then the state CAS) by outcome")
                    .publishPercentileHistogram().minimumExpectedValue(Duration.ofNanos(100_000))
                    .maximumExpectedValue(MAX).register(registry);
        }
    }

    private static final class MeteredWriter implements Writer {
        private final Writer d;
        private final MeteredIndex m;
        private volatile boolean held;

        MeteredWriter(Writer d, MeteredIndex m) {
            this.d = d;
            this.m = m;
        }

        private RuntimeException fenced(String op, FencedException e) {
            m.counter("fli.fence.rejections", MeteredIndex.FENCE, "op", op).increment();
            if (held) {
                held = false;
                m.counter("fli.lease.lost", MeteredIndex.LEASE_LOST).increment();
            }
            return e;
        }

        @Override
        public String id() {
            return d.id();
        }

        @Override
        public long epoch() {
            return d.epoch();
        }

        private long take(Supplier<Long> how) {
            String outcome = "error";
            try {
                long e = how.get();
                outcome = "ok";
                held = true;
                return e;
            } catch (RuntimeException e) {
                outcome = outcome(e, ACQUIRE_OUTCOMES);
                throw e;
            } finally {
                m.counter("fli.lease.acquires", MeteredIndex.ACQUIRES, "outcome", outcome).increment();
            }
        }

        @Override
        public long acquire() {
            return take(d::acquire);
        }

        @Override
        public long takeOver() {
            return take(d::takeOver);
        }

        @Override
        public void renew() {
            try {
                d.renew();
            } catch (FencedException e) {
                throw fenced("renew", e);
            }
        }

        @Override
        public PublishResult publish(List<Block> blocks) {
            long t0 = System.nanoTime();
            String outcome = "error";
            try {
                PublishResult r = d.publish(blocks);
                outcome = "ok";
                m.counter("fli.ingest.blocks", "Blocks made query-visible").increment(r.blocksIndexed());
                m.counter("fli.ingest.logs", "Logs made query-visible").increment(r.logsIndexed());
                m.seeHead(r.head());
                return r;
            } catch (RuntimeException e) {
                outcome = outcome(e, PUBLISH_OUTCOMES);
                if (e instanceof FencedException f) {
                    throw fenced("publish", f);
                }
                throw e;
            } finally {
                m.publishTimer(outcome).record(System.nanoTime() - t0, java.util.concurrent.TimeUnit.NANOSECONDS);
            }
        }

        @Override
        public void compact() {
            try {
                d.compact();
            } catch (FencedException e) {
                throw fenced("compact", e);
            }
        }

        @Override
        public GcReport gc() {
            GcReport r;
            try {
                r = d.gc();
            } catch (FencedException e) {
                throw fenced("gc", e);
            }
            m.counter("fli.gc.runs", "GC passes").increment();
            m.counter("fli.gc.deleted.objects", "Orphan blobs deleted by GC").increment(r.deleted().size());
            m.counter("fli.gc.deleted.bytes", "Bytes of orphan blobs deleted by GC").increment(r.deletedBytes());
            m.backlogObjects.set(r.tooYoung());
            m.backlogBytes.set(r.tooYoungBytes());
            return r;
        }
    }
}
