package io.fli.workloads;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;

/**
 * A deterministic scheduler for the in-memory backend: clients and the nemesis run as threads, but exactly one runs
 * at a time, and control passes only at yield points (every store call, every recorded operation, every sleep), to a
 * fiber chosen by a seeded random source. Time is logical: each yield costs a fixed step, a sleep moves the fiber's
 * wake-up time, and when every fiber sleeps the clock jumps to the earliest wake-up. So the same seed gives the same
 * interleaving, the same clock readings and the same history, byte for byte.
 *
 * <p>Code outside a fiber (the controlling thread) passes through {@link #yieldNow()} and {@link #sleep} untouched.
 */
public final class Sim {
    private static final ThreadLocal<Fiber> SELF = new ThreadLocal<>();
    /** The instant logical time 0 maps to, fixed so that clock readings do not depend on the day. */
    private static final long EPOCH_MILLIS = Instant.parse("2026-01-01T00:00:00Z").toEpochMilli();

    private final SplittableRandom random;
    private final long stepNanos;
    private final List<Fiber> fibers = new ArrayList<>();
    private final CountDownLatch finished = new CountDownLatch(1);
    private volatile long now;
    private long deadline = Long.MAX_VALUE;
    private Runnable atDeadline = () -> { };
    private volatile Throwable crashed;

    /** One client, the nemesis, or any other activity of the run. */
    private final class Fiber {
        final String name;
        final Runnable body;
        final Semaphore go = new Semaphore(0);
        long wakeAt;
        boolean done;
        Thread thread;

        Fiber(String name, Runnable body) {
            this.name = name;
            this.body = body;
        }
    }

    /**
     * @param seed      seeds the choice of the next fiber
     * @param stepNanos logical time each yield costs
     */
    public Sim(long seed, long stepNanos) {
        this.random = new SplittableRandom(seed);
        this.stepNanos = stepNanos;
    }

    /** Whether the calling thread is one of this simulation's fibers (any simulation's, in fact). */
    public static boolean inFiber() {
        return SELF.get() != null;
    }

    /** Adds a fiber; all are added before {@link #run}. */
    public void spawn(String name, Runnable body) {
        fibers.add(new Fiber(name, body));
    }

    /** At logical time {@code nanos}, runs {@code action} once (from whichever fiber is running then). */
    public void deadline(long nanos, Runnable action) {
        this.deadline = nanos;
        this.atDeadline = action;
    }

    /** Logical nanoseconds since the start. */
    public long nanos() {
        return now;
    }

    /** A clock reading logical time (from a fixed instant). */
    public Clock clock() {
        return new Clock() {
            @Override
            public ZoneId getZone() {
                return ZoneOffset.UTC;
            }

            @Override
            public Clock withZone(ZoneId zone) {
                return this;
            }

            @Override
            public long millis() {
                return EPOCH_MILLIS + now / 1_000_000;
            }

            @Override
            public Instant instant() {
                return Instant.ofEpochMilli(millis());
            }
        };
    }

    /** Runs every fiber to its end, one at a time; returns when all are done. */
    public void run() throws InterruptedException {
        if (fibers.isEmpty()) {
            return;
        }
        for (Fiber f : fibers) {
            f.thread = new Thread(() -> body(f), "sim-" + f.name);
            f.thread.setDaemon(true);
            f.thread.start();
        }
        pick().go.release();
        finished.await();
        for (Fiber f : fibers) {
            f.thread.join();
        }
        if (crashed != null) {
            throw new IllegalStateException("a simulated fiber failed: " + crashed, crashed);
        }
    }

    private void body(Fiber f) {
        SELF.set(f);
        f.go.acquireUninterruptibly();
        try {
            f.body.run();
        } catch (RuntimeException | Error e) {
            if (crashed == null) {
                crashed = e;
            }
        } finally {
            f.done = true;
            Fiber next = fibers.stream().anyMatch(x -> !x.done) ? pick() : null;
            if (next == null) {
                finished.countDown();
            } else {
                next.go.release();
            }
        }
    }

    /** A yield point: another fiber (or this one) runs next. */
    public void yieldNow() {
        step(0);
    }

    /** Sleeps {@code millis} of logical time in a fiber; a real sleep elsewhere. */
    public void sleep(long millis) {
        if (SELF.get() == null) {
            try {
                Thread.sleep(millis);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return;
        }
        step(millis * 1_000_000);
    }

    private void step(long sleepNanos) {
        Fiber me = SELF.get();
        if (me == null) {
            return;
        }
        now += stepNanos;
        me.wakeAt = now + sleepNanos;
        if (now >= deadline) {
            deadline = Long.MAX_VALUE;
            atDeadline.run();
        }
        Fiber next = pick();
        if (next != me) {
            next.go.release();
            me.go.acquireUninterruptibly();
        }
    }

    /** The next fiber to run: a seeded choice among those awake; if none is, the clock jumps to the earliest. */
    private Fiber pick() {
        long earliest = Long.MAX_VALUE;
        for (Fiber f : fibers) {
            if (!f.done) {
                earliest = Math.min(earliest, f.wakeAt);
            }
        }
        if (earliest > now) {
            now = earliest;
            if (now >= deadline) {
                deadline = Long.MAX_VALUE;
                atDeadline.run();
            }
        }
        List<Fiber> awake = new ArrayList<>();
        for (Fiber f : fibers) {
            if (!f.done && f.wakeAt <= now) {
                awake.add(f);
            }
        }
        return awake.get(random.nextInt(awake.size()));
    }
}
