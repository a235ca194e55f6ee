package io.fli.faults;

import io.fli.engine.BlobStore;
import io.fli.engine.MetaStore;
import io.fli.engine.WriteHook;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Lost replies: when armed, the reply of the next meta compare-and-set or blob put is lost in transit, before or after
 * the write applied. The caller lives on and sees an unknown outcome — {@link io.fli.engine.CasResult.Unknown} from
 * the meta store, a {@link io.fli.engine.BackendException} from the blob store (as an S3 client times out) — which it
 * must settle: re-read the state, or put again and compare what is stored. Works on any store, through
 * {@link MetaStore#hooked} and {@link BlobStore#hooked} (the in-memory stores take the hook directly too).
 */
public final class LostReplies implements WriteHook, Nemesis {
    private final AtomicReference<String> armed = new AtomicReference<>();
    private final AtomicReference<String> fired = new AtomicReference<>();

    @Override
    public List<String> faults() {
        return List.of("lost-reply");
    }

    @Override
    public Map<String, Object> invoke(String fault, Random random) {
        String store = random.nextBoolean() ? "meta" : "blob";
        String phase = random.nextBoolean() ? "before" : "after";
        armed.set(store + " " + phase);
        return Map.of("target", store, "at", "reply of the next " + store + (store.equals("meta") ? " CAS" : " put")
                + " lost, " + (phase.equals("before") ? "before" : "after") + " the write applied");
    }

    /** Arms a lost reply at the next write to {@code store} ({@code meta} or {@code blob}), {@code before} or {@code after} it applied. */
    public void arm(String store, String phase) {
        armed.set(store + " " + phase);
    }

    private void maybeLose(WritePoint point, String phase) {
        if (point.op().equals("delete")) {
            return;
        }
        String a = armed.get();
        if (a != null && a.equals(point.store() + " " + phase) && armed.compareAndSet(a, null)) {
            fired.set(phase + " " + point);
            throw new LostReply("reply of " + point + " lost " + phase + " the write");
        }
    }

    @Override
    public void beforeWrite(WritePoint point) {
        maybeLose(point, "before");
    }

    @Override
    public void afterWrite(WritePoint point) {
        maybeLose(point, "after");
    }

    /** Where the last armed loss happened, if it did. */
    public String lastFired() {
        return fired.get();
    }

    @Override
    public void teardown() {
        armed.set(null);
    }
}
