package io.fli.faults;

import io.fli.engine.WriteHook;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A fault armed for the next write to one store, before or after the write applies, and fired once: what crash
 * points and lost replies have in common.
 */
abstract class ArmedWrite implements WriteHook {
    private final AtomicReference<String> armed = new AtomicReference<>();
    private final AtomicReference<String> fired = new AtomicReference<>();

    /** Arms the fault at the next write to {@code store} ({@code meta} or {@code blob}), {@code before} or {@code after} it. */
    public void arm(String store, String phase) {
        armed.set(store + " " + phase);
    }

    /** Whether a write of this kind is one the fault may hit. */
    boolean applies(WritePoint point) {
        return true;
    }

    /** Throws what the fault does to the writer. */
    abstract RuntimeException fire(WritePoint point, String phase);

    private void maybeFire(WritePoint point, String phase) {
        String a = armed.get();
        // compareAndSet compares references: pass the very instance read, after comparing its content.
        if (a != null && applies(point) && a.equals(point.store() + " " + phase) && armed.compareAndSet(a, null)) {
            fired.set(phase + " " + point);
            throw fire(point, phase);
        }
    }

    @Override
    public void beforeWrite(WritePoint point) {
        maybeFire(point, "before");
    }

    @Override
    public void afterWrite(WritePoint point) {
        maybeFire(point, "after");
    }

    /** Where the fault last fired, if it did. */
    public String lastFired() {
        return fired.get();
    }

    /** Disarms. */
    public void teardown() {
        armed.set(null);
    }
}
