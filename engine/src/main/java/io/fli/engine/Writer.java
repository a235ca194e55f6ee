package io.fli.engine;

import java.util.List;

/**
 * The single canonical writer. Obtain one with {@link LogIndex#writer(String)}, {@link #acquire()} the lease, then
 * {@link #publish} batches of contiguous finalized blocks. A writer is not thread-safe; use one per thread.
 */
public interface Writer {

    /** This writer's id, as given to {@link LogIndex#writer(String)}. */
    String id();

    /** The epoch of the lease this writer holds (or last held); 0 before {@link #acquire()}. */
    long epoch();

    /**
     * Takes the writer lease: succeeds when no lease is live or this writer id holds it, bumping the epoch by CAS so
     * that every earlier holder — including an earlier incarnation of this writer — is fenced.
     *
     * @return the new epoch
     * @throws LeaseHeldException       another writer's lease is still live
     * @throws OutcomeUnknownException  the CAS outcome could not be resolved
     */
    long acquire();

    /** Like {@link #acquire()}, but takes the lease even from a live holder (operator takeover). */
    long takeOver();

    /** Extends the lease; throws {@link FencedException} if it was lost. */
    void renew();

    /**
     * Makes a batch of contiguous finalized blocks query-visible: writes the log pack and index segment blobs, then
     * replaces {@code meta/state} by one CAS whose condition includes this writer's epoch. Blocks already indexed with
     * the same hash are skipped, so re-publishing after a crash is idempotent.
     *
     * @throws InvalidBlockException   a malformed batch, a gap or a wrong parent hash; nothing was stored
     * @throws FencedException         the lease was lost; nothing became visible
     * @throws DegradedException       a finality violation or corruption; the index failed closed
     * @throws OutcomeUnknownException the state CAS's outcome could not be resolved; re-publishing is safe
     */
    PublishResult publish(List<Block> blocks);

    /**
     * Runs every due segment merge to completion and publishes each by a fenced CAS of {@code meta/state}. Publishing
     * folds finished background merges in by itself; call this when the writer goes idle so that queries touch as
     * few segments as possible.
     */
    void compact();

    /**
     * Deletes blobs that no live segment references and that are older than the grace period. Fenced: it proves the
     * lease by a CAS on {@code meta/state} before deleting anything.
     */
    GcReport gc();
}
