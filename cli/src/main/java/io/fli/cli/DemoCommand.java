package io.fli.cli;

import io.fli.engine.Block;
import io.fli.engine.BlobStore;
import io.fli.engine.IndexConfig;
import io.fli.engine.LogIndex;
import io.fli.engine.LogQuery;
import io.fli.engine.MatchedLog;
import io.fli.engine.MetaStore;
import io.fli.engine.QueryResult;
import io.fli.engine.Writer;
import io.fli.workloads.ChainGenerator;
import io.fli.workloads.ExpectedAnswers;
import io.fli.workloads.QueryMix;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** Ingests a generated chain into an in-memory index and checks every query against a brute-force scan. */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Ingest a seeded chain into an in-memory index, run a query mix, and compare every answer "
                + "with a brute-force scan. Exit 0 when all answers are exact, 1 otherwise.")
final class DemoCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--seed", description = "Seed of the chain and the queries (default: ${DEFAULT-VALUE}).")
    long seed = 1;

    @Option(names = "--blocks", description = "Blocks to ingest (default: ${DEFAULT-VALUE}).")
    int blocks = 2_000;

    @Option(names = "--batch", description = "Blocks per publish (default: ${DEFAULT-VALUE}).")
    int batch = 50;

    @Option(names = "--queries", description = "Queries to run and verify (default: ${DEFAULT-VALUE}).")
    int queries = 500;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        Inputs.atLeast(spec, "--blocks", blocks, 1);
        Inputs.atLeast(spec, "--batch", batch, 1);
        Inputs.atLeast(spec, "--queries", queries, 0);
        ChainGenerator gen = new ChainGenerator(ChainGenerator.Shape.defaults(seed).withCardinality(5_000, 200, 10_000));
        List<Block> chain = gen.blocks(0, blocks);
        IndexConfig config = IndexConfig.defaults();
        try (MetaStore meta = MetaStore.inMemory(); BlobStore blobs = BlobStore.inMemory();
             LogIndex index = LogIndex.open(meta, blobs, config)) {
            Writer w = index.writer("demo");
            long epoch = w.acquire();
            long logs = 0;
            long t0 = System.nanoTime();
            for (int i = 0; i < chain.size(); i += batch) {
                logs += w.publish(chain.subList(i, Math.min(chain.size(), i + batch))).logsIndexed();
            }
            long ingestMs = (System.nanoTime() - t0) / 1_000_000;
            out.printf("ingested %,d blocks, %,d logs in %,d ms (writer epoch %d); head %d%n", blocks, logs, ingestMs,
                    epoch, index.head());
            QueryMix mix = new QueryMix(gen, config.maxOrTerms());
            SplittableRandom r = new SplittableRandom(seed);
            int exact = 0;
            long returned = 0;
            List<String> wrong = new ArrayList<>();
            for (int i = 0; i < queries; i++) {
                LogQuery q = mix.next(r, 0, blocks - 1);
                QueryResult res = index.query(q);
                List<MatchedLog> expected = ExpectedAnswers.answer(chain, q, res.head());
                returned += res.logs().size();
                if (expected.equals(res.logs())) {
                    exact++;
                } else if (wrong.size() < 5) {
                    wrong.add(q + ": expected " + expected.size() + " logs, got " + res.logs().size());
                }
            }
            out.printf("ran %d queries (%,d logs returned): %d exact, %d wrong%n", queries, returned, exact,
                    queries - exact);
            wrong.forEach(s -> out.println("  WRONG " + s));
            out.println("health: " + index.health().status());
            return exact == queries ? 0 : 1;
        }
    }
}
