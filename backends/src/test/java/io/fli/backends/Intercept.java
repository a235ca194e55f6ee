package io.fli.backends;

import io.fli.engine.BlobStore;
import io.fli.engine.CasResult;
import io.fli.engine.MetaRecord;
import io.fli.engine.MetaStore;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Predicate;

/** Store wrappers that run a fault action (kill, pause a server) at a chosen write, once. */
final class Intercept {
    private Intercept() {
    }

    /** When to run the action relative to the matching write. */
    enum When { BEFORE, AFTER }

    static final class Trigger {
        final Predicate<String> key;
        final When when;
        final AtomicReference<Runnable> action;

        Trigger(Predicate<String> key, When when) {
            this.key = key;
            this.when = when;
            this.action = new AtomicReference<>();
        }

        /** Runs {@code a} at the next matching write. */
        void arm(Runnable a) {
            action.set(a);
        }

        void fire(String k, When w) {
            if (w == when && key.test(k)) {
                Runnable a = action.getAndSet(null);
                if (a != null) {
                    a.run();
                }
            }
        }

        boolean fired() {
            return action.get() == null;
        }
    }

    private interface HealthyBlobs extends BlobStore, io.fli.engine.HealthReporting {
    }

    private interface HealthyMeta extends MetaStore, io.fli.engine.HealthReporting {
    }

    static BlobStore blobs(BlobStore d, Trigger t) {
        return new HealthyBlobs() {
            @Override
            public Optional<String> throttledReason() {
                return d instanceof io.fli.engine.HealthReporting h ? h.throttledReason() : Optional.empty();
            }

            @Override
            public PutOutcome putIfAbsent(String key, byte[] data) {
                t.fire(key, When.BEFORE);
                PutOutcome o = d.putIfAbsent(key, data);
                t.fire(key, When.AFTER);
                return o;
            }

            @Override
            public Optional<byte[]> get(String key) {
                return d.get(key);
            }

            @Override
            public void delete(String key) {
                d.delete(key);
            }

            @Override
            public List<BlobInfo> list(String prefix) {
                return d.list(prefix);
            }
        };
    }

    static MetaStore meta(MetaStore d, Trigger t) {
        return new HealthyMeta() {
            @Override
            public Optional<String> throttledReason() {
                return d instanceof io.fli.engine.HealthReporting h ? h.throttledReason() : Optional.empty();
            }

            @Override
            public Optional<MetaRecord> get(String key) {
                return d.get(key);
            }

            @Override
            public CasResult putIfAbsent(String key, long epoch, byte[] value) {
                t.fire(key, When.BEFORE);
                CasResult r = d.putIfAbsent(key, epoch, value);
                t.fire(key, When.AFTER);
                return r;
            }

            @Override
            public CasResult compareAndSet(String key, long v, long e, long ne, byte[] value) {
                t.fire(key, When.BEFORE);
                CasResult r = d.compareAndSet(key, v, e, ne, value);
                t.fire(key, When.AFTER);
                return r;
            }
        };
    }
}
