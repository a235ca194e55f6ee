package io.fli.engine.internal;

import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * The points where the harness's bug zoo (module {@code zoo}, linked only by the test harness) swaps a deliberately
 * broken behaviour into the engine, to prove that the harness catches it. Every method here is the engine's correct
 * behaviour; the class and its methods are package-private, so no public API and no configuration can change them:
 * {@link io.fli.engine.LogIndex#open} always uses {@link #CORRECT}.
 *
 * <p>Where the broken behaviour can live outside the engine, the seam hands the step over (a state read, a decode,
 * a block hash); where it is woven into a protocol step, the seam is a question the engine asks, whose correct answer
 * is {@code false}.
 *
 * @see DefaultLogIndex#DefaultLogIndex(io.fli.engine.MetaStore, io.fli.engine.BlobStore, io.fli.engine.IndexConfig, Seams)
 */
class Seams {
    /** The engine as built: every seam correct. */
    static final Seams CORRECT = new Seams();

    /** The state a query answers against (lease view or linearizable read). */
    Optional<DefaultLogIndex.Snapshot> queryState(DefaultLogIndex idx) {
        return idx.queryState();
    }

    /** meta/state failed its checksum or did not decode: fail closed. */
    Optional<DefaultLogIndex.Snapshot> undecodableState(DefaultLogIndex idx, io.fli.engine.CorruptionException e) {
        throw idx.degrade(e.getMessage(), e);
    }

    /** A stored blob's bytes as handed to the decoder, whose first step verifies the checksum. */
    byte[] beforeDecode(byte[] stored) {
        return stored;
    }

    /** Whether each page of a paged blob is checked against the CRC its head records. */
    boolean verifyPageChecksums() {
        return true;
    }

    /** Whether a query may skip a blob that meta/state names but the store does not have. */
    boolean missingBlobIsEmpty() {
        return false;
    }

    /** The hash a returned log reports for its block. */
    String blockHash(SegmentReader seg, SegmentRef ref, long block) {
        return seg.hashOf(block);
    }

    /** Whether a fenced writer may retry its CAS under the epoch it finds (the fence checked outside the CAS). */
    boolean fenceOutsideCas() {
        return false;
    }

    /** Whether a re-published batch is appended after the head instead of being checked against what is indexed. */
    boolean appendOnReingest() {
        return false;
    }

    /** Whether the writer CASes meta/state before it stores the blobs the state names. */
    boolean stateBeforeBlobs() {
        return false;
    }

    /** Whether GC runs without the grace period and without proving the lease. */
    boolean gcWithoutGraceOrFence() {
        return false;
    }

    /** Whether the lease view keeps answering queries while a CAS of meta/state is in flight. */
    boolean leaseViewDuringCas() {
        return false;
    }

    /** Whether a holder revokes (and waits out) the read leases it granted before its CAS of meta/state. */
    boolean revokeReadLeases() {
        return true;
    }

    /** Whether a read lease that has not run out may answer queries, given whether it was revoked. */
    boolean readLeaseUsable(boolean revoked) {
        return !revoked;
    }

    /** Whether a read lease is counted from its grant's arrival instead of its request's sending. */
    boolean readLeaseFromArrival() {
        return false;
    }

    /** Whether a CAS whose outcome is unknown is taken as applied without re-reading. */
    boolean unknownCasIsApplied() {
        return false;
    }

    /** Whether an already indexed block number is skipped without comparing its hash (a fork accepted). */
    boolean skipIndexedWithoutHashCheck() {
        return false;
    }

    /** The pack keys GC counts as referenced by one live segment. */
    List<String> packsReferencedBy(SegmentRef ref, SegmentReader seg) {
        return seg.packKeys();
    }
}
