package io.fli.engine;

/** A write's outcome could not be determined even after re-reading; the operation may or may not have taken effect. */
public class OutcomeUnknownException extends FliException {
    public OutcomeUnknownException(String message) {
        super(message);
    }

    public OutcomeUnknownException(String message, Throwable cause) {
        super(message, cause);
    }
}
