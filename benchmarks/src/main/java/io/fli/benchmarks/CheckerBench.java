package io.fli.benchmarks;

import io.fli.checker.CheckResult;
import io.fli.checker.Checker;
import io.fli.checker.History;
import io.fli.workloads.SyntheticHistory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
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

/** The checker: parsing a history file, and checking the six invariants over a parsed one. */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class CheckerBench {
    /** Operations in the synthetic history (a correct index, as {@code fli bench-checker} writes). */
    @Param({"20000"})
    public int ops;

    private Path file;
    private History history;

    @Setup(Level.Trial)
    public void setup() throws IOException {
        file = Files.createTempFile("fli-jmh-history", ".jsonl");
        SyntheticHistory.write(file, ops, 5);
        history = History.read(file);
    }

    @TearDown(Level.Trial)
    public void delete() throws IOException {
        Files.deleteIfExists(file);
    }

    @Benchmark
    public History parse() throws IOException {
        return History.read(file);
    }

    @Benchmark
    public CheckResult check() {
        return Checker.check(history);
    }
}
