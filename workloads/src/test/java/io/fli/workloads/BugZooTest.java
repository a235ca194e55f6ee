package io.fli.workloads;

import static org.assertj.core.api.Assertions.assertThat;

import io.fli.checker.Anomaly;
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
            Set<Invariant> found = r.check().anomalies().stream().map(Anomaly::invariant).collect(Collectors.toSet());
            seen.add(found);
            if (found.contains(b.breaks())) {
                return;
            }
        }
        throw new AssertionError(name + " was not flagged under " + b.breaks().wire() + " in 3 seeds; found " + seen);
    }
}
