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
            public Optional<MetaRecord> getCommitted(String key) {
                return d.getCommitted(key);
            }

            @Override
            public CasResult putIfAbsent(String key, long epoch, byte[] value) {
                return conditional(hook, new WriteHook.WritePoint("meta", "putIfAbsent", key),
                        () -> d.putIfAbsent(key, epoch, value));
            }

            @Override
            public CasResult compareAndSet(String key, long v, long e, long ne, byte[] value) {
                return conditional(hook, new WriteHook.WritePoint("meta", "cas", key),
                        () -> d.compareAndSet(key, v, e, ne, value));
            }

            @Override
            public Optional<String> throttledReason() {
                return health(d);
            }
        };
    }

    /** A conditional write through the hook: a lost reply, before or after the write, is an unknown outcome. */
    private static CasResult conditional(WriteHook hook, WriteHook.WritePoint p,
                                         java.util.function.Supplier<CasResult> write) {
        try {
            hook.beforeWrite(p);
        } catch (WriteHook.LostReply e) {
            return new CasResult.Unknown(e);
        }
        CasResult r = write.get();
        try {
            hook.afterWrite(p);
        } catch (WriteHook.LostReply e) {
            return new CasResult.Unknown(e);
        }
        return r;
    }

    public static BlobStore blobs(BlobStore d, WriteHook hook) {
        return new HealthyBlobs() {
            @Override
            public PutOutcome putIfAbsent(String key, byte[] data) {
                WriteHook.WritePoint p = new WriteHook.WritePoint("blob", "putIfAbsent", key);
                try {
                    hook.beforeWrite(p);
                    PutOutcome o = d.putIfAbsent(key, data);
                    hook.afterWrite(p);
                    return o;
                } catch (WriteHook.LostReply e) {
                    throw new io.fli.engine.BackendException("blob put of " + key + ": reply lost (" + e.getMessage()
                            + ")", e);
                }
            }

            @Override
            public Optional<byte[]> get(String key) {
                return d.get(key);
            }

            @Override
            public boolean remote() {
                return d.remote();
            }

            @Override
            public Optional<byte[]> getRange(String key, long offset, int length) {
                return d.getRange(key, offset, length);
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
