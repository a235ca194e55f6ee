package io.fli.workloads;

import io.fli.engine.Block;
import io.fli.engine.GcReport;
import io.fli.engine.Health;
import io.fli.engine.LogIndex;
import io.fli.engine.LogQuery;
import io.fli.engine.PublishResult;
import io.fli.engine.QueryResult;
import io.fli.engine.Writer;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;

/**
 * An index process inside the harness's JVM: its own {@link LogIndex} (caches, lease view, merge work) over its own
 * store clients, its own writer objects. Pausing it holds every call at its next step — a call's start and end,
 * and every store call its index makes (see {@link Gate}) — as a stopped VM or a long GC pause would.
 */
final class InProcessNode implements Node {
    private final String name;
    private final Supplier<LogIndex> open;
    private final Gate gate;
    private final AtomicReference<LogIndex> index = new AtomicReference<>();
    private final Map<String, Writer> writers = new ConcurrentHashMap<>();

    InProcessNode(String name, Supplier<LogIndex> open, Gate gate) {
        this.name = name;
        this.open = open;
        this.gate = gate;
        index.set(open.get());
    }

    @Override
    public String name() {
        return name;
    }

    private Writer writer(String id) {
        return writers.computeIfAbsent(id, k -> index.get().writer(k));
    }

    private <T> T call(Supplier<T> body) {
        gate.pass();
        T out = body.get();
        gate.pass();
        return out;
    }

    @Override
    public long acquire(String writer, boolean takeOver) {
        Writer w = writer(writer);
        return call(() -> takeOver ? w.takeOver() : w.acquire());
    }

    @Override
    public long epoch(String writer) {
        Writer w = writers.get(writer);
        return w == null ? 0 : w.epoch();
    }

    @Override
    public PublishResult publish(String writer, List<Block> batch) {
        Writer w = writer(writer);
        return call(() -> w.publish(batch));
    }

    @Override
    public GcReport gc(String writer) {
        Writer w = writer(writer);
        return call(w::gc);
    }

    @Override
    public void forget(String writer) {
        writers.remove(writer);
    }

    @Override
    public QueryResult query(LogQuery q) {
        return call(() -> index.get().query(q));
    }

    @Override
    public long leaseEpoch() {
        return writers.values().stream().mapToLong(Writer::epoch).max().orElse(0);
    }

    @Override
    public Long head() {
        return call(() -> index.get().head());
    }

    @Override
    public Health health() {
        return index.get().health();
    }

    /** A paused process answers nothing (the asker's timeout, in a simulation at once). */
    @Override
    public java.util.Optional<io.fli.engine.ViewStamp> leaseView() {
        return gate.isClosed() ? java.util.Optional.empty() : index.get().leaseView();
    }

    /** A paused process grants nothing (the asker's timeout). */
    @Override
    public java.util.Optional<io.fli.engine.ReadLease> grantReadLease(io.fli.engine.ViewStamp have, long lengthMs,
                                                                      io.fli.engine.ReadLease.Revoker revoker) {
        return gate.isClosed() ? java.util.Optional.empty() : index.get().grantReadLease(have, lengthMs, revoker);
    }

    @Override
    public void readLeaseAcknowledged(long grant) {
        gate.pass();
        index.get().readLeaseAcknowledged(grant);
    }

    @Override
    public void restart() {
        writers.clear();
        LogIndex old = index.getAndSet(open.get());
        old.close();
    }

    @Override
    public void dropCaches() {
        index.get().dropCaches();
    }

    @Override
    public void pause() {
        gate.close();
    }

    @Override
    public void resume() {
        gate.open();
    }

    @Override
    public void close() {
        gate.open();
        index.get().close();
    }
}
