package io.fli.engine;

/**
 * The index's health as an operator sees it.
 *
 * @param status     {@link Status#OK}, {@link Status#THROTTLED} (a backend is failing; writes are held back) or
 *                   {@link Status#DEGRADED} (failed closed; nothing is served until an operator intervenes)
 * @param reason     why, or {@code ""} when OK
 * @param sinceMillis when the status was entered, milliseconds since the epoch
 */
public record Health(Status status, String reason, long sinceMillis) {
    /** The three states. */
    public enum Status { OK, THROTTLED, DEGRADED }

    public static Health ok(long now) {
        return new Health(Status.OK, "", now);
    }
}
