package io.fli.zoo;

import io.fli.engine.CasResult;
import io.fli.engine.MetaRecord;
import io.fli.engine.MetaStore;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/** Deliberately broken stores for the bug zoo. */
public final class BrokenStores {
    private BrokenStores() {
    }

    /**
     * A meta store whose "compare-and-set" is a read, a check and a blind write: races lose updates.
     *
     * @param window runs between the check and the write (a yield point in a simulation)
     */
    public static MetaStore readThenWrite(Runnable window) {
        Map<String, MetaRecord> records = new ConcurrentHashMap<>();
        return new MetaStore() {
            @Override
            public Optional<MetaRecord> get(String key) {
                return Optional.ofNullable(records.get(key));
            }

            @Override
            public CasResult putIfAbsent(String key, long epoch, byte[] value) {
                MetaRecord cur = records.get(key);
                if (cur != null) {
                    return new CasResult.NotApplied(Optional.of(cur));
                }
                window.run();
                MetaRecord rec = new MetaRecord(key, 1, epoch, value.clone());
                records.put(key, rec);
                return new CasResult.Applied(rec);
            }

            @Override
            public CasResult compareAndSet(String key, long v, long e, long ne, byte[] value) {
                MetaRecord cur = records.get(key);
                if (cur == null || cur.version() != v || cur.epoch() != e) {
                    return new CasResult.NotApplied(Optional.ofNullable(cur));
                }
                window.run(); // the window between the check and the write
                MetaRecord rec = new MetaRecord(key, v + 1, ne, value.clone());
                records.put(key, rec);
                return new CasResult.Applied(rec);
            }
        };
    }
}
