package io.fli.engine;

/** The writer no longer holds the lease: another writer acquired a newer epoch. Nothing this writer attempted became visible. */
public class FencedException extends FliException {
    public FencedException(String message) {
        super(message);
    }

    public FencedException(String message, Throwable cause) {
        super(message, cause);
    }
}
