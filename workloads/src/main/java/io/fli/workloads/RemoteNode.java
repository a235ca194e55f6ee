package io.fli.workloads;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fli.backends.CqlConfig;
import io.fli.backends.S3Config;
import io.fli.engine.Block;
import io.fli.engine.GcReport;
import io.fli.engine.Health;
import io.fli.engine.LogQuery;
import io.fli.engine.PublishResult;
import io.fli.engine.QueryResult;
import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * An index process in a JVM of its own ({@link NodeServer}), started and stopped by the harness, called over a
 * loopback connection per client thread. Pausing it is {@code SIGSTOP} of its process, by PID: every thread stops
 * wherever it is, in-flight calls included, until {@code SIGCONT}.
 */
final class RemoteNode implements Node {
    /** A call unanswered this long is given up (its outcome unknown): far longer than any pause of a run. */
    private static final int CALL_TIMEOUT_MS = 120_000;

    private final String name;
    private final Process process;
    private final int port;
    private final String metricsUrl;
    private final Map<Thread, Connection> connections = new ConcurrentHashMap<>();

    private record Connection(Socket socket, BufferedReader in, BufferedWriter out) {
    }

    RemoteNode(String name, CqlConfig cql, S3Config s3, Duration lease, Duration gcGrace, long jitterSeed, String bug,
               Path log) throws IOException {
        this.name = name;
        // The stores' configuration (credentials included) goes through the environment, as FLI_CQL_* / FLI_S3_*:
        // never on the command line, which every user of the machine can read.
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx512m", "-XX:+UseSerialGC", "-cp", System.getProperty("java.class.path"),
                NodeServer.class.getName(), name, Long.toString(lease.toMillis()), Long.toString(gcGrace.toMillis()),
                Long.toString(jitterSeed)));
        if (bug != null) {
            cmd.add(bug);
        }
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.appendTo(log.toFile()));
        pb.environment().putAll(cql.toEnvironment());
        pb.environment().putAll(s3.toEnvironment());
        // Unknown CAS outcomes, settled and recorded by the process as it meets them (the run sums them up).
        pb.environment().put("FLI_CAS_OUTCOMES_FILE", log.resolveSibling(name + "-cas-unknown.jsonl").toString());
        if (cql.migrate()) {
            // The harness's own servers (plain profile): each index process may apply the schema as it connects.
            pb.environment().put("FLI_CQL_MIGRATE", "true");
        }
        this.process = pb.start();
        BufferedReader first = new BufferedReader(new InputStreamReader(process.getInputStream(),
                StandardCharsets.UTF_8));
        String line = first.readLine();
        if (line == null || !line.startsWith("port ")) {
            process.destroyForcibly();
            throw new IOException("index process " + name + " did not start (see " + log + ")");
        }
        String[] words = line.trim().split(" ");
        this.port = Integer.parseInt(words[1]);
        this.metricsUrl = words.length >= 4 && words[2].equals("metrics") ? words[3] : null;
    }

    /** The Prometheus endpoint of this index process, or null. */
    String metricsUrl() {
        return metricsUrl;
    }

    private Connection connection() {
        return connections.computeIfAbsent(Thread.currentThread(), t -> {
            try {
                Socket s = new Socket(InetAddress.getLoopbackAddress(), port);
                s.setSoTimeout(CALL_TIMEOUT_MS);
                s.setTcpNoDelay(true);
                Connection c = new Connection(s, new BufferedReader(new InputStreamReader(s.getInputStream(),
                        StandardCharsets.UTF_8)), new BufferedWriter(new OutputStreamWriter(s.getOutputStream(),
                        StandardCharsets.UTF_8)));
                send(c, NodeProtocol.JSON.createObjectNode().put("op", "hello").put("client", t.getName()));
                return c;
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
    }

    private static JsonNode send(Connection c, ObjectNode request) throws IOException {
        c.out().write(NodeProtocol.JSON.writeValueAsString(request));
        c.out().write('\n');
        c.out().flush();
        String line = c.in().readLine();
        if (line == null) {
            throw new IOException("the index process closed the connection");
        }
        return NodeProtocol.JSON.readTree(line);
    }

    private JsonNode call(ObjectNode request) {
        Connection c = connection();
        JsonNode reply;
        try {
            reply = send(c, request);
        } catch (IOException e) {
            // The process died or did not answer in time: the outcome of this call is unknown.
            connections.remove(Thread.currentThread());
            try {
                c.socket().close();
            } catch (IOException ignored) {
                // already broken
            }
            throw new NodeProtocol.RemoteFailure("NodeUnreachable", "index process " + name + ": " + e.getMessage());
        }
        if (reply.has("error")) {
            throw NodeProtocol.rethrow(reply.get("error"));
        }
        return reply.get("result");
    }

    private ObjectNode op(String op) {
        return NodeProtocol.JSON.createObjectNode().put("op", op);
    }

    private static <T> T as(JsonNode n, Class<T> type) {
        try {
            return n == null || n.isNull() ? null : NodeProtocol.JSON.treeToValue(n, type);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException("an index process answered something unreadable: " + n, e);
        }
    }

    /** This process's loopback port (the other processes ask it for its lease view there). */
    int port() {
        return port;
    }

    /** Tells this process where the run's other index processes listen (its holder view asks them). */
    void peers(List<Integer> ports) {
        ObjectNode r = op("peers");
        ports.forEach(r.putArray("ports")::add);
        call(r);
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public long acquire(String writer, boolean takeOver) {
        return call(op("acquire").put("writer", writer).put("takeOver", takeOver)).asLong();
    }

    @Override
    public long epoch(String writer) {
        return call(op("epoch").put("writer", writer)).asLong();
    }

    @Override
    public PublishResult publish(String writer, List<Block> batch) {
        ObjectNode r = op("publish").put("writer", writer);
        r.set("blocks", NodeProtocol.JSON.valueToTree(batch));
        return as(call(r), PublishResult.class);
    }

    @Override
    public GcReport gc(String writer) {
        return as(call(op("gc").put("writer", writer)), GcReport.class);
    }

    @Override
    public void forget(String writer) {
        call(op("forget").put("writer", writer));
    }

    @Override
    public QueryResult query(LogQuery q) {
        ObjectNode r = op("query");
        r.set("query", NodeProtocol.JSON.valueToTree(q));
        return as(call(r), QueryResult.class);
    }

    @Override
    public Long head() {
        return as(call(op("head")), Long.class);
    }

    @Override
    public long leaseEpoch() {
        return call(op("leaseEpoch")).asLong();
    }

    @Override
    public Health health() {
        return as(call(op("health")), Health.class);
    }

    @Override
    public void restart() {
        call(op("restart"));
    }

    @Override
    public void dropCaches() {
        call(op("dropCaches"));
    }

    /** Arms a fault inside the process: {@code crash} or {@code lost-reply} at the next write of a store. */
    void arm(String fault, String store, String phase) {
        call(op(fault).put("store", store).put("phase", phase));
    }

    void stall(long ms) {
        call(op("stall").put("ms", ms));
    }

    boolean stalled() {
        return call(op("stalled")).asBoolean();
    }

    void unstall() {
        call(op("unstall"));
    }

    @Override
    public void pause() {
        signal("STOP");
    }

    @Override
    public void resume() {
        signal("CONT");
    }

    private void signal(String sig) {
        try {
            Process p = new ProcessBuilder("kill", "-" + sig, Long.toString(process.pid())).inheritIO().start();
            p.waitFor(10, TimeUnit.SECONDS);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        resume();
        for (Connection c : connections.values()) {
            try {
                c.socket().close();
            } catch (IOException ignored) {
                // closing anyway
            }
        }
        try {
            process.getOutputStream().close(); // the process exits when its standard input closes
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        } catch (IOException | InterruptedException e) {
            process.destroyForcibly();
        }
    }
}
