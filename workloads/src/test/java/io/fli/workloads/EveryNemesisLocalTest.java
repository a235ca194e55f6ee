package io.fli.workloads;

import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Gate evidence, continued from {@link TestRunTest}: the ingest-query and multi-writer workloads on the local servers
 * with every nemesis, each fault taking its turn, the verdict valid. A class of its own so that the second test fork
 * (the module runs two) runs it beside {@code TestRunTest}.
 */
class EveryNemesisLocalTest {
    @TempDir
    Path store;

    @ParameterizedTest(name = "{0} with every nemesis on local servers")
    @CsvSource({"ingest-query", "multi-writer"})
    void aRunWithEveryNemesisOnLocalServersIsValid(String workload) throws Exception {
        TestRunTest.everyNemesisOnLocalServers(store, workload);
    }
}
