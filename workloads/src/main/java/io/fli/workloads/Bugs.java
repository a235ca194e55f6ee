package io.fli.workloads;

import io.fli.checker.Invariant;
import java.util.List;

/**
 * The bug zoo: deliberately broken variants of the engine, selectable only by tests and {@code fli test --bug NAME},
 * each with the invariant the checker must flag. A correct engine under the same settings must stay valid.
 */
public final class Bugs {
    private Bugs() {
    }

    /**
     * One broken variant.
     *
     * @param name     as given to {@code --bug}
     * @param breaks   the invariant a run must be flagged under
     * @param workload the workload that exercises it
     * @param nemesis  the faults it needs
     * @param what     what is broken
     */
    public record Bug(String name, Invariant breaks, String workload, List<String> nemesis, String what) {
    }

    public static final List<Bug> ZOO = List.of(
            new Bug("cas-read-then-write", Invariant.SINGLE_WRITER, "multi-writer", List.of("none"),
                    "the meta store emulates compare-and-set by a read, a check and an unconditional write"),
            new Bug("fence-outside-cas", Invariant.SINGLE_WRITER, "multi-writer", List.of("none"),
                    "the writer checks its fence before the CAS and retries a conflicting CAS under the epoch it finds"),
            new Bug("stale-head-cache", Invariant.SNAPSHOT_CONSISTENT, "ingest-query", List.of("none"),
                    "queries serve a meta/state cached for up to half a second"),
            new Bug("duplicates-after-reingest", Invariant.NO_DUPLICATE_OR_MISSING, "ingest-query", List.of("crash"),
                    "re-publishing a batch after a crash appends its blocks again instead of skipping them"),
            new Bug("state-before-blobs", Invariant.NO_DUPLICATE_OR_MISSING, "ingest-query", List.of("crash"),
                    "the writer CASes meta/state before it writes the blobs the state names (with a reader that "
                            + "takes a missing object for an empty one)"),
            new Bug("gc-no-grace", Invariant.NO_DUPLICATE_OR_MISSING, "ingest-query", List.of("none"),
                    "a separate GC process deletes every unreferenced blob at once, without the grace period and "
                            + "without the fence, including blobs an in-flight publish has not linked yet (with a "
                            + "reader that takes a missing object for an empty one)"),
            new Bug("no-checksum", Invariant.FAIL_CLOSED, "ingest-query", List.of("corrupt"),
                    "blob checksums are not verified on read: damaged bytes that still decode are served"),
            new Bug("unknown-as-applied", Invariant.SNAPSHOT_CONSISTENT, "ingest-query", List.of("lost-reply"),
                    "a meta/state CAS whose reply was lost is taken as applied without re-reading: the publish is "
                            + "acknowledged though the state may not have moved (unknown outcomes)"),
            new Bug("lease-view-during-cas", Invariant.SNAPSHOT_CONSISTENT, "ingest-query", List.of("pause-process"),
                    "the lease holder's process keeps answering from its lease view while its writer's meta/state "
                            + "CAS is in flight: once the store applied it, another process can return the new head "
                            + "before this one returns the old (a second process; the engine's own bug until "
                            + "2026-12-02, found by the two-process harness)"),
            new Bug("holder-view-remembers", Invariant.SNAPSHOT_CONSISTENT, "ingest-query",
                    List.of("pause-process"),
                    "a process's holder view repeats the state the lease holder named last when the holder does not "
                            + "answer (paused, or its CAS in flight) instead of reading meta/state: it answers the old "
                            + "head after another process read the new one"),
            new Bug("read-lease-not-revoked", Invariant.SNAPSHOT_CONSISTENT, "ingest-query", List.of("none"),
                    "the lease holder sends its meta/state CAS without revoking the read leases it granted: a "
                            + "process holding one answers the old head after others read the new one"),
            new Bug("read-lease-after-revoke", Invariant.SNAPSHOT_CONSISTENT, "ingest-query", List.of("none"),
                    "a process keeps answering from its read lease after the holder revoked it (and acknowledges "
                            + "the revocation all the same)"),
            new Bug("block-hash-of-segment-start", Invariant.FAIL_CLOSED, "ingest-query", List.of("none"),
                    "returned logs carry the hash of the first block of their index segment instead of their own "
                            + "block's (log identity)"),
            new Bug("fork-accepted", Invariant.SINGLE_WRITER, "ingest-query", List.of("fork"),
                    "a block at an already indexed number is skipped as \"already indexed\" without comparing "
                            + "hashes: a fork is acknowledged (finality violations)"),
            new Bug("gc-forgets-merged-packs", Invariant.NO_DUPLICATE_OR_MISSING, "ingest-query", List.of("restart"),
                    "GC counts only the packs of unmerged segments as referenced and deletes those of merged "
                            + "ones; the reader then fails closed on acknowledged data (lost data that fails closed)"),
            new Bug("state-corruption-as-empty", Invariant.SNAPSHOT_CONSISTENT, "ingest-query", List.of("corrupt"),
                    "a meta/state that fails its checksum is read as \"nothing indexed yet\" instead of failing "
                            + "closed (corruption of meta/state)"));

    public static Bug named(String name) {
        return ZOO.stream().filter(b -> b.name().equals(name)).findFirst().orElseThrow(() ->
                new IllegalArgumentException("unknown bug '" + name + "'; the zoo has "
                        + ZOO.stream().map(Bug::name).toList()));
    }
}
