package io.fli.checker;

/** A verdict with three values; merging keeps the worst (invalid over unknown over valid). */
public enum Validity {
    VALID, UNKNOWN, INVALID;

    public Validity merge(Validity other) {
        return compareTo(other) >= 0 ? this : other;
    }
}
