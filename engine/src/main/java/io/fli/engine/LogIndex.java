package io.fli.engine;

import io.fli.engine.internal.DefaultLogIndex;

/**
 * The finalized log index over a {@link MetaStore} and a {@link BlobStore}. Thread-safe: any number of threads may
 * query while writers publish.
 *
 * <p>Opening reads nothing eagerly; {@code meta/state} is read by each query and each writer, segments and packs are
 * loaded on first use and verified against their checksums.
 */
public interface LogIndex extends AutoCloseable {

    /** Opens an index over the given stores. The stores stay owned by the caller. */
    static LogIndex open(MetaStore meta, BlobStore blobs, IndexConfig config) {
        return new DefaultLogIndex(meta, blobs, config);
    }

    /** A writer with the given id (the lease holder's name; e.g. a host name). */
    Writer writer(String writerId);

    /**
     * Answers an eth_getLogs query against the finalized head read once from {@code meta/state}.
     *
     * @throws InvalidQueryException a malformed query or an exceeded limit
     * @throws DegradedException     the index has failed closed
     */
    QueryResult query(LogQuery query);

    /** The finalized head, or {@code null} before the first publish. */
    Long head();

    /** Current health. */
    Health health();

    /** Drops all cached blobs (as a restart would); the next reads go to the stores and verify checksums again. */
    void dropCaches();

    /**
     * Leaves the degraded state, an operator's decision ({@code fli admin clear-degraded}), only once its cause is
     * gone: the caches are dropped and every blob the committed state references is read and checked again
     * ({@link Admin#verify}); while anything is still damaged or missing it stays degraded and says what.
     *
     * @return the health afterwards (unchanged when the index was not degraded)
     * @throws DegradedException the cause is still present (the message names it)
     */
    default Health clearDegraded(String reason) {
        throw new UnsupportedOperationException("this index cannot leave the degraded state");
    }

    /**
     * The state this process answers its own queries from without reading {@code meta/state}, named, if it may do so
     * right now: a writer of this process holds the lease, the lease is live by this process's clock less the skew
     * allowance, and no CAS of that writer is in flight or unresolved. Another process's {@link HolderView} asks this
     * of the holder. Empty in every other case.
     */
    default java.util.Optional<ViewStamp> leaseView() {
        return java.util.Optional.empty();
    }

    /** Cache and read-path counters since the index was opened. */
    IndexStats stats();

    @Override
    default void close() {
    }
}
