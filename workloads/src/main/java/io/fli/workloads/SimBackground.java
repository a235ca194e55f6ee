package io.fli.workloads;

import io.fli.engine.Background;
import java.util.ArrayDeque;
import java.util.concurrent.CompletableFuture;

/**
 * Background merges under a simulation's scheduler: tasks queue up and a fiber of their own runs them, so they
 * interleave with clients at store calls in the seeded order. A caller that must wait for a merge runs queued tasks
 * itself meanwhile, so no fiber ever blocks outside the scheduler's control.
 */
final class SimBackground implements Background {
    private final Run run;
    private final ArrayDeque<Runnable> queue = new ArrayDeque<>();

    SimBackground(Run run) {
        this.run = run;
    }

    @Override
    public synchronized void execute(Runnable task) {
        queue.add(task);
    }

    private synchronized Runnable next() {
        return queue.poll();
    }

    /** Runs one queued task; false when there was none. */
    private boolean runOne() {
        Runnable t = next();
        if (t == null) {
            return false;
        }
        t.run();
        return true;
    }

    @Override
    public void await(CompletableFuture<?> f) {
        while (!f.isDone()) {
            if (!runOne()) {
                run.pause(2);
            }
        }
    }

    /** As {@link #await}, until {@code now} (the simulation's clock) reads {@code deadline}. */
    @Override
    public void awaitUntil(CompletableFuture<?> f, java.util.function.LongSupplier now, long deadline) {
        while (!f.isDone() && now.getAsLong() < deadline) {
            if (!runOne()) {
                run.pause(1);
            }
        }
    }

    /** The body of the fiber that runs merges: until the run is over and nothing is left. */
    void loop() {
        while (true) {
            if (!runOne()) {
                if (!run.running.get()) {
                    return;
                }
                run.pause(5);
            }
        }
    }
}
