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

    /**
     * The lease holder's side of a read lease ({@link ReadLease}): the state {@link #leaseView()} names, and a grant
     * of {@code lengthMs} (at most {@link #MAX_READ_LEASE_MS}) when the holder's own lease outlasts it. Before its next
     * CAS of {@code meta/state} this process calls {@code revoker} with the grant's id (it must not block) and waits
     * for {@link #readLeaseAcknowledged} or for the grant's end plus the allowance on its own clock. Empty when this
     * process has no lease view.
     */
    default java.util.Optional<ReadLease> grantReadLease(ViewStamp have, long lengthMs,
                                                         io.fli.engine.ReadLease.Revoker revoker) {
        return leaseView().map(v -> new ReadLease(v.answering(have), 0, 0));
    }

    /** The asker of grant {@code grant} stopped using it after a revocation. Unknown ids are ignored. */
    default void readLeaseAcknowledged(long grant) {
    }

    /** The longest read lease a holder grants: a publish may wait this long for a paused or partitioned asker. */
    long MAX_READ_LEASE_MS = 1_000;

    /** Cache and read-path counters since the index was opened. */
    IndexStats stats();

    @Override
    default void close() {
    }
}
