package io.fli.engine;

import java.util.Optional;

/**
 * How a query process without the writer lease learns, without reading {@code meta/state}, which state is current:
 * it asks the lease holder's process ({@link LogIndex#leaseView()}, {@code GET /lease-view} of {@code fli serve}).
 * When the answer names the state this process already has, the query answers from it; when it names another and
 * carries that record's bytes ({@link ViewStamp#state()}), the query answers from those, decoded and checked as a
 * read of the store would be; in every other case (no answer, an error, a timeout, another state without its bytes,
 * bytes that do not decode) it reads {@code meta/state} as before.
 *
 * <p>Why this keeps {@code snapshot-consistent}: the holder answers only while it could answer its own queries from
 * the state it wrote last — its lease live by its clock less the skew allowance, and no CAS of its sent since —
 * so at the moment it answers no other state can be visible to anyone (a new holder waits out the lease before it
 * publishes, and the holder's own next state is not sent yet). The request is sent after the query started and the
 * answer arrives before it ends, so that moment lies inside the query: the query is linearized there. Delays on the
 * way back cost latency only. The bytes an answer carries are those the holder's applied CAS wrote — the record a read
 * of {@code meta/state} at that moment would have returned — so answering from them is answering from that read. See {@code docs/design.md}, "Any query process within the SLO".
 */
@FunctionalInterface
public interface HolderView {
    /**
     * The lease holder's current state, asked at a query's start, or empty when it cannot tell (no holder known, it
     * answered that it has no view, or it did not answer in time). Implementations bound their own wait; an exception
     * counts as empty.
     */
    Optional<ViewStamp> current();

    /**
     * As {@link #current()}, telling the holder the state the asking process has ({@code have}, null when none), so
     * that it can leave the record's bytes ({@link ViewStamp#state()}) out of an answer naming that same state and
     * send them with any other. Implementations that cannot pass it on ask {@link #current()}.
     */
    default Optional<ViewStamp> current(ViewStamp have) {
        return current();
    }

    /**
     * Whether this view asks for read leases ({@link #readLease}); false (the default) means the index asks
     * {@link #current(ViewStamp)} per query.
     */
    default boolean leases() {
        return false;
    }

    /**
     * As {@link #current(ViewStamp)}, asking the holder for a read lease too ({@link ReadLease}). The caller counts the
     * lease from before this call. When the holder revokes the grant, the implementation first runs {@code onRevoke}
     * with the state the holder's CAS is about to write, or null ({@link ReadLease.Revoker}) — after which the asker
     * no longer uses the lease — and only then acknowledges to the holder; a revocation it cannot receive is left
     * unacknowledged, and the holder waits the lease out. Empty when the holder cannot tell (as {@link #current});
     * implementations bound their own wait.
     */
    default Optional<ReadLease> readLease(ViewStamp have, java.util.function.Consumer<byte[]> onRevoke) {
        return current(have).map(v -> new ReadLease(v, 0, 0));
    }

    /**
     * As {@link #readLease}, asked off the query path right after a revocation: the holder is about to send its CAS
     * and grants nothing until it is through, so an implementation may let it hold the request until then (a few
     * hundred ms at most) instead of answering "no view" at once. The caller still counts the lease from before the
     * call, so a long wait shortens the lease; it never lengthens it.
     */
    default Optional<ReadLease> renewLease(ViewStamp have, java.util.function.Consumer<byte[]> onRevoke) {
        return readLease(have, onRevoke);
    }
}
