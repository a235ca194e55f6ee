package io.fli.engine;

/**
 * Names one {@code meta/state} record: the epoch of the writer that wrote it and its version. Every write of the
 * state is a conditional write that moves the version on by one, so a version names at most one applied record, and
 * the epoch guards against a state rewritten by an operator.
 */
public record ViewStamp(long epoch, long version) {
}
