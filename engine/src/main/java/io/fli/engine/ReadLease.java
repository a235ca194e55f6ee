package io.fli.engine;

/**
 * The lease holder's answer to a query process that asks for a read lease ({@link HolderView#readLease}): the state it
 * answers from ({@code view}, with the record's bytes unless the asker has that state) and, when {@code grant} is not
 * 0, a promise to send no CAS of {@code meta/state} for {@code lengthMs} — counted by the asker from the moment it
 * <em>sent</em> its request — unless it first revokes the grant and the asker acknowledges (or the time has run out by
 * the holder's clock, plus an allowance). While the promise holds the named state is the current one, so the asker's
 * queries answer from it without asking again. {@code grant} 0 is an answer without a promise (the holder could not
 * grant: its own lease ends too soon), good for the one query that asked, as {@link HolderView#current} is.
 *
 * @param view     the state named, as {@link HolderView#current(ViewStamp)} answers
 * @param grant    the grant's id at the holder (positive), or 0 for none
 * @param lengthMs how long the grant runs, in milliseconds (0 when none)
 */
public record ReadLease(ViewStamp view, long grant, long lengthMs) {
    public ReadLease {
        if (view == null) {
            throw new IllegalArgumentException("a read lease answer names a state");
        }
        if (grant < 0 || lengthMs < 0 || (grant == 0) != (lengthMs == 0)) {
            throw new IllegalArgumentException("a read lease has a positive grant id and length, or neither: grant "
                    + grant + ", " + lengthMs + " ms");
        }
    }

    /**
     * The part of a lease of {@code lengthMs} set aside for the two clocks' rates and the scheduling between a check
     * and its use: a tenth, at least 2 ms. The asker stops using a grant that much early; the holder waits that much
     * longer for an unacknowledged one.
     */
    public static long allowanceMs(long lengthMs) {
        return Math.max(2, lengthMs / 10);
    }

    /**
     * How a lease holder tells an asker that grant {@code grant} is revoked. {@code coming} is the {@code meta/state}
     * record its CAS is about to write (null when the revocation has another cause): an asker must not answer from it
     * — the CAS may not apply — but may read the blobs it names into its cache meanwhile, which the holder has written
     * already (blobs first, state last). Must not block.
     */
    @FunctionalInterface
    public interface Revoker {
        void revoke(long grant, byte[] coming);
    }
}
