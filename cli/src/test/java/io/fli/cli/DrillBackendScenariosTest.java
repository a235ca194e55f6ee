package io.fli.cli;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The backend half of {@code fli drill} in a real Prometheus (the other half, and why halves: {@link DrillCommandTest}):
 * S3 down, CQL down, a stalling CQL node, throttling — each alert fires, each scenario recovers.
 */
class DrillBackendScenariosTest {
    @Test
    void theBackendScenariosFireTheirAlertsInARealPrometheusAndRecover(@TempDir Path dir) throws Exception {
        DrillCommandTest.drillInRealPrometheus(dir, DrillCommandTest.BACKEND_HALF, "status", "lease show");
    }
}
