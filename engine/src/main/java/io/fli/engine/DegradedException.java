package io.fli.engine;

/**
 * The index has failed closed: it refuses queries and ingest. The message starts with {@code degraded} and carries
 * the reason (finality violation, checksum mismatch, inconsistent metadata); {@link LogIndex#health()} says the same.
 */
public class DegradedException extends FliException {
    public DegradedException(String reason, Throwable cause) {
        super("degraded: " + reason, cause);
    }
}
