package io.fli.faults.net;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import eu.rekawek.toxiproxy.Proxy;
import eu.rekawek.toxiproxy.ToxiproxyClient;
import eu.rekawek.toxiproxy.model.ToxicDirection;
import eu.rekawek.toxiproxy.model.toxic.Latency;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Arrays;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The in-JVM Toxiproxy, driven only through {@code toxiproxy-java} (the client real Toxiproxy servers are driven
 * with): the API answers as Toxiproxy does, each toxic has the effect it names, measured on a loopback echo server,
 * and removing it restores normal traffic.
 */
class ToxiproxyServerTest {
    private ToxiproxyServer server;
    private ToxiproxyClient client;
    private ServerSocket echo;
    private Proxy proxy;

    @BeforeEach
    void start() throws IOException {
        server = ToxiproxyServer.start();
        client = new ToxiproxyClient(server.host(), server.port());
        echo = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread t = new Thread(this::echoLoop, "echo");
        t.setDaemon(true);
        t.start();
        proxy = client.createProxy("echo", "127.0.0.1:0", "127.0.0.1:" + echo.getLocalPort());
    }

    @AfterEach
    void stop() throws IOException {
        server.close();
        echo.close();
    }

    private void echoLoop() {
        while (!echo.isClosed()) {
            try {
                Socket s = echo.accept();
                Thread t = new Thread(() -> {
                    try (s) {
                        s.getInputStream().transferTo(s.getOutputStream());
                    } catch (IOException ignored) {
                        // the client went away
                    }
                });
                t.setDaemon(true);
                t.start();
            } catch (IOException e) {
                return;
            }
        }
    }

    private Socket connect() throws IOException {
        String[] hp = proxy.getListen().split(":");
        Socket s = new Socket(hp[0], Integer.parseInt(hp[1]));
        s.setSoTimeout(5_000);
        s.setTcpNoDelay(true);
        return s;
    }

    /** Milliseconds for one small message to go through the proxy and back. */
    private static long roundTrip(Socket s) throws IOException {
        long t0 = System.nanoTime();
        s.getOutputStream().write(new byte[] {42});
        s.getOutputStream().flush();
        assertThat(s.getInputStream().read()).isEqualTo(42);
        return (System.nanoTime() - t0) / 1_000_000;
    }

    private static int readUntilEof(InputStream in) throws IOException {
        int total = 0;
        byte[] buf = new byte[8192];
        for (int n; (n = in.read(buf)) >= 0; ) {
            total += n;
        }
        return total;
    }

    @Test
    void theApiAnswersLikeToxiproxy() throws Exception {
        assertThat(client.version()).isEqualTo(ToxiproxyServer.VERSION);
        assertThat(proxy.isEnabled()).isTrue();
        assertThat(proxy.getListen()).matches("127\\.0\\.0\\.1:\\d+").isNotEqualTo("127.0.0.1:0");
        assertThat(client.getProxies()).extracting(Proxy::getName).containsExactly("echo");
        assertThat(client.getProxy("echo").getUpstream()).isEqualTo("127.0.0.1:" + echo.getLocalPort());

        assertThatThrownBy(() -> client.createProxy("echo", "127.0.0.1:0", "127.0.0.1:1"))
                .isInstanceOf(IOException.class).hasMessage("[409] proxy already exists");
        assertThatThrownBy(() -> client.getProxy("nope")).isInstanceOf(IOException.class)
                .hasMessage("[404] proxy not found");
        assertThat(client.getProxyOrNull("nope")).isNull();
        assertThatThrownBy(() -> proxy.toxics().get("nope")).isInstanceOf(IOException.class)
                .hasMessage("[404] toxic not found");
        assertThatThrownBy(() -> client.createProxy("far", "127.0.0.1:0", "10.1.2.3:9042"))
                .isInstanceOf(IOException.class).hasMessageContaining("[400]").hasMessageContaining("loopback");

        Latency l = proxy.toxics().latency("slow", ToxicDirection.DOWNSTREAM, 100);
        assertThat(l.getLatency()).isEqualTo(100);
        assertThat(l.setJitter(7).getJitter()).isEqualTo(7);
        assertThat(((Latency) proxy.toxics().get("slow")).getJitter()).isEqualTo(7);
        assertThatThrownBy(() -> proxy.toxics().latency("slow", ToxicDirection.UPSTREAM, 1))
                .isInstanceOf(IOException.class).hasMessage("[409] toxic already exists");
        assertThat(proxy.toxics().getAll()).extracting(t -> t.getName()).containsExactly("slow");
        l.remove();
        assertThat(proxy.toxics().getAll()).isEmpty();
        assertThatThrownBy(l::remove).isInstanceOf(IOException.class);

        // What the client cannot send: an unknown toxic type, a bad body, an unknown path.
        HttpClient http = HttpClient.newHttpClient();
        String base = "http://" + server.host() + ":" + server.port();
        HttpResponse<String> bad = http.send(HttpRequest.newBuilder(URI.create(base + "/proxies/echo/toxics"))
                .POST(HttpRequest.BodyPublishers.ofString("{\"type\":\"gremlins\"}")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(bad.statusCode()).isEqualTo(400);
        assertThat(bad.body()).isEqualTo("{\"error\":\"invalid toxic type\",\"status\":400}");
        HttpResponse<String> junk = http.send(HttpRequest.newBuilder(URI.create(base + "/proxies"))
                .POST(HttpRequest.BodyPublishers.ofString("{not json")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(junk.statusCode()).isEqualTo(400);
        assertThat(junk.body()).contains("bad request body");
        HttpResponse<String> none = http.send(HttpRequest.newBuilder(URI.create(base + "/populate"))
                .POST(HttpRequest.BodyPublishers.ofString("[]")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(none.statusCode()).isEqualTo(404);

        proxy.delete();
        assertThatThrownBy(() -> client.getProxy("echo")).hasMessage("[404] proxy not found");
    }

    @Test
    void latencyAddsItsDelayWithinToleranceAndRemovingItRestoresSpeed() throws IOException {
        try (Socket s = connect()) {
            roundTrip(s);
            assertThat(roundTrip(s)).isLessThan(100);
            Latency l = proxy.toxics().latency("lat", ToxicDirection.DOWNSTREAM, 200).setJitter(20);
            for (int i = 0; i < 5; i++) {
                assertThat(roundTrip(s)).isBetween(175L, 400L);
            }
            l.remove();
            assertThat(roundTrip(s)).isLessThan(100);
        }
    }

    @Test
    void aToxicWithToxicityZeroDoesNothing() throws IOException {
        proxy.toxics().latency("lat", ToxicDirection.DOWNSTREAM, 300).setToxicity(0f);
        try (Socket s = connect()) {
            assertThat(roundTrip(s)).isLessThan(150);
        }
    }

    @Test
    void aTimeoutHangsTheConnectionUntilTheClientTimesOutThenRemovingItRestoresTraffic() throws IOException {
        proxy.toxics().timeout("hang", ToxicDirection.DOWNSTREAM, 0);
        try (Socket s = connect()) {
            s.setSoTimeout(500);
            s.getOutputStream().write(1);
            assertThatThrownBy(() -> s.getInputStream().read()).isInstanceOf(SocketTimeoutException.class);
        }
        proxy.toxics().get("hang").remove();
        try (Socket s = connect()) {
            assertThat(roundTrip(s)).isLessThan(100);
        }
    }

    @Test
    void aTimeoutWithADurationClosesTheConnectionAfterIt() throws IOException {
        proxy.toxics().timeout("hang", ToxicDirection.UPSTREAM, 300);
        try (Socket s = connect()) {
            long t0 = System.nanoTime();
            s.getOutputStream().write(1);
            assertThat(readUntilEof(s.getInputStream())).isZero(); // the byte never arrived; then the close
            assertThat((System.nanoTime() - t0) / 1_000_000).isBetween(250L, 2_000L);
        }
    }

    @Test
    void resetPeerResetsTheConnection() throws IOException {
        try (Socket s = connect()) {
            roundTrip(s);
            proxy.toxics().resetPeer("rst", ToxicDirection.DOWNSTREAM, 0);
            assertThatThrownBy(() -> {
                for (int i = 0; i < 50; i++) {
                    roundTrip(s);
                    Thread.sleep(20);
                }
            }).isInstanceOf(SocketException.class).hasMessageContaining("reset");
        }
        proxy.toxics().get("rst").remove();
        try (Socket s = connect()) {
            assertThat(roundTrip(s)).isLessThan(100);
        }
    }

    @Test
    void aDisabledProxyRefusesConnectionsAndEnablingItRestoresThem() throws IOException {
        Socket open = connect();
        roundTrip(open);
        proxy.disable();
        assertThat(proxy.isEnabled()).isFalse();
        assertThat(open.getInputStream().read()).isEqualTo(-1); // open connections are closed
        assertThatThrownBy(this::connect).isInstanceOf(ConnectException.class)
                .hasMessageContaining("refused");
        proxy.enable();
        try (Socket s = connect()) {
            assertThat(roundTrip(s)).isLessThan(100);
        }
        open.close();
    }

    @Test
    void bandwidthCapsThroughput() throws Exception {
        byte[] payload = new byte[1_000_000];
        Arrays.fill(payload, (byte) 7);
        long unthrottled = transfer(payload);
        proxy.toxics().bandwidth("bw", ToxicDirection.DOWNSTREAM, 1_000); // 1,000 KB/s: 1 s for the payload
        long throttled = transfer(payload);
        assertThat(unthrottled).isLessThan(500);
        assertThat(throttled).isBetween(870L, 3_000L); // at most 1.15x the cap
        proxy.toxics().get("bw").remove();
        assertThat(transfer(payload)).isLessThan(500);
    }

    /** Milliseconds to send {@code payload} through the echo and read it all back. */
    private long transfer(byte[] payload) throws Exception {
        try (Socket s = connect()) {
            long t0 = System.nanoTime();
            Thread w = new Thread(() -> {
                try {
                    OutputStream out = s.getOutputStream();
                    out.write(payload);
                    out.flush();
                } catch (IOException ignored) {
                    // the read side reports
                }
            });
            w.start();
            byte[] back = s.getInputStream().readNBytes(payload.length);
            w.join();
            assertThat(back).isEqualTo(payload);
            return (System.nanoTime() - t0) / 1_000_000;
        }
    }

    @Test
    void limitDataClosesTheConnectionAfterThatManyBytes() throws IOException {
        proxy.toxics().limitData("limit", ToxicDirection.DOWNSTREAM, 1_000);
        try (Socket s = connect()) {
            s.getOutputStream().write(new byte[5_000]);
            s.getOutputStream().flush();
            assertThat(readUntilEof(s.getInputStream())).isEqualTo(1_000);
        }
    }

    @Test
    void slicerDeliversEveryByteInSmallPieces() throws Exception {
        proxy.toxics().slicer("slices", ToxicDirection.DOWNSTREAM, 100, 1_000).setSizeVariation(50);
        byte[] payload = new byte[20_000];
        new java.util.Random(3).nextBytes(payload);
        assertThat(transfer(payload)).isGreaterThan(0);
    }

    @Test
    void resetRemovesEveryToxicAndEnablesEveryProxy() throws IOException {
        proxy.toxics().latency("lat", ToxicDirection.DOWNSTREAM, 500);
        proxy.disable();
        client.reset();
        assertThat(client.getProxy("echo").isEnabled()).isTrue();
        assertThat(proxy.toxics().getAll()).isEmpty();
        try (Socket s = connect()) {
            assertThat(roundTrip(s)).isLessThan(100);
        }
    }
}
