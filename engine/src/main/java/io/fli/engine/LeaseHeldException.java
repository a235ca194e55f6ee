package io.fli.engine;

/** The lease is held by another writer whose lease has not expired. */
public class LeaseHeldException extends FliException {
    public LeaseHeldException(String message) {
        super(message);
    }

    public LeaseHeldException(String message, Throwable cause) {
        super(message, cause);
    }
}
