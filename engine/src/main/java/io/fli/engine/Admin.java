package io.fli.engine;

import io.fli.engine.internal.IndexSegment;
import io.fli.engine.internal.Pack;
import io.fli.engine.internal.SegmentRef;
import io.fli.engine.internal.StateRecord;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * What an operator reads from the stores directly, without opening an index or taking the lease: the committed
 * {@code meta/state} (head, lease, manifest) and a full scan of every blob it references.
 */
public final class Admin {
    private Admin() {
    }

    /**
     * The committed state.
     *
     * @param version      {@code meta/state}'s version (one per applied conditional write)
     * @param epoch        the epoch of the writer that wrote it last (the fence)
     * @param head         the finalized head, or null before the first publish
     * @param headHash     its hash
     * @param firstBlock   the lowest indexed block, or null
     * @param nextLogId    the id the next log will get (= logs indexed)
     * @param holder       the lease holder's writer id, or null
     * @param leaseUntil   when the lease expires, milliseconds since the epoch
     * @param segments     the live index segments, in block order
     */
    public record Status(long version, long epoch, Long head, String headHash, Long firstBlock, long nextLogId,
                         String holder, long leaseUntil, List<Segment> segments) {
        /** Whether the lease is held at {@code nowMillis}. */
        public boolean leaseHeld(long nowMillis) {
            return holder != null && leaseUntil > nowMillis;
        }
    }

    /** One live index segment of the manifest. */
    public record Segment(int tier, long firstBlock, long lastBlock, long logCount, String key) {
    }

    /** The committed state, or empty when nothing was ever written (an index never opened by a writer). */
    public static Optional<Status> status(MetaStore meta) {
        Optional<MetaRecord> rec = meta.getCommitted(StateRecord.KEY);
        if (rec.isEmpty()) {
            return Optional.empty();
        }
        StateRecord s = StateRecord.decode(rec.get().value());
        List<Segment> segs = new ArrayList<>(s.segments().size());
        for (SegmentRef r : s.segments()) {
            segs.add(new Segment(r.tier(), r.firstBlock(), r.lastBlock(), r.logCount(), r.key()));
        }
        return Optional.of(new Status(rec.get().version(), rec.get().epoch(), s.hasHead() ? s.head() : null,
                s.headHash(), s.firstBlock() < 0 ? null : s.firstBlock(), s.nextLogId(), s.holderWriterId(),
                s.leaseUntil(), List.copyOf(segs)));
    }

    /**
     * A full scan's findings.
     *
     * @param stateVersion the {@code meta/state} version scanned
     * @param segments     segments read
     * @param packs        packs read
     * @param bytes        bytes read
     * @param problems     one sentence per blob that is missing or does not decode with every checksum verified
     *                     (frame, pages, bitmaps); empty when the index is sound
     */
    public record VerifyReport(long stateVersion, int segments, int packs, long bytes, List<String> problems) {
        public boolean ok() {
            return problems.isEmpty();
        }
    }

    /**
     * Reads every blob the committed state references — each segment, and each pack a segment points at — whole,
     * and checks it: present, and decoding with every checksum verified. Reads only; takes no lease.
     */
    public static VerifyReport verify(MetaStore meta, BlobStore blobs) {
        Optional<MetaRecord> rec = meta.getCommitted(StateRecord.KEY);
        if (rec.isEmpty()) {
            return new VerifyReport(0, 0, 0, 0, List.of());
        }
        StateRecord s;
        List<String> problems = new ArrayList<>();
        try {
            s = StateRecord.decode(rec.get().value());
        } catch (RuntimeException e) {
            problems.add("meta/state (version " + rec.get().version() + ") does not decode: " + e.getMessage());
            return new VerifyReport(rec.get().version(), 0, 0, 0, problems);
        }
        Set<String> packs = new LinkedHashSet<>();
        int segments = 0;
        long bytes = 0;
        for (SegmentRef r : s.segments()) {
            Optional<byte[]> b = blobs.get(r.key());
            if (b.isEmpty()) {
                problems.add("segment " + r.key() + " (blocks " + r.firstBlock() + "-" + r.lastBlock()
                        + ") is missing");
                continue;
            }
            segments++;
            bytes += b.get().length;
            try {
                packs.addAll(IndexSegment.decode(b.get(), r.key()).packKeys());
            } catch (RuntimeException e) {
                problems.add("segment " + r.key() + " does not decode: " + e.getMessage());
            }
        }
        int packCount = 0;
        for (String key : packs) {
            Optional<byte[]> b = blobs.get(key);
            if (b.isEmpty()) {
                problems.add("pack " + key + " is missing");
                continue;
            }
            packCount++;
            bytes += b.get().length;
            try {
                Pack.decode(b.get(), key);
            } catch (RuntimeException e) {
                problems.add("pack " + key + " does not decode: " + e.getMessage());
            }
        }
        return new VerifyReport(rec.get().version(), segments, packCount, bytes, List.copyOf(problems));
    }


    /**
     * What GC would do now, without doing it (no lease, no delete): the blobs under {@code packs/} and
     * {@code index/} that the committed state does not reference, split by the grace period.
     *
     * @param referenced blobs the committed state references
     * @param due        unreferenced blobs older than the grace period: GC deletes them
     * @param young      unreferenced blobs within the grace period: the backlog GC keeps for now
     */
    public record GcPlan(int referenced, List<BlobStore.BlobInfo> due, List<BlobStore.BlobInfo> young) {
        public long dueBytes() {
            return due.stream().mapToLong(BlobStore.BlobInfo::size).sum();
        }

        public long youngBytes() {
            return young.stream().mapToLong(BlobStore.BlobInfo::size).sum();
        }
    }

    /** The GC plan at {@code nowMillis} with grace {@code graceMillis} (reads every referenced segment's pack table). */
    public static GcPlan gcPlan(MetaStore meta, BlobStore blobs, long nowMillis, long graceMillis) {
        Set<String> referenced = new java.util.HashSet<>();
        Optional<MetaRecord> rec = meta.getCommitted(StateRecord.KEY);
        if (rec.isPresent()) {
            for (SegmentRef r : StateRecord.decode(rec.get().value()).segments()) {
                referenced.add(r.key());
                byte[] b = blobs.get(r.key()).orElseThrow(() -> new CorruptionException("segment " + r.key()
                        + " referenced by meta/state is missing (run fli admin verify)"));
                referenced.addAll(IndexSegment.decode(b, r.key()).packKeys());
            }
        }
        List<BlobStore.BlobInfo> due = new ArrayList<>();
        List<BlobStore.BlobInfo> young = new ArrayList<>();
        for (String prefix : List.of("packs/", "index/")) {
            for (BlobStore.BlobInfo b : blobs.list(prefix)) {
                if (referenced.contains(b.key())) {
                    continue;
                }
                (b.createdMillis() > nowMillis - graceMillis ? young : due).add(b);
            }
        }
        return new GcPlan(referenced.size(), List.copyOf(due), List.copyOf(young));
    }
}
