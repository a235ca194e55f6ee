package io.fli.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The sign-off report: each gate's status follows from the evidence found, never pass without it, and a bad piece of
 * evidence fails its gate.
 */
class ReportCommandTest {
    @TempDir
    Path dir;

    private void run(String name, String workload, String backend, String nemesis, boolean valid) throws Exception {
        run(name, workload, backend, nemesis, valid, 1);
    }

    private void run(String name, String workload, String backend, String nemesis, boolean valid, int nodes)
            throws Exception {
        Path d = Files.createDirectories(dir.resolve("store").resolve(workload).resolve(name));
        Files.writeString(d.resolve("test.json"), "{\"workload\":\"" + workload + "\",\"backend\":\"" + backend
                + "\",\"nodes\":" + nodes + ",\"nemesis\":[\"" + nemesis.replace(",", "\",\"") + "\"]}");
        if (nodes > 1) {
            Files.writeString(d.resolve("cas-unknown.json"), "{\"total\":7,\"applied\":3,\"not-applied\":4,"
                    + "\"unresolved\":0,\"by_fault\":{\"partition-nodes\":{\"total\":7,\"applied\":3}}}");
        }
        Files.writeString(d.resolve("results.json"), "{\"valid\":" + valid + ",\"anomaly_count\":" + (valid ? 0 : 1)
                + ",\"stats\":{\"ops\":100,\"by_f\":{\"query\":{\"ok\":50},\"kill\":{\"info\":2}}}}");
    }

    private void suite(String name, int failures) throws Exception {
        Path d = Files.createDirectories(dir.resolve("store/reports/target/surefire-reports"));
        Files.writeString(d.resolve("TEST-" + name + ".xml"), "<?xml version=\"1.0\"?>\n<testsuite name=\"" + name
                + "\" tests=\"3\" failures=\"" + failures + "\" errors=\"0\" skipped=\"0\">\n</testsuite>\n");
    }

    private void soak(boolean stable) throws Exception {
        Path d = Files.createDirectories(dir.resolve("store/soak/1"));
        Files.writeString(d.resolve("soak.json"), "{\"valid\":true,\"stable\":" + stable + ",\"interrupted\":false,"
                + "\"check\":{\"mode\":\"streaming\"},\"checks\":[]}");
    }

    private void slo(boolean pass) throws Exception {
        Path d = Files.createDirectories(dir.resolve("store/slo/1"));
        Files.writeString(d.resolve("results.json"), "{\"pass\":" + pass + ",\"figures\":[{\"name\":\"x\",\"pass\":"
                + pass + "}]}");
    }

    private Map<String, String> report() throws Exception {
        Path out = dir.resolve("report");
        CliTest.Run r = CliTest.fli("report", "--out", out.toString(), "--repo", dir.toString(),
                dir.resolve("store").toString());
        assertThat(r.out()).contains("report: ");
        JsonNode rep = new ObjectMapper().readTree(out.resolve("report.json").toFile());
        Map<String, String> status = new HashMap<>();
        rep.get("gates").forEach(g -> status.put(g.get("gate").asText(), g.get("status").asText()));
        assertThat(Files.readString(out.resolve("index.html"))).contains("fli sign-off report", "Gate A", "Gate E");
        assertThat(r.code()).isEqualTo(status.containsValue("fail") ? 1 : 0);
        return status;
    }

    @Test
    void nothingFoundIsMissingEverywhereNeverPass() throws Exception {
        Files.createDirectories(dir.resolve("store"));
        assertThat(report()).containsEntry("A", "missing").containsEntry("B", "missing").containsEntry("C", "missing")
                .containsEntry("D", "missing").containsEntry("E", "missing");
    }

    @Test
    void completeGoodEvidencePassesGatesAToC() throws Exception {
        run("1", "multi-writer", "local", "kill,pause", true);
        run("2", "ingest-query", "local", "corrupt,fork", true);
        run("3", "multi-writer", "local", "kill-node,pause-node,partition-nodes", true, 3);
        suite("io.fli.backends.ContentionTest", 0);
        suite("io.fli.engine.FencingTest", 0);
        suite("io.fli.backends.LocalClusterTest", 0);
        soak(true);
        slo(true);
        Map<String, String> s = report();
        assertThat(s).containsEntry("A", "pass").containsEntry("B", "pass").containsEntry("C", "pass");
        String page = Files.readString(dir.resolve("report/index.html"));
        assertThat(page).contains("multi-writer", "kill,pause", "1/1 valid", "Evidence artifacts", "3 CQL nodes",
                "unknown CAS outcomes 7 (3 applied, 4 not applied, 0 unresolved)");
        JsonNode rep = new ObjectMapper().readTree(dir.resolve("report/report.json").toFile());
        assertThat(rep.get("artifacts").get(1).get("status").asText()).isEqualTo("present");
        assertThat(rep.get("artifacts").get(4).get("status").asText()).isEqualTo("missing");
    }

    @Test
    void aSavedRunOfAPastFindingIsListedButNotCountedInAGate() throws Exception {
        completeGoodEvidencePassesGatesAToC();
        // The invalid run a finding keeps (docs/findings/DATE-NAME/test.json, results.json): history, not evidence.
        run("1", "findings", "local", "kill,pause", false);
        Path saved = dir.resolve("store/findings/1");
        assertThat(saved.resolve("results.json")).exists();
        Map<String, String> s = report();
        assertThat(s).containsEntry("A", "pass").containsEntry("B", "pass");
        JsonNode rep = new ObjectMapper().readTree(dir.resolve("report/report.json").toFile());
        assertThat(rep.get("test_runs").asInt()).isEqualTo(3);
        assertThat(rep.get("findings").get(0).asText()).endsWith("findings/1");
        assertThat(Files.readString(dir.resolve("report/index.html"))).contains("Saved runs of past findings");
        // The same run outside a findings folder fails gate B.
        run("2", "multi-writer", "local", "kill,pause", false);
        assertThat(report()).containsEntry("B", "fail");
    }

    @Test
    void eachBadPieceOfEvidenceFailsItsGate() throws Exception {
        run("1", "multi-writer", "local", "kill,pause", false);
        suite("io.fli.backends.ContentionTest", 1);
        suite("io.fli.engine.FencingTest", 0);
        soak(false);
        slo(true);
        Map<String, String> s = report();
        assertThat(s).containsEntry("A", "fail").containsEntry("B", "fail").containsEntry("C", "fail");
    }

    @Test
    void gateANeedsAMultiWriterRunOnAClusterWithNodeFaults() throws Exception {
        run("1", "multi-writer", "local", "kill,pause,crash,lease-loss", true);
        suite("io.fli.backends.ContentionTest", 0);
        suite("io.fli.engine.FencingTest", 0);
        suite("io.fli.backends.LocalClusterTest", 0);
        assertThat(report()).as("one CQL node only").containsEntry("A", "missing");
        assertThat(Files.readString(dir.resolve("report/index.html"))).contains("--nodes 3");
        run("2", "multi-writer", "local", "kill", true, 3);
        assertThat(report()).as("a cluster without node faults").containsEntry("A", "missing");
        run("3", "multi-writer", "local", "partition-nodes", true, 3);
        assertThat(report()).containsEntry("A", "pass");
        run("4", "multi-writer", "local", "kill-node", false, 3);
        assertThat(report()).as("an invalid cluster run").containsEntry("A", "fail");
    }

    @Test
    void memoryOnlyRunsAndAMissingSoakAreMissingEvidence() throws Exception {
        run("1", "multi-writer", "memory", "crash", true);
        slo(true);
        Map<String, String> s = report();
        assertThat(s).containsEntry("A", "missing").containsEntry("B", "missing").containsEntry("C", "missing");
    }

    @Test
    void gateEPassesOnlyWithTheReviewDocumentsAndPassingSecureProfileTests() throws Exception {
        for (String f : new String[]{"docs/security.md", "docker/minio-fli-app-policy.json",
                "docker/docker-compose.secure.yml"}) {
            Files.createDirectories(dir.resolve(f).getParent());
            Files.writeString(dir.resolve(f), "x");
        }
        Files.createDirectories(dir.resolve("store"));
        assertThat(report()).as("documents without the tests' reports").containsEntry("E", "missing");
        for (String n : new String[]{"io.fli.backends.SecureBackendsTest", "io.fli.cli.SecureTestCommandTest",
                "io.fli.backends.SecretsTest", "io.fli.cli.AdminCommandTest"}) {
            suite(n, 0);
        }
        assertThat(report()).containsEntry("E", "pass");
        suite("io.fli.backends.SecureBackendsTest", 1);
        assertThat(report()).as("a refusal test failed").containsEntry("E", "fail");
        suite("io.fli.backends.SecureBackendsTest", 0);
        Files.delete(dir.resolve("docker/docker-compose.secure.yml"));
        assertThat(report()).as("the Docker profile absent").containsEntry("E", "missing");
    }
}
