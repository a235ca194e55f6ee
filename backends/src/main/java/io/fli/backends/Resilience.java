package io.fli.backends;

import io.fli.engine.BackendException;
import io.github.resilience4j.circuitbreaker.CallNotPermittedException;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.github.resilience4j.core.IntervalFunction;
import io.github.resilience4j.retry.Retry;
import io.github.resilience4j.retry.RetryConfig;
import java.time.Duration;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * The failure policy of one backend: bounded retries with exponential backoff and jitter for idempotent calls, and a
 * circuit breaker that stops calling a backend that keeps failing (so a fleet of writers does not stampede it), then
 * lets a few calls through to see whether it recovered.
 */
public final class Resilience {
    private final String backend;
    private final CircuitBreaker breaker;
    private final Retry retry;

    /**
     * @param backend     name for messages and health ({@code cql}, {@code s3})
     * @param attempts    attempts per idempotent call, {@code >= 1}
     * @param firstBackoff first backoff; each next one is 2x, with ±50% jitter
     * @param transientError which failures are worth retrying
     */
    public Resilience(String backend, int attempts, Duration firstBackoff, Predicate<Throwable> transientError) {
        this(backend, attempts, firstBackoff, transientError, processSeed());
    }

    /**
     * A jitter seed that differs between processes (and between clients of one process), so that a fleet of
     * processes that failed together does not retry in lockstep.
     */
    public static long processSeed() {
        return ProcessHandle.current().pid() * 0x9E3779B97F4A7C15L ^ System.nanoTime();
    }

    /**
     * As above, with the jitter drawn from a random source seeded with {@code jitterSeed}: the sequence of waits is
     * reproducible (each wait is {@code first * 2^(attempt-1) * (1 ± 0.5)}).
     */
    public Resilience(String backend, int attempts, Duration firstBackoff, Predicate<Throwable> transientError,
                      long jitterSeed) {
        this.backend = backend;
        this.breaker = CircuitBreaker.of(backend, CircuitBreakerConfig.custom()
                .slidingWindowType(CircuitBreakerConfig.SlidingWindowType.COUNT_BASED)
                .slidingWindowSize(10)
                .minimumNumberOfCalls(5)
                .failureRateThreshold(50)
                .waitDurationInOpenState(Duration.ofSeconds(2))
                .permittedNumberOfCallsInHalfOpenState(2)
                .recordException(transientError::test)
                .build());
        this.retry = Retry.of(backend, RetryConfig.custom()
                .maxAttempts(attempts)
                .intervalFunction(backoff(firstBackoff, jitterSeed ^ backend.hashCode()))
                .retryOnException(e -> transientError.test(e) && !(e instanceof CallNotPermittedException))
                .build());
    }

    /** Exponential backoff (x2 per attempt) with ±50% jitter from a seeded source. */
    public static IntervalFunction backoff(Duration first, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        long firstMillis = first.toMillis();
        return attempt -> {
            double factor;
            synchronized (random) {
                factor = 0.5 + random.nextDouble();
            }
            return Math.round(firstMillis * Math.pow(2, attempt - 1) * factor);
        };
    }

    public CircuitBreaker breaker() {
        return breaker;
    }

    public Retry retry() {
        return retry;
    }

    /** An idempotent call: retried, through the breaker. */
    public <T> T idempotent(String what, Supplier<T> call) {
        return guard(what, Retry.decorateSupplier(retry, CircuitBreaker.decorateSupplier(breaker, call)));
    }

    /** A call that must not be repeated blindly (a conditional write): through the breaker, never retried. */
    public <T> T once(String what, Supplier<T> call) {
        return guard(what, CircuitBreaker.decorateSupplier(breaker, call));
    }

    private <T> T guard(String what, Supplier<T> call) {
        try {
            return call.get();
        } catch (CallNotPermittedException e) {
            throw new BackendException(backend + " " + what + ": circuit breaker open after repeated failures; "
                    + "calls are held back for a moment", e);
        }
    }

    /** Why calls are held back, if they are. */
    public Optional<String> throttledReason() {
        CircuitBreaker.State s = breaker.getState();
        if (s == CircuitBreaker.State.OPEN || s == CircuitBreaker.State.HALF_OPEN) {
            return Optional.of(backend + " circuit breaker " + s.name().toLowerCase().replace('_', '-')
                    + " (failure rate " + Math.round(breaker.getMetrics().getFailureRate()) + "%)");
        }
        return Optional.empty();
    }
}
