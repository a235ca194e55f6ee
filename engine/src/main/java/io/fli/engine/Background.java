package io.fli.engine;

import java.util.concurrent.CompletableFuture;

/**
 * Where the index runs background work (segment merges) and how a caller waits for it. The default is one daemon
 * thread per index and a plain join; a deterministic simulation supplies its own, so that merges run under its
 * scheduler and a wait hands control to the other simulated activities instead of blocking them.
 */
public interface Background {
    /** Runs {@code task} some time later, on some thread. */
    void execute(Runnable task);

    /** Waits until {@code f} is complete (normally or not). */
    default void await(CompletableFuture<?> f) {
        try {
            f.join();
        } catch (RuntimeException e) {
            // the caller inspects the outcome itself
        }
    }

    /**
     * Waits until {@code f} is complete or {@code now} reads {@code deadline} or later, whichever comes first. Not
     * interruptible: a caller that must not act before the deadline (a holder waiting out a read lease) relies on it;
     * an interrupt is kept for afterwards. {@code now} may be a test's clock: the wait looks at it every 10 ms.
     */
    default void awaitUntil(CompletableFuture<?> f, java.util.function.LongSupplier now, long deadline) {
        boolean interrupted = false;
        long left;
        while (!f.isDone() && (left = deadline - now.getAsLong()) > 0) {
            try {
                f.get(Math.min(left, 10), java.util.concurrent.TimeUnit.MILLISECONDS);
            } catch (java.util.concurrent.TimeoutException | java.util.concurrent.ExecutionException
                     | java.util.concurrent.CancellationException e) {
                // look again
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }
}
