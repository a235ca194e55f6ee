package io.fli.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fli.backends.CqlConfig;
import io.fli.backends.LocalBackends;
import io.fli.backends.S3Config;
import io.fli.backends.ScyllaMetaStore;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * docs/upgrade.md's procedure with two builds of fli on local servers: the previous release (tag {@code v0.1}, built
 * from this repository's history) writes; this build's query process answers the same; the writer is upgraded (this
 * build writes); then rolled back (the previous release writes again and reads everything this build wrote), and every
 * process answers every query the same way at the end. Skips where the tag is not in the clone (a shallow checkout).
 */
class UpgradeTest {
    private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
    private static final ObjectMapper JSON = new ObjectMapper();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final List<Process> started = new ArrayList<>();

    @TempDir
    Path dir;

    @Test
    void upgradeAndRollBackBetweenTwoBuildsOnLocalServers() throws Exception {
        assumeTrue(run(ROOT, Duration.ofMinutes(1), "git", "rev-parse", "--verify", "-q", "v0.1^{commit}") == 0,
                "tag v0.1 not in this clone (shallow checkout): no previous release to build");
        Path prev = Files.createDirectories(dir.resolve("v0.1"));
        assertThat(run(ROOT, Duration.ofMinutes(2), "bash", "-c", "git archive v0.1 | tar -x -C '" + prev + "'"))
                .as("git archive v0.1").isZero();
        assertThat(run(prev, Duration.ofMinutes(20), "mvn", "-q", "-B", "-DskipTests", "package", "-pl", "cli",
                "-am")).as("the previous release builds (see %s)", dir.resolve("build.log")).isZero();
        Path oldJar = prev.resolve("cli/target/fli.jar");
        assertThat(oldJar).exists();

        try (LocalBackends servers = new LocalBackends(dir.resolve("servers")).start()) {
            CqlConfig cql = servers.cql("fli");
            S3Config s3 = servers.s3("fli");
            try (ScyllaMetaStore m = ScyllaMetaStore.connect(cql)) {
                // schema created (the local servers' configuration migrates on connect): what 'fli admin migrate' does
                assertThat(m).isNotNull();
            }
            Map<String, String> env = new java.util.HashMap<>(cql.toEnvironment());
            env.putAll(s3.toEnvironment());

            // 1. The previous release is the writer.
            String oldWriter = serve(oldJar, env, true, "old-writer");
            long h1 = waitForHead(oldWriter, 60);
            // 2. Rolling upgrade, query processes first: this build answers as the previous release does. It is
            // configured to ask the holder at the address this build's writer will have (--holder-url): nothing
            // listens there yet, and the previous release has no /lease-view — either way it reads meta/state.
            int newWriterPort = io.fli.backends.LocalServer.freePort();
            // A holder timeout of seconds, not the default 20 ms: this test is about which state the reader answers
            // from, and on a loaded 2-core CI machine (two drills, a Maven build of v0.1 and three sets of servers
            // beside it) a just-started writer's answers took longer than 20 ms every time, so the reader read
            // meta/state for every query and the assertion below saw no answer from the holder.
            String newReader = serve(null, env, false, "new-reader", 0, List.of("--holder-url",
                    "http://127.0.0.1:" + newWriterPort, "--holder-timeout-ms", "5000"));
            assertSameAnswers(List.of(oldWriter, newReader), h1);
            // 3. The writer last: this build writes, and the reader now asks it which state is current.
            stop(0);
            String newWriter = serve(null, env, true, "new-writer", newWriterPort, List.of());
            long h2 = waitForHead(newWriter, h1 + 60);
            String oldReader = serve(oldJar, env, false, "old-reader");
            assertSameAnswers(List.of(newWriter, newReader, oldReader), h2);
            for (int i = 0; i < 50; i++) {
                assertThat(blockNumber(newReader)).as("the reader is not behind the head the writer had")
                        .isGreaterThanOrEqualTo(h2);
            }
            String readerMetrics = metrics(newReader);
            assertThat(holderViewAnswers(readerMetrics)).as("answers of the reader from the state the writer named; "
                    + "its metrics:%n%s", about(readerMetrics, "holder", "state_read", "backend_calls")).isPositive();
            // 4. Rollback: the previous release writes again, over what this build wrote. The reader's --holder-url
            // now points at no process: it reads meta/state and sees the previous release's new heads.
            stop(2); // the writer of this build
            String oldWriterAgain = serve(oldJar, env, true, "old-writer-again");
            long h3 = waitForHead(oldWriterAgain, h2 + 60);
            assertSameAnswers(List.of(oldWriterAgain, newReader, oldReader), h3);
            assertThat(blockNumber(newReader)).isGreaterThanOrEqualTo(h3);
            for (String url : List.of(oldWriterAgain, newReader, oldReader)) {
                assertThat(get(url + "/health")).as(url).contains("\"ok\"");
            }
        } finally {
            for (Process p : started) {
                p.destroy();
                if (!p.waitFor(30, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                }
            }
        }
    }

    /** Starts {@code fli serve --backend remote} of the old build ({@code jar}) or of this one (null). */
    private String serve(Path jar, Map<String, String> env, boolean follow, String name) throws Exception {
        return serve(jar, env, follow, name, 0, List.of());
    }

    /** As above, on {@code port} (0: a free one) and with {@code extra} options. */
    private String serve(Path jar, Map<String, String> env, boolean follow, String name, int port,
                         List<String> extra) throws Exception {
        if (port == 0) {
            port = io.fli.backends.LocalServer.freePort();
        }
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx384m", "-XX:+UseSerialGC"));
        if (jar == null) {
            cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), Main.class.getName()));
        } else {
            cmd.addAll(List.of("-jar", jar.toString()));
        }
        cmd.addAll(List.of("serve", "--backend", "remote", "--port", Integer.toString(port), "--blocks-per-s", "20",
                "--store", dir.resolve(name).toString()));
        if (!follow) {
            // v0.1 read its negatable --follow inverted (picocli: the opposite of a true default): there, --follow
            // made a query-only process. Writers get no flag (the default, the writer, in both builds).
            cmd.add(jar == null ? "--no-follow" : "--follow");
        }
        cmd.addAll(extra);
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(dir.resolve(name + ".log").toFile());
        pb.environment().putAll(env);
        started.add(pb.start());
        String url = "http://127.0.0.1:" + port;
        long end = System.nanoTime() + TimeUnit.MINUTES.toNanos(3);
        while (System.nanoTime() < end && get(url + "/health") == null) {
            Thread.sleep(300);
        }
        assertThat(get(url + "/health")).as("%s answers (log: %s)", name, Files.readString(dir.resolve(name + ".log")))
                .isNotNull();
        return url;
    }

    private void stop(int i) throws InterruptedException {
        Process p = started.get(i);
        p.destroy(); // SIGTERM, as docs/upgrade.md says
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("the process stops on SIGTERM").isTrue();
    }

    private long waitForHead(String url, long atLeast) throws Exception {
        long end = System.nanoTime() + TimeUnit.MINUTES.toNanos(4);
        long h = -1;
        while (System.nanoTime() < end) {
            h = head(url);
            if (h >= atLeast) {
                return h;
            }
            Thread.sleep(500);
        }
        throw new AssertionError(url + ": head " + h + ", not yet " + atLeast + " after 4 minutes");
    }

    private long head(String url) throws Exception {
        JsonNode r = rpc(url, "eth_blockNumber", JSON.createArrayNode());
        return r == null || !r.has("result") ? -1 : Long.decode(r.path("result").asText());
    }

    /** Each process answers each query over blocks 0..upTo with the same logs. */
    private void assertSameAnswers(List<String> urls, long upTo) throws Exception {
        List<com.fasterxml.jackson.databind.node.ObjectNode> filters = new ArrayList<>();
        filters.add(JSON.createObjectNode().put("fromBlock", "0x0").put("toBlock", "0x" + Long.toHexString(upTo)));
        for (long from = 0; from <= upTo; from += Math.max(1, upTo / 5)) {
            filters.add(JSON.createObjectNode().put("fromBlock", "0x" + Long.toHexString(from))
                    .put("toBlock", "0x" + Long.toHexString(Math.min(upTo, from + 7))));
        }
        for (com.fasterxml.jackson.databind.node.ObjectNode f : filters) {
            JsonNode first = null;
            for (String url : urls) {
                JsonNode r = rpc(url, "eth_getLogs", JSON.createArrayNode().add(f));
                assertThat(r).as("%s answers", url).isNotNull();
                assertThat(r.has("result")).as("%s %s: %s", url, f, r).isTrue();
                if (first == null) {
                    first = r.path("result");
                    assertThat(first.size()).as("logs in %s", f).isGreaterThan(0);
                } else {
                    assertThat(r.path("result")).as("%s answers %s as %s does", url, f, urls.get(0)).isEqualTo(first);
                }
            }
        }
    }

    private long blockNumber(String url) throws Exception {
        JsonNode r = rpc(url, "eth_blockNumber", JSON.createArrayNode());
        assertThat(r.has("result")).as("%s: %s", url, r).isTrue();
        return Long.decode(r.get("result").asText());
    }

    /** {@code url}'s /metrics. */
    private String metrics(String url) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(url + "/metrics")).build(),
                HttpResponse.BodyHandlers.ofString()).body();
    }

    /** fli_holder_view_answers_total in {@code metrics}. */
    private static double holderViewAnswers(String metrics) {
        return metrics.lines().filter(l -> l.startsWith("fli_holder_view_answers_total{"))
                .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).sum();
    }

    /** The samples of {@code metrics} that mention any of {@code words}: what a failed assertion shows. */
    private static String about(String metrics, String... words) {
        return String.join("\n", metrics.lines().filter(l -> !l.startsWith("#") && java.util.Arrays.stream(words)
                .anyMatch(l::contains)).toList());
    }

    private JsonNode rpc(String url, String method, JsonNode params) throws Exception {
        String body = JSON.writeValueAsString(JSON.createObjectNode().put("jsonrpc", "2.0").put("id", 1)
                .put("method", method).set("params", params));
        try {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(url + "/")).timeout(Duration
                    .ofSeconds(60)).header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers
                    .ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
            return JSON.readTree(r.body());
        } catch (IOException e) {
            return null;
        }
    }

    private String get(String url) {
        try {
            return http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10)).GET().build(),
                    HttpResponse.BodyHandlers.ofString()).body();
        } catch (IOException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    private int run(Path cwd, Duration limit, String... cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).directory(cwd.toFile()).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("build.log").toFile())).start();
        if (!p.waitFor(limit.toMillis(), TimeUnit.MILLISECONDS)) {
            p.destroyForcibly();
            return -1;
        }
        return p.exitValue();
    }
}
