package io.fli.faults;

import io.fli.engine.WriteHook;
import java.util.Map;
import java.util.Random;

/**
 * Crash points: a {@link WriteHook} for the in-memory stores (or a store wrapper on real ones) that, when armed,
 * crashes the writer at its next write or CAS boundary — before the write reaches the store or just after it took
 * effect — by throwing {@link WriteHook.SimulatedCrash} out of the writer's call. The writer's process is then gone:
 * the harness retires its client and restarts the writer from the stores.
 */
public final class CrashPoints extends ArmedWrite implements Nemesis {

    @Override
    public java.util.List<String> faults() {
        return java.util.List.of("crash");
    }

    /**
     * Arms a crash at the next write to one store (meta: the lease and state CAS; blob: packs and segments), before
     * the write reaches the store or after it took effect — the four boundaries chosen uniformly.
     */
    @Override
    public Map<String, Object> invoke(String fault, Random random) {
        String store = random.nextBoolean() ? "meta" : "blob";
        String phase = random.nextBoolean() ? "before" : "after";
        arm(store, phase);
        return Map.of("target", "writer", "at", "next " + store + " write, " + phase + " it reaches the store");
    }

    @Override
    RuntimeException fire(WritePoint point, String phase) {
        return new SimulatedCrash("crash point " + phase + " " + point);
    }

    /** A meta store whose writes pass through this hook (for real stores; the in-memory ones take the hook directly). */
    public io.fli.engine.MetaStore wrap(io.fli.engine.MetaStore d) {
        return io.fli.engine.MetaStore.hooked(d, this);
    }

    /** A blob store whose writes pass through this hook. */
    public io.fli.engine.BlobStore wrap(io.fli.engine.BlobStore d) {
        return io.fli.engine.BlobStore.hooked(d, this);
    }
}
