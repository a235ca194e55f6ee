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
}
