package io.fli.engine.internal;

import java.util.ArrayList;
import java.util.List;

/**
 * The content of {@code meta/state}: the visibility barrier. Its version and epoch live in the
 * {@link io.fli.engine.MetaRecord} around it.
 *
 * @param head        the finalized head, or -1 before the first publish
 * @param headHash    the head block's hash (null before the first publish)
 * @param firstBlock  the lowest indexed block, or -1
 * @param nextLogId   the id the next log will get
 * @param holder      the lease holder as {@code writerId#nonce}, or null
 * @param leaseUntil  when the lease expires, milliseconds since the epoch
 * @param segments    the live index segments in block order (the manifest)
 */
public record StateRecord(long head, String headHash, long firstBlock, long nextLogId, String holder,
                          long leaseUntil, List<SegmentRef> segments) {
    public static final String KEY = "meta/state";
    static final int VERSION = 1;

    public StateRecord {
        segments = List.copyOf(segments);
    }

    public static StateRecord empty() {
        return new StateRecord(-1, null, -1, 0, null, 0, List.of());
    }

    public boolean hasHead() {
        return head >= 0;
    }

    public String holderWriterId() {
        if (holder == null) {
            return null;
        }
        int i = holder.lastIndexOf('#');
        return i < 0 ? holder : holder.substring(0, i);
    }

    public StateRecord withLease(String newHolder, long until) {
        return new StateRecord(head, headHash, firstBlock, nextLogId, newHolder, until, segments);
    }

    public StateRecord withSegments(List<SegmentRef> newSegments) {
        return new StateRecord(head, headHash, firstBlock, nextLogId, holder, leaseUntil, newSegments);
    }

    public byte[] encode() {
        ByteWriter w = new ByteWriter(64 + segments.size() * 64);
        w.i64(head).string(headHash).i64(firstBlock).varLong(nextLogId).string(holder).i64(leaseUntil);
        w.varInt(segments.size());
        for (SegmentRef s : segments) {
            w.varInt(s.tier()).varLong(s.firstBlock()).varLong(s.lastBlock()).varLong(s.firstLogId())
                    .varLong(s.logCount()).string(s.key());
        }
        return Frame.wrap(Frame.STATE, VERSION, w);
    }

    public static StateRecord decode(byte[] data) {
        ByteReader r = Frame.open(data, Frame.STATE, VERSION, KEY);
        long head = r.i64();
        String headHash = r.string();
        long firstBlock = r.i64();
        long nextLogId = r.varLong();
        String holder = r.string();
        long leaseUntil = r.i64();
        int n = r.count(6);
        List<SegmentRef> segs = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            segs.add(new SegmentRef(r.varInt(1000), r.varLong(), r.varLong(), r.varLong(), r.varLong(), r.string()));
        }
        r.expectEnd();
        return new StateRecord(head, headHash, firstBlock, nextLogId, holder, leaseUntil, segs);
    }
}
