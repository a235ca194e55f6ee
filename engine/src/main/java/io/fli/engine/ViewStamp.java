package io.fli.engine;

import java.util.Arrays;
import java.util.HexFormat;

/**
 * Names one {@code meta/state} record: the epoch of the writer that wrote it and its version. Every write of the
 * state is a conditional write that moves the version on by one, so a version names at most one applied record, and
 * the epoch guards against a state rewritten by an operator.
 *
 * @param epoch   the epoch of the writer that wrote the record
 * @param version the record's version
 * @param state   the record's bytes as the holder wrote them, or null: a process that does not have the state named
 *                answers from these (decoded and checked as a read of {@code meta/state} is) instead of reading the
 *                store. A holder leaves them out when the asker already has the state it names
 */
public record ViewStamp(long epoch, long version, byte[] state) {
    /** A stamp without the record's bytes. */
    public ViewStamp(long epoch, long version) {
        this(epoch, version, null);
    }

    /** Whether this names the same record as {@code other} (epoch and version; the bytes are not compared). */
    public boolean sameRecord(ViewStamp other) {
        return other != null && other.epoch == epoch && other.version == version;
    }

    /** This stamp without the record's bytes. */
    public ViewStamp withoutState() {
        return state == null ? this : new ViewStamp(epoch, version);
    }

    /**
     * The answer a holder gives a process that has {@code have} (null when none): this stamp without the record's
     * bytes when it names that same record, with them otherwise. Every endpoint that answers the question uses this.
     */
    public ViewStamp answering(ViewStamp have) {
        return sameRecord(have) ? withoutState() : this;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ViewStamp v && v.epoch == epoch && v.version == version && Arrays.equals(v.state, state);
    }

    @Override
    public int hashCode() {
        return Long.hashCode(epoch) * 31 + Long.hashCode(version);
    }

    @Override
    public String toString() {
        return "ViewStamp[epoch=" + epoch + ", version=" + version + (state == null ? "" : ", state="
                + state.length + " bytes " + HexFormat.of().formatHex(state, 0, Math.min(8, state.length))) + "]";
    }
}
