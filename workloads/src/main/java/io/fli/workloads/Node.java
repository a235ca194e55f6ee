package io.fli.workloads;

import io.fli.engine.GcReport;
import io.fli.engine.Health;
import io.fli.engine.LogQuery;
import io.fli.engine.PublishResult;
import io.fli.engine.QueryResult;
import io.fli.engine.Block;
import java.util.List;

/**
 * One index process of a run: a {@link io.fli.engine.LogIndex} with its writers, lease view and caches. Clients
 * call it; the nemesis restarts, pauses or resumes it. Calls throw the engine's exceptions, so clients judge outcomes
 * the same way whatever the node is.
 */
interface Node extends AutoCloseable {
    /** The process's name in the history, e.g. {@code p0}. */
    String name();

    /** Takes the writer lease for {@code writer} (politely, or from a live holder when {@code takeOver}). */
    long acquire(String writer, boolean takeOver);

    /** The epoch {@code writer} holds in this process, 0 when it has not acquired one since it was (re)started. */
    long epoch(String writer);

    PublishResult publish(String writer, List<Block> batch);

    GcReport gc(String writer);

    /** The writer's process state is gone (its last call had an unknown outcome): it starts over from the stores. */
    void forget(String writer);

    QueryResult query(LogQuery q);

    Long head();

    /** The highest epoch any writer of this process holds (0: none): the lease holder's process has the highest. */
    long leaseEpoch();

    Health health();

    /**
     * The state this process's lease holder answers from ({@link io.fli.engine.LogIndex#leaseView()}), for the other
     * processes' holder views; empty when it holds no valid view or cannot tell.
     */
    default java.util.Optional<io.fli.engine.ViewStamp> leaseView() {
        return java.util.Optional.empty();
    }

    /**
     * A read lease from this process's lease holder ({@link io.fli.engine.LogIndex#grantReadLease}); empty when it
     * holds no valid view or cannot tell.
     */
    default java.util.Optional<io.fli.engine.ReadLease> grantReadLease(io.fli.engine.ViewStamp have, long lengthMs,
                                                                       io.fli.engine.ReadLease.Revoker revoker) {
        return java.util.Optional.empty();
    }

    /** The asker of read lease {@code grant} acknowledged its revocation. */
    default void readLeaseAcknowledged(long grant) {
    }

    /** The process loses its memory (caches, writers, lease view) and opens again over the same stores. */
    void restart();

    /** Drops cached blobs, as a fresh reader would have none. */
    void dropCaches();

    /** Stops the whole process (every call stalls at its next step) until {@link #resume()}. */
    void pause();

    void resume();

    @Override
    void close();
}
