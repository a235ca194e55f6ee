package io.fli.workloads;

import io.fli.engine.BlobStore;
import io.fli.engine.CasResult;
import io.fli.engine.HealthReporting;
import io.fli.engine.MetaRecord;
import io.fli.engine.MetaStore;
import java.util.List;
import java.util.Optional;
import java.util.function.LongConsumer;

/**
 * Where a paused index process stops: every call into it and every store call it makes passes the gate, and while
 * the gate is closed the caller waits (in logical time in a simulation), as every thread of a stopped process would.
 */
final class Gate {
    private final LongConsumer sleeper;
    private volatile boolean closed;

    Gate(LongConsumer sleeper) {
        this.sleeper = sleeper;
    }

    void close() {
        closed = true;
    }

    void open() {
        closed = false;
    }

    boolean isClosed() {
        return closed;
    }

    void pass() {
        while (closed) {
            sleeper.accept(10);
        }
    }

    private interface HealthyMeta extends MetaStore, HealthReporting {
    }

    private interface HealthyBlobs extends BlobStore, HealthReporting {
    }

    private static Optional<String> health(Object d) {
        return d instanceof HealthReporting h ? h.throttledReason() : Optional.empty();
    }

    /** {@code d} with every call passing this gate first. */
    MetaStore meta(MetaStore d) {
        return new HealthyMeta() {
            @Override
            public Optional<MetaRecord> get(String key) {
                pass();
                return d.get(key);
            }

            @Override
            public Optional<MetaRecord> getCommitted(String key) {
                pass();
                return d.getCommitted(key);
            }

            @Override
            public CasResult putIfAbsent(String key, long epoch, byte[] value) {
                pass();
                return d.putIfAbsent(key, epoch, value);
            }

            @Override
            public CasResult compareAndSet(String key, long v, long e, long ne, byte[] value) {
                pass();
                return d.compareAndSet(key, v, e, ne, value);
            }

            @Override
            public Optional<String> throttledReason() {
                return health(d);
            }
        };
    }

    /** {@code d} with every call passing this gate first. */
    BlobStore blobs(BlobStore d) {
        return new HealthyBlobs() {
            @Override
            public PutOutcome putIfAbsent(String key, byte[] data) {
                pass();
                return d.putIfAbsent(key, data);
            }

            @Override
            public Optional<byte[]> get(String key) {
                pass();
                return d.get(key);
            }

            @Override
            public boolean remote() {
                return d.remote();
            }

            @Override
            public Optional<byte[]> getRange(String key, long offset, int length) {
                pass();
                return d.getRange(key, offset, length);
            }

            @Override
            public void delete(String key) {
                pass();
                d.delete(key);
            }

            @Override
            public List<BlobInfo> list(String prefix) {
                pass();
                return d.list(prefix);
            }

            @Override
            public Optional<String> throttledReason() {
                return health(d);
            }
        };
    }
}
