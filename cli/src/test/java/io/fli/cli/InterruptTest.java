package io.fli.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Ctrl-C on {@code fli test} loses nothing: the partial history is checked, written and linked as store/latest. */
class InterruptTest {
    @TempDir
    Path dir;

    @Test
    void ctrlCChecksThePartialHistoryWritesResultsAndPointsLatestAtIt() throws Exception {
        // A process tree started in the background by a shell ignores SIGINT, and the JVM keeps an ignored SIGINT
        // ignored: there, Ctrl-C cannot reach fli test at all (two CI runs launched with '&' failed this way).
        assumeFalse(sigintIgnored(), "SIGINT is ignored in this process tree (started in the background by a "
                + "shell); its children cannot receive Ctrl-C");
        Path store = dir.resolve("store");
        Path out = dir.resolve("out.txt");
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp",
                System.getProperty("java.class.path"), Main.class.getName(), "test", "--backend", "memory",
                "--time", "10m", "--store", store.toString()).redirectErrorStream(true)
                .redirectOutput(out.toFile()).start();
        try {
            // Wait (generously) until the run is under way: its history has a good number of lines.
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
            while (System.nanoTime() < deadline && historyLines(store) < 2_000) {
                Thread.sleep(200);
            }
            assertThat(historyLines(store)).as("the run got going").isGreaterThanOrEqualTo(2_000);
            // SIGINT to the process this test started, by its PID: what Ctrl-C sends.
            new ProcessBuilder("kill", "-INT", Long.toString(p.pid())).inheritIO().start().waitFor();
            boolean exited = p.waitFor(180, TimeUnit.SECONDS);
            if (!exited) {
                // Say why: the child's threads and what it printed (a CI run once saw it not exit in 180 s).
                Path dump = dir.resolve("jstack.txt");
                new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "jstack").toString(),
                        Long.toString(p.pid())).redirectErrorStream(true).redirectOutput(dump.toFile()).start()
                        .waitFor(60, TimeUnit.SECONDS);
                String threads = Files.exists(dump) ? Files.readString(dump) : "(no jstack)";
                Files.copy(dump, Path.of("target", "interrupt-test-jstack.txt"),
                        java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                throw new AssertionError("fli test did not exit within 180 s of Ctrl-C; it printed:\n"
                        + Files.readString(out, StandardCharsets.UTF_8) + "\nthreads:\n" + threads);
            }
        } finally {
            p.destroyForcibly();
        }
        assertThat(p.exitValue()).isEqualTo(130);
        String printed = Files.readString(out, StandardCharsets.UTF_8);
        assertThat(printed).contains("interrupted: the run was stopped early", "run folder:");
        assertThat(printed).containsPattern("(VALID|INVALID|UNKNOWN): \\d+ operations");
        Path latest = store.resolve("latest");
        assertThat(latest).exists();
        assertThat(latest.resolve("results.json")).exists();
        assertThat(latest.resolve("timeline.html")).exists();
        assertThat(Files.readString(latest.resolve("results.json"))).contains("\"valid\"");
        // The run log moved into the run folder, even for an interrupted run.
        assertThat(latest.resolve("fli.log")).exists();
        assertThat(Files.readString(latest.resolve("fli.log"))).contains("INFO", "fli test --backend memory");
    }

    private static long historyLines(Path store) throws Exception {
        Path runs = store.resolve("ingest-query");
        if (!Files.isDirectory(runs)) {
            return 0;
        }
        try (var ds = Files.list(runs)) {
            List<Path> all = ds.toList();
            long n = 0;
            for (Path r : all) {
                Path h = r.resolve("history.jsonl");
                if (Files.exists(h)) {
                    try (var lines = Files.lines(h)) {
                        n = Math.max(n, lines.count());
                    }
                }
            }
            return n;
        }
    }

    /** Whether this process ignores SIGINT (Linux: bit 2 of SigIgn in /proc/self/status); false when unknown. */
    static boolean sigintIgnored() {
        try {
            for (String l : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (l.startsWith("SigIgn:")) {
                    return (Long.parseUnsignedLong(l.substring(7).trim(), 16) & 0x2L) != 0;
                }
            }
        } catch (java.io.IOException | NumberFormatException e) {
            return false;
        }
        return false;
    }
}
