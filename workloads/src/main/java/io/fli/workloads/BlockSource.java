package io.fli.workloads;

import io.fli.engine.Block;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

/**
 * What writers ingest: the seeded chain, continuing from the head they see — unless the fork nemesis has armed a
 * fork, in which case the next writer to ask is handed a different block at an already indexed number.
 */
final class BlockSource {
    private final ChainGenerator gen;
    /** Armed by the fork nemesis; set to the forked block number once a writer took it. */
    private final AtomicReference<long[]> fork = new AtomicReference<>();

    BlockSource(ChainGenerator gen) {
        this.gen = gen;
    }

    /** The next batch for a writer that sees {@code head} (null: nothing indexed yet). */
    List<Block> next(Long head, int count) {
        long[] armed = fork.get();
        if (head != null && armed != null && armed[0] < 0 && fork.compareAndSet(armed, new long[]{head})) {
            return List.of(gen.forked(head));
        }
        return gen.blocks(head == null ? 0 : head + 1, count);
    }

    /** Arms a fork for the next writer that asks for a batch. */
    void armFork() {
        fork.set(new long[]{-1});
    }

    /** The block number a writer was handed a fork of, or -1 while none has been taken yet. */
    long forkTaken() {
        long[] f = fork.get();
        return f == null ? -1 : f[0];
    }

    void disarmFork() {
        fork.set(null);
    }
}
