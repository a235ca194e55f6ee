package io.fli.engine;

/** A backend store could not be reached or failed; nothing was written by the failing call. */
public class BackendException extends FliException {
    public BackendException(String message) {
        super(message);
    }

    public BackendException(String message, Throwable cause) {
        super(message, cause);
    }
}
