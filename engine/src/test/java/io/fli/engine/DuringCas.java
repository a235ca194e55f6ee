package io.fli.engine;

import java.util.concurrent.atomic.AtomicReference;

/** A meta store that runs a test's action once, right after the next CAS has applied (before its caller hears it). */
final class DuringCas {
    private final AtomicReference<Runnable> next = new AtomicReference<>();
    final MetaStore meta;

    DuringCas(MetaStore base) {
        this.meta = MetaStore.hooked(base, new WriteHook() {
            @Override
            public void afterWrite(WritePoint point) {
                Runnable r = next.getAndSet(null);
                if (r != null && point.op().equals("cas")) {
                    r.run();
                }
            }
        });
    }

    /** Runs {@code action} inside the next write of the store, if that write is a CAS. */
    void next(Runnable action) {
        next.set(action);
    }
}
