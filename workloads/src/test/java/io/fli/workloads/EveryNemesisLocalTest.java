package io.fli.workloads;

import static org.assertj.core.api.Assertions.assertThat;

import io.fli.checker.Validity;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Runs on the local servers, continued from {@link TestRunTest}: the ingest-query and multi-writer workloads with every
 * nemesis (gate evidence), each fault taking its turn, the verdict valid; and a nemesis offering more faults than asked
 * for injecting only those asked for. A class of its own so that the second test fork (the module runs two) runs it
 * beside {@code TestRunTest}.
 */
class EveryNemesisLocalTest {
    @TempDir
    Path store;

    @Test
    void onlyTheFaultsAskedForAreInjectedEvenWhenANemesisOffersMore() throws Exception {
        // The network nemesis offers seven faults and the process nemesis two; asking for one gets just that one.
        TestRun.Result r = TestRunTest.run(store, "ingest-query", List.of("latency", "pause"), "local", 8, 3, 800);
        assertThat(r.check().valid()).as(io.fli.checker.Reports.text(r.check())).isEqualTo(Validity.VALID);
        assertThat(TestRunTest.count(r, "latency", "info")).isPositive();
        assertThat(TestRunTest.count(r, "pause", "info")).isPositive();
        for (String other : List.of("hang", "reset", "refuse", "bandwidth", "partition-meta", "partition-blob",
                "kill")) {
            assertThat(r.check().stats().byF()).as("fault %s was not asked for", other).doesNotContainKey(other);
        }
    }

    @ParameterizedTest(name = "{0} with every nemesis on local servers")
    @CsvSource({"ingest-query", "multi-writer"})
    void aRunWithEveryNemesisOnLocalServersIsValid(String workload) throws Exception {
        TestRunTest.everyNemesisOnLocalServers(store, workload);
    }
}
