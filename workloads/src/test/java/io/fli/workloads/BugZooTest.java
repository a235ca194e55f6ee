package io.fli.workloads;

import static org.assertj.core.api.Assertions.assertThat;

import io.fli.checker.Anomaly;
import io.fli.checker.CheckResult;
import io.fli.checker.IncrementalChecker;
import io.fli.checker.Invariant;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The harness catches what it claims: each bug-zoo variant, run briefly, is flagged under the invariant it breaks.
 * (Memory runs are deterministic, so this test always sees the same runs; a short run may hold no fault that
 * triggers a bug, so a variant gets up to three seeds here. The detection rate over many seeds at the default length
 * is measured by {@code fli bug-zoo} and recorded in docs/performance.md.)
 */
class BugZooTest {
    @TempDir
    Path store;

    static List<String> bugs() {
        return Bugs.ZOO.stream().map(Bugs.Bug::name).toList();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("bugs")
    void eachBrokenEngineIsFlaggedUnderTheInvariantItBreaks(String name) throws Exception {
        Bugs.Bug b = Bugs.named(name);
        List<Set<Invariant>> seen = new ArrayList<>();
        for (long seed = 1; seed <= 3; seed++) {
            TestConfig cfg = new TestConfig(b.workload(), b.nemesis(), "memory", Duration.ofSeconds(6), seed, 5, 8,
                    Duration.ofMillis(700), store, name);
            TestRun.Result r = TestRun.run(cfg, new PrintWriter(new StringWriter()));
            sameFromTheStreamingChecker(r, name + " seed " + seed);
            Set<Invariant> found = r.check().anomalies().stream().map(Anomaly::invariant).collect(Collectors.toSet());
            seen.add(found);
            if (found.contains(b.breaks())) {
                return;
            }
        }
        throw new AssertionError(name + " was not flagged under " + b.breaks().wire() + " in 3 seeds; found " + seen);
    }

    /**
     * The differential test on recorded runs: the streaming checker, with every settled block on disk, gives the
     * batch checker's verdicts, anomalies and stats for the run's history.
     */
    static void sameFromTheStreamingChecker(TestRun.Result r, String what) throws Exception {
        IncrementalChecker.Outcome o = IncrementalChecker.check(r.dir().resolve("history.jsonl"), a -> { },
                new IncrementalChecker.Memory(1, 0));
        CheckResult batch = r.check();
        String as = what + " (" + (o.inexact() == null ? "decided streaming" : "batch: " + o.inexact()) + ")";
        assertThat(o.result().valid()).as(as).isEqualTo(batch.valid());
        assertThat(o.result().invariants()).as(as).isEqualTo(batch.invariants());
        assertThat(o.result().anomalies()).as(as).containsExactlyElementsOf(batch.anomalies());
        assertThat(o.result().stats()).as(as).isEqualTo(batch.stats());
        STREAMING.add(o.inexact() == null);
    }

    /** For each recorded run: whether the streaming checker decided it alone. */
    static final List<Boolean> STREAMING = java.util.Collections.synchronizedList(new ArrayList<>());

    @org.junit.jupiter.api.AfterAll
    static void mostRecordedRunsAreDecidedByTheStreamingCheckerAlone() {
        long alone = STREAMING.stream().filter(x -> x).count();
        System.out.println("streaming checker alone on " + alone + " of " + STREAMING.size() + " recorded runs");
        if (STREAMING.size() >= 10) {
            assertThat(alone).as("recorded runs decided by the streaming checker alone").isGreaterThanOrEqualTo(
                    STREAMING.size() / 2);
        }
    }
}
