package io.fli.engine;

/** A query was rejected: malformed, or beyond a configured limit (OR terms, block range, result count). The message names the limit and the value. */
public class InvalidQueryException extends FliException {
    public InvalidQueryException(String message) {
        super(message);
    }

    public InvalidQueryException(String message, Throwable cause) {
        super(message, cause);
    }
}
