package io.fli.cli;

import io.fli.engine.Block;
import io.fli.engine.BlobStore;
import io.fli.engine.IndexConfig;
import io.fli.engine.Log;
import io.fli.engine.LogIndex;
import io.fli.engine.LogQuery;
import io.fli.engine.MatchedLog;
import io.fli.engine.MetaStore;
import io.fli.engine.QueryResult;
import io.fli.engine.Writer;
import io.fli.workloads.ChainGenerator;
import io.fli.workloads.QueryMix;
import java.io.PrintWriter;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import org.HdrHistogram.Histogram;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * The engine benchmark: batched ingest and three query classes on in-memory stores, against the same data in an
 * in-process SQLite with the indexes many indexers use. Prints ratios measured in the same run.
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = "Benchmark ingest and queries on in-memory stores against SQLite (same data, same queries, "
                + "same run); prints p50/p99, result counts and ratios.")
final class BenchCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--segment-format", description = "Format of the index segments: 4 (format 3 with term "
            + "filters: a lookup of a term a segment lacks reads no directory page), 5 (format 4 with fine id buckets "
            + "for posting lists of up to 512 ids), 3 (long posting lists in parts) or 2 (default: ${DEFAULT-VALUE}).")
    int segmentFormat = 4;

    @Option(names = "--logs", description = "Logs to ingest (default: ${DEFAULT-VALUE}).")
    long logs = 1_000_000;

    @Option(names = "--seed", description = "Seed of data and queries (default: ${DEFAULT-VALUE}).")
    long seed = 7;

    @Option(names = "--logs-per-block", description = "Mean logs per block (default: ${DEFAULT-VALUE}).")
    int logsPerBlock = 50;

    @Option(names = "--batch-blocks", description = "Blocks per publish (default: ${DEFAULT-VALUE}).")
    int batchBlocks = 1_000;

    @Option(names = "--queries", description = "Measured queries per class (default: ${DEFAULT-VALUE}).")
    int queries = 500;

    @Option(names = "--warmup", description = "Warm-up queries per class, all classes warmed up before any is "
            + "measured, and again before each (default: ${DEFAULT-VALUE}).")
    int warmup = 300;

    @Option(names = "--addresses", description = "Distinct addresses, Zipf-distributed (default: ${DEFAULT-VALUE}).")
    int addresses = 100_000;

    @Option(names = "--no-sqlite", description = "Skip the SQLite baseline.")
    boolean noSqlite;

    @Option(names = "--cache-mb", description = "The index's blob cache in MiB (default: a quarter of the heap, "
            + "the engine's default).")
    Long cacheMb;

    private PrintWriter out;

    /** One query class and its figures. */
    private record Row(String name, Histogram fli, Histogram sqlite, double meanResults, Histogram[] byResults) {
    }

    /** The bucket of a result count: 0, 1, 2-3, 4-7, ... 64+ (the breakdown printed after the table). */
    private static int bucket(int results) {
        return results == 0 ? 0 : Math.min(7, 64 - Long.numberOfLeadingZeros(results));
    }

    private static final String[] BUCKETS = {"0", "1", "2-3", "4-7", "8-15", "16-31", "32-63", "64+"};

    @Override
    public Integer call() throws Exception {
        out = spec.commandLine().getOut();
        Inputs.atLeast(spec, "--logs", logs, 1_000);
        Inputs.atLeast(spec, "--logs-per-block", logsPerBlock, 1);
        Inputs.atLeast(spec, "--batch-blocks", batchBlocks, 1);
        Inputs.segmentFormat(spec, segmentFormat);
        Inputs.atLeast(spec, "--queries", queries, 1);
        Inputs.atLeast(spec, "--warmup", warmup, 0);
        Inputs.atLeast(spec, "--addresses", addresses, 1);
        if (cacheMb != null) {
            Inputs.atLeast(spec, "--cache-mb", cacheMb, 0);
        }
        ChainGenerator gen = new ChainGenerator(ChainGenerator.Shape.defaults(seed).withLogsPerBlock(logsPerBlock)
                .withCardinality(addresses, 2_000, 200_000));
        List<Block> chain = chain(gen, logs);
        long total = chain.stream().mapToLong(b -> b.logs().size()).sum();
        out.printf("data: %,d blocks, %,d logs, %,d addresses / 2,000 topic0s / 200,000 topic values (Zipf 1.1), "
                + "seed %d, %d blocks per publish; %d cores, max heap %,d MB%n", chain.size(), total, addresses,
                seed, batchBlocks, Runtime.getRuntime().availableProcessors(),
                Runtime.getRuntime().maxMemory() >> 20);

        IndexConfig base = config().withSegmentFormat(segmentFormat);
        IndexConfig config = cacheMb == null ? base : base.withCacheBytes(cacheMb << 20);
        // Two unmeasured ingests warm the JIT (as JMH warm-up iterations would); then three measured ingests, each
        // into a fresh index.
        ingest(config, chain).close();
        ingest(config, chain).close();
        double[] rates = new double[3];
        LogIndex index = null;
        double fliIngestS = 0;
        for (int i = 0; i < rates.length; i++) {
            if (index != null) {
                index.close();
                index = null; // one index in memory at a time
            }
            long t0 = System.nanoTime();
            index = ingest(config, chain);
            fliIngestS = (System.nanoTime() - t0) / 1e9;
            rates[i] = total / fliIngestS;
        }
        double[] sorted = rates.clone();
        java.util.Arrays.sort(sorted);
        fliIngestS = total / sorted[1];
        out.printf("fli ingest:    %,.0f logs/s median of 3 (%,.0f / %,.0f / %,.0f), %,.0f blocks/s%n", sorted[1],
                rates[0], rates[1], rates[2], chain.size() / fliIngestS);
        long c0 = System.nanoTime();
        lastWriter.compact();
        out.printf("fli compaction after ingest: %.2f s (not part of the ingest figure; queries run on the result)%n",
                (System.nanoTime() - c0) / 1e9);

        Connection db = null;
        double sqliteInsertS = 0;
        double sqliteIndexS = 0;
        if (!noSqlite) {
            db = DriverManager.getConnection("jdbc:sqlite::memory:");
            long s0 = System.nanoTime();
            sqliteInsert(db, chain);
            long s1 = System.nanoTime();
            try (Statement st = db.createStatement()) {
                st.execute("CREATE INDEX logs_address ON logs(address, block, idx)");
                st.execute("CREATE INDEX logs_topic0 ON logs(topic0, block, idx)");
                st.execute("ANALYZE");
            }
            long s2 = System.nanoTime();
            sqliteInsertS = (s1 - s0) / 1e9;
            sqliteIndexS = (s2 - s1) / 1e9;
            out.printf("sqlite ingest: %,.0f logs/s insert + index build (insert %.2f s, index %.2f s)%n",
                    total / (sqliteInsertS + sqliteIndexS), sqliteInsertS, sqliteIndexS);
            out.printf("ingest ratio:  fli is %.1fx the throughput of sqlite insert + index build%n",
                    (sqliteInsertS + sqliteIndexS) / fliIngestS);
        }

        QueryMix mix = new QueryMix(gen, config.maxOrTerms());
        SplittableRandom r = new SplittableRandom(seed * 31 + 1);
        // Every class warms up before any is measured (both engines, the same queries), so the first class measured
        // does not pay for the JIT and the garbage of the ingests that the later ones find done.
        int[] terms = {1, 4, 256};
        for (int t : terms) {
            measure("warm-up", index, db, mix, r, t, warmup, 0);
        }
        List<Row> rows = new ArrayList<>();
        rows.add(measure("selective address", index, db, mix, r, 1, warmup, queries));
        rows.add(measure("4-term address OR", index, db, mix, r, 4, warmup, queries));
        rows.add(measure("256-term address OR", index, db, mix, r, 256, warmup, queries));

        out.println();
        out.println("| query class | mean results | fli p50 ms | fli p99 ms | sqlite p50 ms | sqlite p99 ms "
                + "| p50 ratio (sqlite/fli) |");
        out.println("|---|---:|---:|---:|---:|---:|---:|");
        for (Row row : rows) {
            out.printf("| %s | %.1f | %.4f | %.4f | %s | %s | %s |%n", row.name, row.meanResults, ms(row.fli, 50),
                    ms(row.fli, 99), row.sqlite == null ? "-" : String.format("%.4f", ms(row.sqlite, 50)),
                    row.sqlite == null ? "-" : String.format("%.4f", ms(row.sqlite, 99)),
                    row.sqlite == null ? "-" : String.format("%.1fx", ms(row.sqlite, 50) / ms(row.fli, 50)));
        }
        out.println();
        out.println("fli median µs (queries) by result count: where a query's time goes, before its first result and "
                + "per result:");
        out.println("| query class | " + String.join(" | ", BUCKETS) + " |");
        out.println("|---|" + "---:|".repeat(BUCKETS.length));
        for (Row row : rows) {
            StringBuilder line = new StringBuilder("| " + row.name + " |");
            for (int k = 0; k < BUCKETS.length; k++) {
                Histogram h = row.byResults[k];
                line.append(h.getTotalCount() == 0 ? " - |"
                        : String.format(" %.1f (%d) |", h.getValueAtPercentile(50) / 1e3, h.getTotalCount()));
            }
            out.println(line);
        }
        var st = index.stats();
        out.printf("fli cache after the queries: %,d of %,d bytes, %,d hits, %,d misses, %,d evictions%n",
                st.cacheWeightBytes(), st.cacheLimitBytes(), st.cacheHits(), st.cacheMisses(), st.cacheEvictions());
        if (db != null) {
            db.close();
        }
        return 0;
    }

    private static double ms(Histogram h, double percentile) {
        return h.getValueAtPercentile(percentile) / 1e6;
    }

    private Writer lastWriter;

    private LogIndex ingest(IndexConfig config, List<Block> chain) {
        lastWriter = null; // it holds the previous index
        LogIndex index = LogIndex.open(MetaStore.inMemory(), BlobStore.inMemory(), config);
        lastWriter = publishAll(index, chain, batchBlocks);
        return index;
    }

    /** Takes the lease and publishes {@code chain} in batches of {@code batch} blocks; returns the writer. */
    static Writer publishAll(LogIndex index, List<Block> chain, int batch) {
        Writer w = index.writer("bench");
        w.acquire();
        for (int i = 0; i < chain.size(); i += batch) {
            w.publish(chain.subList(i, Math.min(chain.size(), i + batch)));
        }
        return w;
    }

    /** A seeded chain of at least {@code logs} logs. */
    static List<Block> chain(ChainGenerator gen, long logs) {
        return gen.blocksHolding(logs);
    }

    /**
     * The benchmark's limits: generous enough for 256-term OR-lists over the whole chain; segments in the newest
     * format (a fresh index no older process reads: docs/upgrade.md).
     */
    static IndexConfig config() {
        return IndexConfig.defaults().withMaxOrTerms(1_024).withMaxResults(10_000_000)
                .withMaxBlockRange(Long.MAX_VALUE / 4).withSegmentFormat(3);
    }

    private static void sqliteInsert(Connection db, List<Block> chain) throws SQLException {
        try (Statement st = db.createStatement()) {
            st.execute("PRAGMA journal_mode=OFF");
            st.execute("PRAGMA synchronous=OFF");
            // The fields an eth_getLogs answer carries, as fli returns them: block number and hash, log index,
            // transaction index and hash, address, topics, data.
            st.execute("CREATE TABLE logs(block INTEGER, blockhash TEXT, idx INTEGER, tx INTEGER, txhash TEXT, "
                    + "address TEXT, topic0 TEXT, topic1 TEXT, topic2 TEXT, topic3 TEXT, data TEXT)");
        }
        db.setAutoCommit(false);
        try (PreparedStatement ps = db.prepareStatement("INSERT INTO logs VALUES (?,?,?,?,?,?,?,?,?,?,?)")) {
            int pending = 0;
            for (Block b : chain) {
                for (Log l : b.logs()) {
                    ps.setLong(1, b.number());
                    ps.setString(2, b.hash());
                    ps.setInt(3, l.index());
                    ps.setInt(4, l.tx());
                    ps.setString(5, l.txHash());
                    ps.setString(6, l.address());
                    for (int t = 0; t < 4; t++) {
                        ps.setString(7 + t, t < l.topics().size() ? l.topics().get(t) : null);
                    }
                    ps.setString(11, l.data());
                    ps.addBatch();
                    if (++pending == 10_000) {
                        ps.executeBatch();
                        pending = 0;
                    }
                }
            }
            ps.executeBatch();
        }
        db.commit();
        db.setAutoCommit(true);
    }

    /** One SQLite row: every field fli's answer carries, so both engines do the same work and are compared whole. */
    record SqlRow(long block, String blockHash, int idx, int tx, String txHash, String address, List<String> topics,
                  String data) {
    }

    private static List<SqlRow> sqliteQuery(Connection db, List<String> addrs) throws SQLException {
        String sql = "SELECT block, blockhash, idx, tx, txhash, address, topic0, topic1, topic2, topic3, data FROM logs "
                + "WHERE address IN (" + String.join(",", Collections.nCopies(addrs.size(), "?"))
                + ") ORDER BY block, idx";
        List<SqlRow> rows = new ArrayList<>();
        try (PreparedStatement ps = db.prepareStatement(sql)) {
            for (int i = 0; i < addrs.size(); i++) {
                ps.setString(i + 1, addrs.get(i));
            }
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    List<String> topics = new ArrayList<>(4);
                    for (int t = 7; t <= 10; t++) {
                        String v = rs.getString(t);
                        if (v != null) {
                            topics.add(v);
                        }
                    }
                    rows.add(new SqlRow(rs.getLong(1), rs.getString(2), rs.getInt(3), rs.getInt(4), rs.getString(5),
                            rs.getString(6), topics, rs.getString(11)));
                }
            }
        }
        return rows;
    }

    private Row measure(String name, LogIndex index, Connection db, QueryMix mix, SplittableRandom r, int terms,
                        int warmup, int queries) throws SQLException {
        Histogram fli = new Histogram(3);
        Histogram sqlite = db == null ? null : new Histogram(3);
        Histogram[] byResults = new Histogram[BUCKETS.length];
        for (int k = 0; k < byResults.length; k++) {
            byResults[k] = new Histogram(3);
        }
        long results = 0;
        for (int i = 0; i < warmup + queries; i++) {
            List<String> addrs = mix.uniformAddresses(r, terms);
            LogQuery q = LogQuery.range(null, null, addrs, null);
            long a = System.nanoTime();
            QueryResult res = index.query(q);
            long b = System.nanoTime();
            List<SqlRow> rows = null;
            if (db != null) {
                rows = sqliteQuery(db, addrs);
            }
            long c = System.nanoTime();
            if (rows != null) {
                verifySame(name, res.logs(), rows);
            }
            if (i >= warmup) {
                fli.recordValue(b - a);
                byResults[bucket(res.logs().size())].recordValue(b - a);
                if (sqlite != null) {
                    sqlite.recordValue(c - b);
                }
                results += res.logs().size();
            }
        }
        return new Row(name, fli, sqlite, results / (double) Math.max(1, queries), byResults);
    }

    /** The two answers must agree in every field (a bench of different work would compare nothing). */
    static void verifySame(String name, List<MatchedLog> fli, List<SqlRow> sqlite) {
        if (fli.size() != sqlite.size()) {
            throw new IllegalStateException(name + ": fli returned " + fli.size() + " logs, sqlite " + sqlite.size());
        }
        for (int i = 0; i < fli.size(); i++) {
            MatchedLog f = fli.get(i);
            SqlRow s = sqlite.get(i);
            Log l = f.log();
            if (f.block() != s.block() || l.index() != s.idx() || !f.blockHash().equals(s.blockHash())
                    || l.tx() == null || l.tx() != s.tx() || !java.util.Objects.equals(l.txHash(), s.txHash())
                    || !l.address().equals(s.address()) || !l.topics().equals(s.topics())
                    || !java.util.Objects.equals(l.data(), s.data())) {
                throw new IllegalStateException(name + ": result " + i + " differs between fli (block " + f.block()
                        + ", log " + l.index() + ") and sqlite (block " + s.block() + ", log " + s.idx() + ")");
            }
        }
    }
}
