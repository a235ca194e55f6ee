package io.fli.backends;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import org.junit.jupiter.api.Test;

/** The S3 client's sockets turn Nagle's algorithm off, however OkHttp asks for them. */
class NoDelaySocketsTest {
    @Test
    void everySocketHasTcpNoDelay() throws Exception {
        MinioBlobStore.NoDelaySockets f = new MinioBlobStore.NoDelaySockets();
        try (ServerSocket server = new ServerSocket(0, 8, InetAddress.getLoopbackAddress());
             Socket unconnected = f.createSocket();
             Socket byName = f.createSocket("127.0.0.1", server.getLocalPort());
             Socket byAddress = f.createSocket(InetAddress.getLoopbackAddress(), server.getLocalPort())) {
            assertThat(unconnected.getTcpNoDelay()).isTrue();
            assertThat(byName.getTcpNoDelay()).isTrue();
            assertThat(byAddress.getTcpNoDelay()).isTrue();
            assertThat(new Socket().getTcpNoDelay()).as("the JVM's default, which this replaces").isFalse();
        }
    }
}
