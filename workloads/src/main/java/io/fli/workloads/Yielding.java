package io.fli.workloads;

import io.fli.engine.BlobStore;
import io.fli.engine.CasResult;
import io.fli.engine.MetaRecord;
import io.fli.engine.MetaStore;
import java.util.List;
import java.util.Optional;

/**
 * Store wrappers for a {@link Sim}: every meta call and every blob write is a yield point before and after, so
 * clients interleave between the steps of a publish or a query the way they would on real servers — but in an order
 * fixed by the seed. Blob reads do not yield: whether a read reaches the store depends on the engine's cache, and
 * the schedule must not.
 */
final class Yielding {
    private Yielding() {
    }

    /** A yield point before and after {@code call}. */
    private static <T> T around(Sim sim, java.util.function.Supplier<T> call) {
        sim.yieldNow();
        try {
            return call.get();
        } finally {
            sim.yieldNow();
        }
    }

    static MetaStore meta(MetaStore d, Sim sim) {
        return new MetaStore() {
            @Override
            public Optional<MetaRecord> get(String key) {
                return around(sim, () -> d.get(key));
            }

            @Override
            public Optional<MetaRecord> getCommitted(String key) {
                return around(sim, () -> d.getCommitted(key));
            }

            @Override
            public CasResult putIfAbsent(String key, long epoch, byte[] value) {
                return around(sim, () -> d.putIfAbsent(key, epoch, value));
            }

            @Override
            public CasResult compareAndSet(String key, long expectedVersion, long expectedEpoch, long newEpoch,
                                           byte[] value) {
                return around(sim, () -> d.compareAndSet(key, expectedVersion, expectedEpoch, newEpoch, value));
            }
        };
    }

    static BlobStore blobs(BlobStore d, Sim sim) {
        return new BlobStore() {
            @Override
            public PutOutcome putIfAbsent(String key, byte[] data) {
                return around(sim, () -> d.putIfAbsent(key, data));
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
                around(sim, () -> {
                    d.delete(key);
                    return null;
                });
            }

            @Override
            public List<BlobInfo> list(String prefix) {
                return d.list(prefix);
            }
        };
    }
}
