package io.fli.engine.internal;

import io.fli.engine.CasResult;
import io.fli.engine.MetaRecord;
import io.fli.engine.MetaStore;
import io.fli.engine.WriteHook;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/** A linearizable in-memory {@link MetaStore}: each conditional write is atomic under the store's lock. */
public final class InMemoryMetaStore implements MetaStore {
    private final ConcurrentHashMap<String, MetaRecord> records = new ConcurrentHashMap<>();
    private final WriteHook hook;

    public InMemoryMetaStore(WriteHook hook) {
        this.hook = hook;
    }

    @Override
    public Optional<MetaRecord> get(String key) {
        return Optional.ofNullable(records.get(key));
    }

    @Override
    public CasResult putIfAbsent(String key, long epoch, byte[] value) {
        return conditional(new WriteHook.WritePoint("meta", "putIfAbsent", key), () -> {
            synchronized (this) {
                MetaRecord cur = records.get(key);
                if (cur != null) {
                    return new CasResult.NotApplied(Optional.of(cur));
                }
                MetaRecord rec = new MetaRecord(key, 1, epoch, value.clone());
                records.put(key, rec);
                return new CasResult.Applied(rec);
            }
        });
    }

    @Override
    public CasResult compareAndSet(String key, long expectedVersion, long expectedEpoch, long newEpoch, byte[] value) {
        return conditional(new WriteHook.WritePoint("meta", "cas", key), () -> {
            synchronized (this) {
                MetaRecord cur = records.get(key);
                if (cur == null || cur.version() != expectedVersion || cur.epoch() != expectedEpoch) {
                    return new CasResult.NotApplied(Optional.ofNullable(cur));
                }
                MetaRecord rec = new MetaRecord(key, expectedVersion + 1, newEpoch, value.clone());
                records.put(key, rec);
                return new CasResult.Applied(rec);
            }
        });
    }

    private CasResult conditional(WriteHook.WritePoint point, Supplier<CasResult> write) {
        try {
            hook.beforeWrite(point);
        } catch (WriteHook.LostReply e) {
            return new CasResult.Unknown(e);
        }
        CasResult r = write.get();
        if (r instanceof CasResult.Applied) {
            try {
                hook.afterWrite(point);
            } catch (WriteHook.LostReply e) {
                return new CasResult.Unknown(e);
            }
        }
        return r;
    }

    /** Test support: overwrite a record's bytes in place, as disk corruption would. */
    public void corrupt(String key, byte[] value) {
        records.computeIfPresent(key, (k, r) -> new MetaRecord(k, r.version(), r.epoch(), value));
    }
}
