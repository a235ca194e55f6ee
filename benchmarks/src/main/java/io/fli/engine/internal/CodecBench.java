package io.fli.engine.internal;

import io.fli.engine.Block;
import io.fli.engine.Log;
import io.fli.workloads.ChainGenerator;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The codecs on the hot paths, on one publish batch of the benchmark chain (Zipf addresses and topics, as in
 * {@code fli bench}): encoding a batch (ingest), decoding a whole pack or segment (merges, older formats), reading a
 * paged blob's head, one pack chunk and one log out of it (queries).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class CodecBench {
    /** Blocks in the batch (50 logs each on average). */
    @Param({"1000"})
    public int blocks;

    private List<Block> batch;
    private byte[] pack;
    private byte[] segment;
    private Pack.Head head;
    private byte[] chunkPage;
    private int chunkIndex;
    private Pack chunk;
    private long[] logIds;
    private int next;

    @Setup
    public void setup() {
        ChainGenerator gen = new ChainGenerator(ChainGenerator.Shape.defaults(7)
                .withCardinality(100_000, 2_000, 200_000));
        batch = new ArrayList<>(blocks);
        for (int b = 0; b < blocks; b++) {
            batch.add(gen.block(b));
        }
        BatchEncoder.Encoded e = BatchEncoder.encode(0, batch, "packs/bench");
        pack = e.pack();
        segment = e.segment();
        int end = Paged.bodyStart(pack, "p");
        head = Pack.Head.read(Paged.head(pack, Frame.PACK, Frame.version(pack), "p"), pack.length - (long) end, end,
                Frame.version(pack), "p");
        chunkIndex = head.chunks().length / 2;
        Paged.Ref ref = head.chunks()[chunkIndex];
        chunkPage = java.util.Arrays.copyOfRange(pack, end + (int) ref.offset(), end + (int) ref.offset()
                + ref.length());
        chunk = chunkOf(chunkPage);
        logIds = new long[chunk.count()];
        for (int i = 0; i < logIds.length; i++) {
            logIds[i] = chunk.firstLogId + (i * 37L) % logIds.length;
        }
    }

    private Pack chunkOf(byte[] page) {
        return head.chunk(chunkIndex, Paged.page(page, 0, head.chunks()[chunkIndex], true, "p"), "p");
    }

    /** Ingest: a batch's pack and tier-0 segment, per batch. */
    @Benchmark
    public BatchEncoder.Encoded encodeBatch() {
        return BatchEncoder.encode(0, batch, "packs/bench");
    }

    /** A whole pack, every chunk checked. */
    @Benchmark
    public Pack packDecodeWhole() {
        return Pack.decode(pack, "p");
    }

    /** A query's pack cache miss: one chunk page checked and read (strings stay encoded). */
    @Benchmark
    public Pack packDecodeChunk() {
        return chunkOf(chunkPage);
    }

    /** A query's result: one log out of a cached chunk. */
    @Benchmark
    @OutputTimeUnit(TimeUnit.NANOSECONDS)
    public Log packReadLog() {
        long id = logIds[next++ % logIds.length];
        return chunk.log(id);
    }

    /** A merge's input: a whole tier-0 segment, every page and bitmap checked. */
    @Benchmark
    public IndexSegment segmentDecodeWhole() {
        return IndexSegment.decode(segment, "s");
    }

    /** A query's first read of a segment: its head (page tables), checked. */
    @Benchmark
    public PagedSegment.Head segmentReadHead() {
        int end = Paged.bodyStart(segment, "s");
        return PagedSegment.Head.read(Paged.head(segment, Frame.SEGMENT, SegmentWriter.VERSION, "s"), end,
                segment.length - (long) end, "s", Frame.version(segment));
    }
}
