package io.fli.engine.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;

class KeyProperties {
    private static final byte[] DATA = {1, 2, 3};

    @Property
    void keyOrderIsNumericOrderOfEpochThenBlock(@ForAll @LongRange(min = 0) long e1, @ForAll @LongRange(min = 0) long b1,
                                                @ForAll @LongRange(min = 0) long e2, @ForAll @LongRange(min = 0) long b2) {
        int numeric = e1 != e2 ? Long.compare(e1, e2) : Long.compare(b1, b2);
        int lexical = Keys.pack(e1, b1, b1, DATA).compareTo(Keys.pack(e2, b2, b2, DATA));
        assertThat(Integer.signum(lexical)).isEqualTo(Integer.signum(numeric));
    }

    @Property
    void segmentKeysSortByTierThenBlockWithinAnEpoch(@ForAll @IntRange(min = 0, max = 255) int t1,
                                                     @ForAll @IntRange(min = 0, max = 255) int t2,
                                                     @ForAll @LongRange(min = 0) long b1,
                                                     @ForAll @LongRange(min = 0) long b2) {
        int numeric = t1 != t2 ? Integer.compare(t1, t2) : Long.compare(b1, b2);
        int lexical = Keys.segment(3, t1, b1, b1, DATA).compareTo(Keys.segment(3, t2, b2, b2, DATA));
        assertThat(Integer.signum(lexical)).isEqualTo(Integer.signum(numeric));
    }

    @Property
    void keysOfDifferentContentDiffer(@ForAll byte[] a, @ForAll byte[] b) {
        if (!java.util.Arrays.equals(a, b) && Keys.crc(a).equals(Keys.crc(b))) {
            return; // a CRC collision: the writer's byte comparison catches it
        }
        assertThat(Keys.pack(1, 2, 3, a).equals(Keys.pack(1, 2, 3, b))).isEqualTo(java.util.Arrays.equals(a, b));
    }

    @Property
    void aQueryRangeFansOutToExactlyTheSegmentsThatOverlapIt(@ForAll @LongRange(min = 0, max = 200) long from,
                                                             @ForAll @LongRange(min = 0, max = 200) long len,
                                                             @ForAll @IntRange(min = 1, max = 30) int width) {
        List<SegmentRef> segs = new java.util.ArrayList<>();
        for (long f = 0; f < 200; f += width) {
            segs.add(new SegmentRef(0, f, f + width - 1, f, width, "k" + f));
        }
        long to = from + len;
        for (SegmentRef s : segs) {
            boolean anyBlockInRange = false;
            for (long blk = s.firstBlock(); blk <= s.lastBlock(); blk++) {
                anyBlockInRange |= blk >= from && blk <= to;
            }
            assertThat(s.overlaps(from, to)).isEqualTo(anyBlockInRange);
        }
    }
}
