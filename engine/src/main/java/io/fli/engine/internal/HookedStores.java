package io.fli.engine.internal;

import io.fli.engine.BlobStore;
import io.fli.engine.CasResult;
import io.fli.engine.HealthReporting;
import io.fli.engine.MetaRecord;
import io.fli.engine.MetaStore;
import io.fli.engine.WriteHook;
import java.util.List;
import java.util.Optional;

/** Any store with its writes passed through a {@link WriteHook}: crash points and fault triggers on real stores. */
public final class HookedStores {
    private HookedStores() {
    }

    private interface HealthyMeta extends MetaStore, HealthReporting {
    }

    private interface HealthyBlobs extends BlobStore, HealthReporting {
    }

    private static Optional<String> health(Object d) {
        return d instanceof HealthReporting h ? h.throttledReason() : Optional.empty();
    }

    public static MetaStore meta(MetaStore d, WriteHook hook) {
        return new HealthyMeta() {
            @Override
            public Optional<MetaRecord> get(String key) {
                return d.get(key);
            }

            @Override
            public CasResult putIfAbsent(String key, long epoch, byte[] value) {
                WriteHook.WritePoint p = new WriteHook.WritePoint("meta", "putIfAbsent", key);
                hook.beforeWrite(p);
                CasResult r = d.putIfAbsent(key, epoch, value);
                hook.afterWrite(p);
                return r;
            }

            @Override
            public CasResult compareAndSet(String key, long v, long e, long ne, byte[] value) {
                WriteHook.WritePoint p = new WriteHook.WritePoint("meta", "cas", key);
                hook.beforeWrite(p);
                CasResult r = d.compareAndSet(key, v, e, ne, value);
                hook.afterWrite(p);
                return r;
            }

            @Override
            public Optional<String> throttledReason() {
                return health(d);
            }
        };
    }

    public static BlobStore blobs(BlobStore d, WriteHook hook) {
        return new HealthyBlobs() {
            @Override
            public PutOutcome putIfAbsent(String key, byte[] data) {
                WriteHook.WritePoint p = new WriteHook.WritePoint("blob", "putIfAbsent", key);
                hook.beforeWrite(p);
                PutOutcome o = d.putIfAbsent(key, data);
                hook.afterWrite(p);
                return o;
            }

            @Override
            public Optional<byte[]> get(String key) {
                return d.get(key);
            }

            @Override
            public void delete(String key) {
                WriteHook.WritePoint p = new WriteHook.WritePoint("blob", "delete", key);
                hook.beforeWrite(p);
                d.delete(key);
                hook.afterWrite(p);
            }

            @Override
            public List<BlobInfo> list(String prefix) {
                return d.list(prefix);
            }

            @Override
            public Optional<String> throttledReason() {
                return health(d);
            }
        };
    }
}
