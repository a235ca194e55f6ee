package io.fli.engine.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fli.engine.Block;
import io.fli.engine.CorruptionException;
import io.fli.engine.Log;
import java.util.ArrayList;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;

class CodecProperties {

    private static List<IndexSegment.Term> terms(String... values) {
        return java.util.Arrays.stream(values).map(IndexSegment.Term::of).toList();
    }

    @Provide
    Arbitrary<List<Block>> batches() {
        Arbitrary<String> value = Arbitraries.oneOf(
                Arbitraries.strings().withCharRange('0', 'z').ofMinLength(1).ofMaxLength(6), hexLike());
        Arbitrary<Log> log = Combinators.combine(Arbitraries.integers().between(0, 3).map(i -> i),
                value, value.list().ofMaxSize(4), value.injectNull(0.3), value.injectNull(0.3))
                .as((tx, a, t, d, h) -> new Log(0, tx, h, a, t, d));
        return log.list().ofMaxSize(6).list().ofMinSize(1).ofMaxSize(8).map(perBlock -> {
            List<Block> out = new ArrayList<>();
            for (int b = 0; b < perBlock.size(); b++) {
                List<Log> logs = new ArrayList<>();
                int tx = 0;
                for (int i = 0; i < perBlock.get(b).size(); i++) {
                    Log l = perBlock.get(b).get(i);
                    tx += l.tx();
                    logs.add(new Log(i, tx, l.txHash(), l.address(), l.topics(), l.data()));
                }
                out.add(new Block(500 + b, "0xh" + b, b == 0 ? null : "0xh" + (b - 1), logs));
            }
            return out;
        });
    }

    /**
     * Mostly hex text (stored as bytes by pack format 4), with near misses: odd length, upper case, stray chars, and
     * chars whose low byte is a hex digit (U+0130, U+0161).
     */
    static Arbitrary<String> hexLike() {
        return Arbitraries.strings().withChars("0123456789abcdefABx\u00e9\u0130\u0161").ofMaxLength(9).map(s -> "0x" + s);
    }

    @Property
    void hexTextRoundTripsEveryString(@ForAll("texts") String s) {
        ByteWriter w = new ByteWriter(8);
        HexText.write(w, s);
        if (s != null) {
            HexText.write(w, s.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        }
        byte[] b = new byte[w.length()];
        w.copyTo(b, 0);
        ByteReader r = new ByteReader(b, 0, b.length, "t");
        int second = -1;
        HexText.skip(r);
        second = r.position();
        assertThat(HexText.read(b, 0)).isEqualTo(s);
        if (s != null) {
            HexText.skip(r);
            r.expectEnd();
            assertThat(HexText.read(b, second)).isEqualTo(s);
            boolean spelled = s.matches("0x([0-9a-f]{2})*");
            assertThat(HexText.compactable(s)).isEqualTo(spelled);
            assertThat(second).isEqualTo(spelled ? 1 + (s.length() - 2) / 2 : b.length / 2);
        }
    }

    @Provide
    Arbitrary<String> texts() {
        return Arbitraries.oneOf(hexLike(), Arbitraries.strings().ofMaxLength(8)).injectNull(0.05);
    }

    @Property
    void aPackDecodesToExactlyTheLogsEncoded(@ForAll("batches") List<Block> blocks,
                                             @ForAll @LongRange(min = 0, max = 1L << 40) long firstLogId) {
        Pack p = Pack.decode(BatchEncoder.encode(firstLogId, blocks, "p").pack(), "p");
        long id = firstLogId;
        for (Block b : blocks) {
            for (Log l : b.logs()) {
                assertThat(p.log(id)).isEqualTo(l);
                assertThat(p.blockOf(id)).isEqualTo(b.number());
                id++;
            }
        }
        assertThat(p.count()).isEqualTo((int) (id - firstLogId));
    }

    @Property
    void aSegmentListsEveryLogUnderEachOfItsValuesAndNowhereElse(@ForAll("batches") List<Block> blocks) {
        IndexSegment s = IndexSegment.decode(BatchEncoder.encode(7, blocks, "pk").segment(), "s");
        int local = 0;
        for (Block b : blocks) {
            assertThat(s.hashOf(b.number())).isEqualTo(b.hash());
            assertThat(s.blockWithHash(b.hash())).isEqualTo(b.number());
            assertThat(s.localStart(b.number())).isEqualTo(local);
            for (Log l : b.logs()) {
                assertThat(s.union(0, terms(l.address())).contains(local)).isTrue();
                for (int t = 0; t < l.topics().size(); t++) {
                    assertThat(s.union(t + 1, terms(l.topics().get(t))).contains(local)).isTrue();
                }
                local++;
            }
        }
        long total = 0;
        for (Block b : blocks) {
            total += b.logs().size();
        }
        // Every log has exactly one address: the address postings partition the ids.
        List<String> addresses = blocks.stream().flatMap(b -> b.logs().stream()).map(Log::address).distinct().toList();
        assertThat(s.union(0, terms(addresses.toArray(String[]::new))).getCardinality()).isEqualTo(total);
        assertThat(s.estimate(0, terms(addresses.toArray(String[]::new)))).isEqualTo(total);
    }

    @Property
    void mergingSegmentsEqualsBuildingOneSegmentOfTheWholeRange(@ForAll("batches") List<Block> blocks,
                                                                @ForAll @IntRange(min = 1, max = 7) int cut) {
        int c = Math.min(cut, blocks.size());
        if (c == blocks.size()) {
            c = 0;
        }
        List<Block> left = blocks.subList(0, c);
        List<Block> right = blocks.subList(c, blocks.size());
        if (left.isEmpty()) {
            return;
        }
        long leftLogs = left.stream().mapToLong(b -> b.logs().size()).sum();
        IndexSegment a = IndexSegment.decode(BatchEncoder.encode(100, left, "pa").segment(), "a");
        IndexSegment b = IndexSegment.decode(BatchEncoder.encode(100 + leftLogs, right, "pb").segment(), "b");
        IndexSegment merged = IndexSegment.decode(IndexSegment.merge(1, List.of(a, b)), "m");
        IndexSegment whole = IndexSegment.decode(BatchEncoder.encode(100, blocks, "pa").segment(), "w");
        for (Block blk : blocks) {
            assertThat(merged.localStart(blk.number())).isEqualTo(whole.localStart(blk.number()));
            assertThat(merged.hashOf(blk.number())).isEqualTo(blk.hash());
            for (Log l : blk.logs()) {
                for (int p = 0; p < IndexSegment.POSITIONS; p++) {
                    String v = p == 0 ? l.address() : p - 1 < l.topics().size() ? l.topics().get(p - 1) : null;
                    if (v != null) {
                        assertThat(merged.union(p, terms(v))).isEqualTo(whole.union(p, terms(v)));
                    }
                }
            }
        }
        assertThat(merged.packKeys).containsExactly("pa", "pb");
        assertThat(merged.packOf(100 + leftLogs)).isEqualTo(1);
    }

    @Property
    void stateRecordsRoundTrip(@ForAll @LongRange(min = -1, max = 1L << 50) long head,
                               @ForAll @IntRange(min = 0, max = 20) int segments) {
        List<SegmentRef> refs = new ArrayList<>();
        for (int i = 0; i < segments; i++) {
            refs.add(new SegmentRef(i % 3, i * 10L, i * 10L + 9, i * 100L, 100, "index/k" + i));
        }
        StateRecord s = new StateRecord(head, head < 0 ? null : "0xh", head < 0 ? -1 : 0, 12345, "w#n", 99, refs);
        assertThat(StateRecord.decode(s.encode())).isEqualTo(s);
    }

    @Property
    void garbageNeverDecodesAndNeverAllocatesWildly(@ForAll byte[] garbage) {
        assertThatThrownBy(() -> Pack.decode(garbage, "g")).isInstanceOf(CorruptionException.class);
        assertThatThrownBy(() -> IndexSegment.decode(garbage, "g")).isInstanceOf(CorruptionException.class);
        assertThatThrownBy(() -> StateRecord.decode(garbage)).isInstanceOf(CorruptionException.class);
    }

    @Property
    void anyFlippedBitIsCaughtByTheChecksum(@ForAll("batches") List<Block> blocks,
                                            @ForAll @IntRange(min = 0, max = 1 << 20) int position,
                                            @ForAll @IntRange(min = 0, max = 7) int bit) {
        byte[] b = BatchEncoder.encode(0, blocks, "p").pack();
        int at = position % b.length;
        b[at] ^= (byte) (1 << bit);
        assertThatThrownBy(() -> Pack.decode(b, "p")).isInstanceOf(CorruptionException.class);
    }

    @Property
    void validFramesWithLiesInsideAreRejectedWithAReason(@ForAll byte[] payload) {
        // A correct checksum over nonsense: the bounded reader must still refuse it cleanly.
        ByteWriter w = new ByteWriter(payload.length);
        w.bytes(payload);
        byte[] framed = Frame.wrap(Frame.PACK, 1, w);
        try {
            Pack p = Pack.decode(framed, "p");
            assertThat(p.count()).isLessThanOrEqualTo(payload.length);
        } catch (CorruptionException expected) {
            assertThat(expected.getMessage()).startsWith("p: ");
        }
    }

    @Property(tries = 20)
    void aNewerFormatVersionIsRefusedByName(@ForAll @IntRange(min = 5, max = 255) int version) {
        byte[] b = Frame.wrap(Frame.PACK, version, new ByteWriter(4).i32(0));
        assertThatThrownBy(() -> Pack.decode(b, "packs/x")).isInstanceOf(CorruptionException.class)
                .hasMessage("upgrade required: packs/x has format version " + version + ", written by a newer fli; "
                        + "this build reads versions 1..4 (docs/upgrade.md)");
    }

    @net.jqwik.api.Example
    void aVersionOnePackWrittenBeforeTransactionHashesIsStillRead() {
        // The version 1 layout, byte for byte: one log of block 7, tx 0, address "0xa", no topics, no data.
        ByteWriter w = new ByteWriter(32);
        w.varLong(5).varInt(1).varInt(1).string("0xa");
        w.varLong(7).varLong(0).varInt(0).varInt(1).varInt(0).varInt(0).varLong(0);
        Pack p = Pack.decode(Frame.wrap(Frame.PACK, 1, w), "packs/old");
        assertThat(p.log(5)).isEqualTo(new Log(0, 0, null, "0xa", List.of(), null));
        assertThat(p.blockOf(5)).isEqualTo(7);
    }
}
