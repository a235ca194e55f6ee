package io.fli.backends;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * A pause returns once the process is stopped: {@link LocalServer#awaitStopped} tells a stopped process (every thread
 * in state T) from a running or sleeping one. Signals only the child process it starts, by its PID.
 */
class PauseTest {
    @Test
    void awaitStoppedTellsAStoppedProcessFromARunningOne() throws Exception {
        Assumptions.assumeTrue(Files.isDirectory(Path.of("/proc/self/task")), "needs /proc");
        Process child = new ProcessBuilder("sleep", "120").start();
        try {
            assertThat(LocalServer.awaitStopped(child.pid(), Duration.ofMillis(300))).as("sleeping, not stopped")
                    .isFalse();
            Process stop = new ProcessBuilder("kill", "-STOP", Long.toString(child.pid())).start();
            assertThat(stop.waitFor(60, TimeUnit.SECONDS)).isTrue();
            assertThat(LocalServer.awaitStopped(child.pid(), Duration.ofSeconds(60))).as("after SIGSTOP").isTrue();
            Process cont = new ProcessBuilder("kill", "-CONT", Long.toString(child.pid())).start();
            assertThat(cont.waitFor(60, TimeUnit.SECONDS)).isTrue();
            assertThat(LocalServer.awaitStopped(child.pid(), Duration.ofMillis(300))).as("after SIGCONT").isFalse();
        } finally {
            child.destroyForcibly();
            child.waitFor(60, TimeUnit.SECONDS);
        }
    }
}
