/**
 * The checker: histories in format v1 and the six invariants (see {@code history-format.md}).
 *
 * <p>The whole facade is {@link io.fli.checker.Checking}: load a history ({@link io.fli.checker.History#read}),
 * check it ({@link io.fli.checker.Checker#check}), render the result ({@link io.fli.checker.Reports}). A history is an
 * immutable list of {@link io.fli.checker.Op} records, exactly the lines of the file. Checking is a pure function
 * from a history to a {@link io.fli.checker.CheckResult}; each invariant is checked on its own, and one whose check
 * fails with an internal error is reported {@code unknown} with the error while the others are still reported.
 * Detecting an anomaly (which operations) is separate from explaining it (the sentence a person reads).
 *
 * <p>{@link io.fli.checker.HistoryWriter} records a history as it happens, one flushed line per operation, so a run
 * killed midway leaves a checkable prefix.
 */
package io.fli.checker;
