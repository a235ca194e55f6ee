package io.fli.checker;

/** The six invariants, by the names the result uses. */
public enum Invariant {
    SINGLE_WRITER("single-writer"),
    VISIBILITY_BARRIER("visibility-barrier"),
    NO_DUPLICATE_OR_MISSING("no-duplicate-or-missing"),
    RESTART_IDEMPOTENT("restart-idempotent"),
    SNAPSHOT_CONSISTENT("snapshot-consistent"),
    FAIL_CLOSED("fail-closed");

    private final String wire;

    Invariant(String wire) {
        this.wire = wire;
    }

    /** The name in results, e.g. {@code snapshot-consistent}. */
    public String wire() {
        return wire;
    }

    public static Invariant ofWire(String name) {
        for (Invariant i : values()) {
            if (i.wire.equals(name)) {
                return i;
            }
        }
        throw new IllegalArgumentException("no invariant named " + name);
    }
}
