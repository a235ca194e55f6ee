package io.fli.engine.internal;

import io.fli.engine.BlobStore;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;

/** A store passing every call to another, with each read (whole or ranged) going through {@link #read}. */
class WatchedBlobStore implements BlobStore {
    final BlobStore d;

    WatchedBlobStore(BlobStore d) {
        this.d = d;
    }

    /** A store over {@code d} that adds to {@code keys} the key of every read (whole or ranged) under {@code prefix}. */
    static WatchedBlobStore recordingReads(BlobStore d, String prefix, List<String> keys) {
        return new WatchedBlobStore(d) {
            @Override
            <T> T read(String key, Supplier<T> read) {
                if (key.startsWith(prefix)) {
                    keys.add(key);
                }
                return read.get();
            }
        };
    }

    /** Where a test watches, slows or counts the reads of {@code key}; the default just reads. */
    <T> T read(String key, Supplier<T> read) {
        return read.get();
    }

    @Override
    public PutOutcome putIfAbsent(String key, byte[] data) {
        return d.putIfAbsent(key, data);
    }

    @Override
    public Optional<byte[]> get(String key) {
        return read(key, () -> d.get(key));
    }

    @Override
    public Optional<byte[]> getRange(String key, long offset, int length) {
        return read(key, () -> d.getRange(key, offset, length));
    }

    @Override
    public void delete(String key) {
        d.delete(key);
    }

    @Override
    public List<BlobInfo> list(String prefix) {
        return d.list(prefix);
    }
}
