package io.fli.benchmarks;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Collection;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.Options;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

/**
 * The short profile of the JMH suite: every benchmark runs once, in this JVM, on small inputs, and yields a
 * positive finite score. The figures mean nothing here; {@code java -jar benchmarks/target/benchmarks.jar} measures.
 */
class BenchmarksSmokeTest {
    @Test
    void everyBenchmarkRunsAndScores() throws Exception {
        Options opts = new OptionsBuilder()
                .include("io\\.fli\\..*Bench\\..*")
                .forks(0)
                .warmupIterations(0)
                .measurementIterations(1)
                .measurementTime(TimeValue.milliseconds(200))
                .param("logs", "60000") // two batches of 1,000 blocks: a real merge
                .param("ops", "2000")
                .param("blocks", "200")
                .shouldFailOnError(true)
                .build();
        Collection<RunResult> results = new Runner(opts).run();
        Map<String, Double> scores = new TreeMap<>();
        for (RunResult r : results) {
            String name = r.getParams().getBenchmark();
            String terms = r.getParams().getParam("terms");
            scores.put(name.substring(name.lastIndexOf('.', name.lastIndexOf('.') - 1) + 1)
                    + (terms == null ? "" : "[" + terms + "]"), r.getPrimaryResult().getScore());
        }
        assertThat(scores.keySet()).containsExactlyInAnyOrder(
                "CheckerBench.check", "CheckerBench.parse",
                "CodecBench.encodeBatch", "CodecBench.packDecodeWhole", "CodecBench.packDecodeChunk",
                "CodecBench.packReadLog", "CodecBench.segmentDecodeWhole", "CodecBench.segmentReadHead",
                "PlannerBench.plan[1]", "PlannerBench.plan[4]", "PlannerBench.plan[256]",
                "PlannerBench.query[1]", "PlannerBench.query[4]", "PlannerBench.query[256]");
        assertThat(scores.values()).allSatisfy(s -> assertThat(s).isPositive().isFinite());
    }
}
