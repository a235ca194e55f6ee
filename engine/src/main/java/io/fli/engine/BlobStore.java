package io.fli.engine;

import io.fli.engine.internal.InMemoryBlobStore;
import java.time.Clock;
import java.util.List;
import java.util.Optional;

/**
 * Immutable blob storage (S3 / MinIO in production). Blobs are never overwritten: every put is create-only, and
 * keys are unique per writer epoch and content, so a losing writer can never replace what a winner published.
 *
 * <h2>Retry contract</h2>
 * All operations are idempotent. A put whose reply was lost may be retried: it then answers
 * {@link PutOutcome#ALREADY_EXISTS} and the caller compares the stored bytes with its own. Failures throw
 * {@link BackendException}.
 */
public interface BlobStore extends AutoCloseable {

    /** The outcome of a create-only put. */
    enum PutOutcome { CREATED, ALREADY_EXISTS }

    /**
     * One listed blob.
     *
     * @param key           its key
     * @param size          its length in bytes
     * @param createdMillis when it was created, milliseconds since the epoch (the store's clock)
     */
    record BlobInfo(String key, long size, long createdMillis) {
    }

    /** Stores {@code data} under {@code key} unless the key exists (S3 {@code If-None-Match: *}). */
    PutOutcome putIfAbsent(String key, byte[] data);

    /** The blob's bytes; empty when there is no such key. */
    Optional<byte[]> get(String key);

    /**
     * Bytes {@code [offset, offset + length)} of the blob — fewer when it ends sooner, none when it ends before
     * {@code offset}; empty when there is no such key. An S3 ranged GET. The default reads the whole blob.
     */
    default Optional<byte[]> getRange(String key, long offset, int length) {
        return get(key).map(b -> java.util.Arrays.copyOfRange(b, (int) Math.min(offset, b.length),
                (int) Math.min(b.length, offset + length)));
    }

    /**
     * Whether a read waits on a network round trip (an S3 store), so that a query should fetch the pages it needs
     * in parallel rather than one after another. The in-memory store says no; wrappers ask what they wrap.
     */
    default boolean remote() {
        return true;
    }

    /** Deletes {@code key}; deleting a missing key is not an error. */
    void delete(String key);

    /** Every blob whose key starts with {@code prefix}, in key order. */
    List<BlobInfo> list(String prefix);

    @Override
    default void close() {
    }

    /** A fresh, empty in-memory store using the system clock. */
    static BlobStore inMemory() {
        return new InMemoryBlobStore(WriteHook.NONE, Clock.systemUTC());
    }

    /** {@code store} with every put and delete passed through {@code hook} (crash points on any store). */
    static BlobStore hooked(BlobStore store, WriteHook hook) {
        return io.fli.engine.internal.HookedStores.blobs(store, hook);
    }

    /** A fresh in-memory store whose writes pass through {@code hook} and whose timestamps come from {@code clock}. */
    static BlobStore inMemory(WriteHook hook, Clock clock) {
        return new InMemoryBlobStore(hook, clock);
    }
}
