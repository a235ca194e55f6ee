package io.fli.engine;

/** The base of every error the index reports. Messages name what is wrong and where. */
public abstract class FliException extends RuntimeException {
    protected FliException(String message) {
        super(message);
    }

    protected FliException(String message, Throwable cause) {
        super(message, cause);
    }
}
