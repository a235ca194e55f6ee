package io.fli.engine;

/** Stored data failed its checksum or could not be decoded. The index fails closed when it sees one. */
public class CorruptionException extends FliException {
    public CorruptionException(String message) {
        super(message);
    }

    public CorruptionException(String message, Throwable cause) {
        super(message, cause);
    }
}
