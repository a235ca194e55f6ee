package io.fli.workloads;

import io.fli.engine.WriteHook;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.LongConsumer;

/**
 * Lease loss: when armed, the next writer that reaches a write of {@code meta/state} stops right there for a while —
 * a long GC pause, a stopped VM — long enough for its lease to run out and another writer to take over. When it
 * wakes, its write must be fenced.
 */
final class Stall implements WriteHook {
    private record Armed(long millis, LongConsumer sleeper) {
    }

    private final AtomicReference<Armed> armed = new AtomicReference<>();
    private volatile boolean stalled;

    void arm(long millis, LongConsumer sleeper) {
        armed.set(new Armed(millis, sleeper));
    }

    /** Disarms; true if it had not fired yet. */
    boolean disarm() {
        return armed.getAndSet(null) != null;
    }

    /** Whether a writer is stalled right now. */
    boolean stalled() {
        return stalled;
    }

    @Override
    public void beforeWrite(WritePoint point) {
        if (!point.store().equals("meta") || !Thread.currentThread().getName().contains("writer-")) {
            return;
        }
        Armed a = armed.getAndSet(null);
        if (a != null) {
            stalled = true;
            try {
                a.sleeper().accept(a.millis());
            } finally {
                stalled = false;
            }
        }
    }
}
