package io.fli.engine;

import java.util.Optional;

/**
 * How a query process without the writer lease learns, without reading {@code meta/state}, which state is current:
 * it asks the lease holder's process ({@link LogIndex#leaseView()}, {@code GET /lease-view} of {@code fli serve}).
 * When the answer names the state this process already has, the query answers from it; in every other case (no
 * answer, an error, a timeout, another state) it reads {@code meta/state} as before.
 *
 * <p>Why this keeps {@code snapshot-consistent}: the holder answers only while it could answer its own queries from
 * the state it wrote last — its lease live by its clock less the skew allowance, and no CAS of its sent since —
 * so at the moment it answers no other state can be visible to anyone (a new holder waits out the lease before it
 * publishes, and the holder's own next state is not sent yet). The request is sent after the query started and the
 * answer arrives before it ends, so that moment lies inside the query: the query is linearized there. Delays on the
 * way back cost latency only. See {@code docs/design.md}, "Any query process within the SLO".
 */
@FunctionalInterface
public interface HolderView {
    /**
     * The lease holder's current state, asked at a query's start, or empty when it cannot tell (no holder known, it
     * answered that it has no view, or it did not answer in time). Implementations bound their own wait; an exception
     * counts as empty.
     */
    Optional<ViewStamp> current();
}
