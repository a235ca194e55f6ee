package io.fli.engine;

import java.util.Optional;

/**
 * The outcome of a conditional write. There are exactly three, and a caller must handle each:
 * <ul>
 *   <li>{@link Applied} — the condition held and the write took effect.</li>
 *   <li>{@link NotApplied} — the condition did not hold; nothing was written; {@code current} is the record that
 *       made it fail (empty if the record does not exist).</li>
 *   <li>{@link Unknown} — the store could not tell (a timeout, a lost reply, a Paxos round whose outcome is not
 *       known). The write <i>may or may not</i> have taken effect, possibly later. The caller must re-read the
 *       record with a linearizable read before deciding anything; it must never assume either outcome.</li>
 * </ul>
 */
public sealed interface CasResult {
    /** The write took effect; {@code record} is what is now stored. */
    record Applied(MetaRecord record) implements CasResult {
    }

    /** The condition failed; {@code current} is the stored record (empty when absent). */
    record NotApplied(Optional<MetaRecord> current) implements CasResult {
    }

    /** The outcome is not known; {@code cause} says why. */
    record Unknown(Throwable cause) implements CasResult {
    }
}
