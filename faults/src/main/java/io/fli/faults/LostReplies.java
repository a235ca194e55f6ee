package io.fli.faults;

import io.fli.engine.BlobStore;
import io.fli.engine.MetaStore;
import io.fli.engine.WriteHook;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Lost replies: when armed, the reply of the next meta compare-and-set or blob put is lost in transit, before or after
 * the write applied. The caller lives on and sees an unknown outcome — {@link io.fli.engine.CasResult.Unknown} from
 * the meta store, a {@link io.fli.engine.BackendException} from the blob store (as an S3 client times out) — which it
 * must settle: re-read the state, or put again and compare what is stored. Works on any store, through
 * {@link MetaStore#hooked} and {@link BlobStore#hooked} (the in-memory stores take the hook directly too).
 */
public final class LostReplies extends ArmedWrite implements Nemesis {

    @Override
    public List<String> faults() {
        return List.of("lost-reply");
    }

    @Override
    public Map<String, Object> invoke(String fault, Random random) {
        String store = random.nextBoolean() ? "meta" : "blob";
        String phase = random.nextBoolean() ? "before" : "after";
        arm(store, phase);
        return Map.of("target", store, "at", "reply of the next " + store + (store.equals("meta") ? " CAS" : " put")
                + " lost, " + (phase.equals("before") ? "before" : "after") + " the write applied");
    }

    @Override
    boolean applies(WritePoint point) {
        return !point.op().equals("delete");
    }

    @Override
    RuntimeException fire(WritePoint point, String phase) {
        return new LostReply("reply of " + point + " lost " + phase + " the write");
    }
}
