package io.fli.backends;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Ports for local servers: outside the ephemeral range, and chosen again when one is taken before the bind. */
class LocalServerPortsTest {
    @Test
    void freePortsAreBelowTheEphemeralRangeAndBindable() throws Exception {
        int[] ephemeral = LocalServer.ephemeralRange();
        for (int i = 0; i < 50; i++) {
            int port = LocalServer.freePort();
            assertThat(port).isLessThan(ephemeral[0]).isGreaterThanOrEqualTo(10000);
            try (ServerSocket s = new ServerSocket()) {
                s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
            }
        }
    }

    @Test
    void recognisesThePortInUseWordingsOfCassandraAndJetty() {
        assertThat(LocalServer.portInUse("/127.0.0.1:41087 is in use by another process.  Change listen_address"))
                .isTrue();
        assertThat(LocalServer.portInUse("java.net.BindException: Address already in use")).isTrue();
        assertThat(LocalServer.portInUse("Fatal configuration error; unable to start server.")).isFalse();
    }

    @Test
    void recognisesANodeThatGossipedBeforeItsSeedListened() {
        assertThat(LocalBackends.gossipedBeforeTheSeedListened(new IllegalStateException("cassandra 127.0.0.2 exited "
                + "with code 3 while starting; see x/console.log:\nException (java.lang.RuntimeException) encountered "
                + "during startup: Unable to gossip with any peers"))).isTrue();
        assertThat(LocalBackends.gossipedBeforeTheSeedListened(new IllegalStateException("cassandra 127.0.0.2 exited "
                + "with code 3 while starting: /127.0.0.2:7000 is in use by another process"))).isFalse();
    }

    @Test
    void aServerWhosePortWasTakenBeforeItsFirstStartStartsOnAnother(@TempDir Path dir) throws Exception {
        try (LocalS3Proxy s3 = new LocalS3Proxy(dir, "fli", "secret-" + System.nanoTime(), null)) {
            int taken = s3.readyPort();
            try (ServerSocket squatter = new ServerSocket()) {
                squatter.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), taken));
                s3.start();
                assertThat(s3.isRunning()).isTrue();
                assertThat(s3.readyPort()).isNotEqualTo(taken);
                assertThat(s3.endpoint()).endsWith(":" + s3.readyPort());
                assertThat(LocalServer.accepts(s3.readyPort())).isTrue();
            }
        }
    }

    @Test
    void aServerOnFixedPortsDoesNotMoveAndSaysWhichPortWasTaken(@TempDir Path dir) throws Exception {
        try (ServerSocket squatter = new ServerSocket()) {
            squatter.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), LocalServer.freePort()));
            int taken = squatter.getLocalPort();
            try (LocalS3Proxy s3 = new LocalS3Proxy(dir, taken, "fli", "secret-" + System.nanoTime(), null)) {
                org.assertj.core.api.Assertions.assertThatThrownBy(s3::start)
                        .isInstanceOf(IllegalStateException.class)
                        .hasMessageContaining("s3proxy")
                        .hasMessageContaining("127.0.0.1:" + taken + " is in use");
                assertThat(s3.readyPort()).isEqualTo(taken);
            }
        }
    }

    /** A start that fails half way (here Cassandra's folder is a file) stops what it started: no orphaned S3Proxy. */
    @Test
    void aFailedStartLeavesNoServerRunning(@TempDir Path dir) throws Exception {
        java.nio.file.Files.writeString(dir.resolve("cassandra"), "a file where Cassandra's folder should be");
        LocalBackends b = new LocalBackends(dir);
        try {
            org.assertj.core.api.Assertions.assertThatThrownBy(b::start).isInstanceOf(RuntimeException.class);
            assertThat(b.s3().pid()).as("S3Proxy started before Cassandra failed, and is stopped").isEqualTo(-1);
            assertThat(b.s3().isRunning()).isFalse();
        } finally {
            b.close(); // (a second close is a no-op)
        }
    }
}
