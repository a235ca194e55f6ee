package io.fli.engine;

/**
 * Intercepts every write an in-memory store performs, so that a test can crash the caller at a chosen write
 * boundary or lose the reply of a write.
 *
 * <p>{@link #beforeWrite} throwing {@link SimulatedCrash} aborts the write (nothing is stored) and crashes the caller.
 * {@link #afterWrite} throwing {@link SimulatedCrash} leaves the write applied but crashes the caller before it
 * hears. Throwing {@link LostReply} instead makes a conditional write answer {@link CasResult.Unknown} (applied or not,
 * depending on which side threw) — the caller lives on and must resolve the outcome.
 */
public interface WriteHook {
    /** A hook that does nothing. */
    WriteHook NONE = new WriteHook() {
    };

    /** Called before the write reaches the store. */
    default void beforeWrite(WritePoint point) {
    }

    /** Called after the write took effect. */
    default void afterWrite(WritePoint point) {
    }

    /**
     * One write as seen by a hook.
     *
     * @param store {@code meta} or {@code blob}
     * @param op    {@code putIfAbsent}, {@code cas} or {@code delete}
     * @param key   the key written
     */
    record WritePoint(String store, String op, String key) {
        @Override
        public String toString() {
            return store + ":" + op + ":" + key;
        }
    }

    /** Thrown by a hook to simulate the crash of the process performing the write. */
    final class SimulatedCrash extends RuntimeException {
        public SimulatedCrash(String message) {
            super(message, null, false, false);
        }
    }

    /** Thrown by a hook to simulate a reply lost in transit: the outcome becomes unknown to the caller. */
    final class LostReply extends RuntimeException {
        public LostReply(String message) {
            super(message, null, false, false);
        }
    }
}
