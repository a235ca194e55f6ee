package io.fli.engine;

import java.util.Optional;

/**
 * Implemented by stores that can tell the index they are failing (an open circuit breaker, exhausted retries):
 * {@link LogIndex#health()} then reports {@link Health.Status#THROTTLED} with the reason, and back to OK when the
 * store recovers.
 */
public interface HealthReporting {
    /** Why the store is holding calls back right now, or empty when it is healthy. */
    Optional<String> throttledReason();
}
