package io.fli.checker.internal;

import java.util.List;

/**
 * What the per-operation judgments read about the history besides the operation judged: the published chain, the
 * lowest published block, and the injected faults. The batch {@link Analysis} answers from the whole history; the
 * {@link Streaming} checker answers from what it has read so far, and judges an operation only once every answer it
 * reads is settled.
 */
public interface Facts {
    /** Lowest block number any publish carries; blocks below it are not judged. */
    long base();

    /** The block's versions, or null. */
    Analysis.BlockInfo block(long number);

    /** Every published log (of any version) in blocks lo..hi matching the filter, by block then ordinal. */
    List<Analysis.Match> expected(long lo, long hi, List<String> addresses, List<List<String>> topics);

    /** The lowest block whose every publish definitely failed, or {@link Long#MAX_VALUE}. */
    long firstFailedBlock();

    /** Whether a crash/restart/kill nemesis line lies strictly between the two indexes. */
    boolean crashBetween(int after, int before);

    /** The first corrupt or fork nemesis line before line {@code index}, or -1. */
    int damageBefore(int index);
}
