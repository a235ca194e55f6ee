package io.fli.engine.internal;

import io.fli.engine.Block;
import io.fli.engine.BlobStore;
import io.fli.engine.IndexConfig;
import io.fli.engine.LogIndex;
import io.fli.engine.LogQuery;
import io.fli.engine.MetaStore;
import io.fli.engine.QueryResult;
import io.fli.engine.Writer;
import io.fli.workloads.ChainGenerator;
import io.fli.workloads.QueryMix;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.roaringbitmap.PeekableIntIterator;

/**
 * The query planner on a merged segment (estimating every clause, intersecting smallest first) and whole warm
 * queries on an in-memory index, for address OR-lists of 1, 4 and 256 uniformly drawn addresses.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = "-Xmx3g")
public class PlannerBench {
    @Param({"300000"})
    public int logs;

    @Param({"1", "4", "256"})
    public int terms;

    private LogIndex index;
    private IndexSegment merged;
    private List<List<String>> filters;
    private List<List<DefaultLogIndex.Clause>> clauses;
    private int next;

    @Setup(Level.Trial)
    public void setup() {
        ChainGenerator gen = new ChainGenerator(ChainGenerator.Shape.defaults(7)
                .withCardinality(100_000, 2_000, 200_000));
        List<Block> chain = gen.blocksHolding(logs);
        IndexConfig config = IndexConfig.defaults().withMaxOrTerms(1_024).withMaxResults(10_000_000)
                .withMaxBlockRange(Long.MAX_VALUE / 4);
        index = LogIndex.open(MetaStore.inMemory(), BlobStore.inMemory(), config);
        Writer w = index.writer("bench");
        w.acquire();
        List<IndexSegment> parts = new ArrayList<>();
        long firstLogId = 0;
        for (int i = 0; i < chain.size(); i += 1000) {
            List<Block> batch = chain.subList(i, Math.min(chain.size(), i + 1000));
            w.publish(batch);
            BatchEncoder.Encoded e = BatchEncoder.encode(firstLogId, batch, "p" + i);
            parts.add(IndexSegment.decode(e.segment(), "s"));
            firstLogId += e.logs();
        }
        if (parts.size() < 2) {
            throw new IllegalArgumentException("logs=" + logs + " makes one batch; the planner needs a merged segment");
        }
        merged = IndexSegment.decode(IndexSegment.merge(1, parts), "m");
        QueryMix mix = new QueryMix(gen, 1_024);
        SplittableRandom r = new SplittableRandom(11);
        filters = new ArrayList<>();
        clauses = new ArrayList<>();
        for (int i = 0; i < 512; i++) {
            List<String> addrs = mix.uniformAddresses(r, terms);
            filters.add(addrs);
            clauses.add(List.of(DefaultLogIndex.Clause.of(0, addrs)));
        }
    }

    @TearDown(Level.Trial)
    public void close() {
        index.close();
    }

    /** Planning alone: estimates, unions and the intersection over one merged segment (null: no match). */
    @Benchmark
    public PeekableIntIterator plan() {
        return DefaultLogIndex.plan(merged, clauses.get(next++ & 511));
    }

    /** A whole warm query over every block: state, plan, packs, the re-check of every stored log. */
    @Benchmark
    public QueryResult query() {
        return index.query(LogQuery.range(null, null, filters.get(next++ & 511), null));
    }
}
