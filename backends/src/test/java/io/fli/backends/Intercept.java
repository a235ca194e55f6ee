package io.fli.backends;

import io.fli.engine.BlobStore;
import io.fli.engine.MetaStore;
import io.fli.engine.WriteHook;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Predicate;

/** Store wrappers that run a fault action (kill, pause a server) at a chosen write, once. */
final class Intercept {
    private Intercept() {
    }

    /** When to run the action relative to the matching write. */
    enum When { BEFORE, AFTER }

    /** Runs its armed action once, at the next write whose key matches, before or after it. */
    static final class Trigger implements WriteHook {
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

        private void fire(String k, When w) {
            if (w == when && key.test(k)) {
                Runnable a = action.getAndSet(null);
                if (a != null) {
                    a.run();
                }
            }
        }

        @Override
        public void beforeWrite(WritePoint point) {
            fire(point.key(), When.BEFORE);
        }

        @Override
        public void afterWrite(WritePoint point) {
            fire(point.key(), When.AFTER);
        }

        boolean fired() {
            return action.get() == null;
        }
    }

    static BlobStore blobs(BlobStore d, Trigger t) {
        return BlobStore.hooked(d, t);
    }

    static MetaStore meta(MetaStore d, Trigger t) {
        return MetaStore.hooked(d, t);
    }
}
