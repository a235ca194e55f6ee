package io.fli.workloads;

import io.fli.engine.ViewStamp;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fli.backends.CqlConfig;
import io.fli.backends.MinioBlobStore;
import io.fli.backends.S3Config;
import io.fli.backends.ScyllaMetaStore;
import io.fli.engine.BlobStore;
import io.fli.engine.Block;
import io.fli.engine.IndexConfig;
import io.fli.engine.LogIndex;
import io.fli.engine.LogQuery;
import io.fli.engine.MetaStore;
import io.fli.faults.CrashPoints;
import io.fli.faults.LostReplies;
import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;

/**
 * An index process in a JVM of its own, for runs on real servers: it opens its own CQL session and S3 client (its
 * own retries and breakers), its own {@link LogIndex}, and serves the harness's calls ({@link NodeProtocol}) on a
 * loopback port, which it prints as its first line with the URL of its Prometheus endpoint. Crash points, lost replies and lease-loss stalls live here, armed
 * by the harness. It exits when the harness closes its standard input (or dies).
 *
 * <p>Arguments: {@code name leaseMs gcGraceMs jitterSeed [bug]}; the stores from the environment ({@code FLI_CQL_*},
 * {@code FLI_S3_*}, as {@link CqlConfig#fromEnvironment} and {@link S3Config#fromEnvironment} read them).
 */
public final class NodeServer {
    private final InProcessNode node;
    private final CrashPoints crash = new CrashPoints();
    private final LostReplies lost = new LostReplies();
    private final Stall stall = new Stall();
    private final MetricsEndpoint metrics;
    private final PeerHolderView holderView = new PeerHolderView();

    /** Revocations of the read leases this process granted, waited on by the askers' {@code watchReadLease}. */
    private final io.fli.engine.Revocations revocations = new io.fli.engine.Revocations();

    private NodeServer(String[] a) {
        CqlConfig cql = CqlConfig.fromEnvironment(System.getenv());
        S3Config s3 = S3Config.fromEnvironment(System.getenv());
        long jitter = Long.parseLong(a[3]);
        try {
            metrics = MetricsEndpoint.start(0);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException("starting the metrics endpoint", e);
        }
        // Measured as the engine sees its stores: faults included.
        String outcomes = System.getenv("FLI_CAS_OUTCOMES_FILE");
        MetaStore meta = io.fli.engine.Metered.meta(CasOutcomes.observe(TestRun.hooks(ScyllaMetaStore.connect(cql,
                jitter), crash, lost, stall), outcomes == null ? null : java.nio.file.Path.of(outcomes), a[0]),
                metrics.registry(), "cql");
        BlobStore blobs = io.fli.engine.Metered.blobs(TestRun.hooks(MinioBlobStore.connect(s3, jitter), crash, lost),
                metrics.registry(), "s3");
        String bug = a.length > 4 ? a[4] : null;
        IndexConfig config = TestRun.harnessConfig(Duration.ofMillis(Long.parseLong(a[1])),
                Duration.ofMillis(Long.parseLong(a[2])), a[0]).withHolderView("holder-view-remembers".equals(bug)
                ? PeerHolderView.remembering(holderView) : holderView);
        io.micrometer.core.instrument.Tags tags = io.micrometer.core.instrument.Tags.of("process", a[0]);
        io.micrometer.core.instrument.FunctionCounter.builder("fli.read.lease.granted", holderView,
                v -> v.leaseCounts()[0]).tags(tags).description("Read leases the lease holder granted this process, "
                + "over its life").register(metrics.registry());
        io.micrometer.core.instrument.FunctionCounter.builder("fli.read.lease.revoked", holderView,
                v -> v.leaseCounts()[1]).tags(tags).description("Revocations of those this process received and "
                + "acknowledged, over its life").register(metrics.registry());
        io.micrometer.core.instrument.FunctionCounter.builder("fli.holder.view.named", holderView,
                v -> v.counts()[1]).tags(tags).description("Questions to the other processes that a lease holder "
                + "answered with its state, over this process's life").register(metrics.registry());
        io.micrometer.core.instrument.FunctionCounter.builder("fli.holder.view.records.received", holderView,
                v -> v.counts()[2]).tags(tags).description("Of those, answers that carried the state's record (this "
                + "process had another state or none), over this process's life").register(metrics.registry());
        this.node = new InProcessNode(a[0], () -> io.fli.engine.Metered.index(TestRun.openIndex(bug, meta, blobs,
                config), metrics.registry(), tags), new Gate(Run::sleep));
    }

    public static void main(String[] args) throws Exception {
        NodeServer server = new NodeServer(args);
        ServerSocket socket = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread watchdog = new Thread(() -> {
            try {
                while (System.in.read() >= 0) {
                    // the harness keeps standard input open for as long as it wants this process
                }
            } catch (java.io.IOException e) {
                // the harness is gone
            }
            Runtime.getRuntime().halt(0);
        }, "stdin-watchdog");
        watchdog.setDaemon(true);
        watchdog.start();
        System.out.println("port " + socket.getLocalPort() + " metrics " + server.metrics.url());
        System.out.flush();
        while (true) {
            Socket s = socket.accept();
            Thread t = new Thread(() -> server.serve(s), "client-" + s.getPort());
            t.setDaemon(true);
            t.start();
        }
    }

    private void serve(Socket s) {
        try {
            s.setTcpNoDelay(true); // small request-response exchanges: no Nagle delay on replies
        } catch (java.io.IOException e) {
            return;
        }
        try (s; BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(),
                StandardCharsets.UTF_8)); BufferedWriter out = new BufferedWriter(new OutputStreamWriter(
                s.getOutputStream(), StandardCharsets.UTF_8))) {
            for (String line = in.readLine(); line != null; line = in.readLine()) {
                ObjectNode reply;
                try {
                    reply = handle(NodeProtocol.JSON.readTree(line));
                } catch (RuntimeException | Error e) {
                    reply = NodeProtocol.error(e);
                }
                out.write(NodeProtocol.JSON.writeValueAsString(reply));
                out.write('\n');
                out.flush();
            }
        } catch (java.io.IOException e) {
            // the harness closed the connection
        }
    }

    private ObjectNode handle(JsonNode r) throws java.io.IOException {
        ObjectNode ok = NodeProtocol.JSON.createObjectNode();
        String writer = r.path("writer").asText(null);
        switch (r.path("op").asText()) {
            case "acquire" -> ok.put("result", node.acquire(writer, r.path("takeOver").asBoolean()));
            case "epoch" -> ok.put("result", node.epoch(writer));
            case "leaseEpoch" -> ok.put("result", node.leaseEpoch());
            case "publish" -> ok.set("result", NodeProtocol.JSON.valueToTree(node.publish(writer,
                    NodeProtocol.JSON.convertValue(r.get("blocks"), new TypeReference<List<Block>>() { }))));
            case "gc" -> ok.set("result", NodeProtocol.JSON.valueToTree(node.gc(writer)));
            case "forget" -> node.forget(writer);
            case "query" -> ok.set("result", NodeProtocol.JSON.valueToTree(node.query(
                    NodeProtocol.JSON.treeToValue(r.get("query"), LogQuery.class))));
            case "head" -> ok.set("result", NodeProtocol.JSON.valueToTree(node.head()));
            case "health" -> ok.set("result", NodeProtocol.JSON.valueToTree(node.health()));
            case "leaseView" -> {
                // The record's bytes only for an asker that does not have the state named (it says which it has).
                ViewStamp have = r.path("epoch").canConvertToLong() && r.path("version").canConvertToLong()
                        ? new ViewStamp(r.get("epoch").asLong(), r.get("version").asLong()) : null;
                ok.set("result", NodeProtocol.JSON.valueToTree(node.leaseView()
                        .map(v -> v.answering(have)).orElse(null)));
            }
            case "readLease" -> {
                ViewStamp have = r.path("epoch").canConvertToLong() && r.path("version").canConvertToLong()
                        ? new ViewStamp(r.get("epoch").asLong(), r.get("version").asLong()) : null;
                java.util.Optional<io.fli.engine.ReadLease> l = node.grantReadLease(have, r.path("ms").asLong(),
                        revocations.revoker());
                if (l.isPresent()) {
                    ObjectNode o = NodeProtocol.JSON.valueToTree(l.get().view());
                    o.put("grant", l.get().grant()).put("ms", l.get().lengthMs());
                    ok.set("result", o);
                } else {
                    ok.putNull("result");
                }
            }
            case "watchReadLease" -> {
                byte[] coming = revocations.await(r.path("grant").asLong(), Math.min(5_000, r.path("waitMs").asLong()));
                ok.put("result", coming != null);
                if (coming != null && coming.length > 0) {
                    ok.put("coming", coming);
                }
            }
            case "ackReadLease" -> {
                node.readLeaseAcknowledged(r.path("grant").asLong());
                revocations.forget(r.path("grant").asLong());
            }
            case "peers" -> holderView.peers(NodeProtocol.JSON.convertValue(r.get("ports"),
                    new TypeReference<List<Integer>>() { }));
            case "restart" -> node.restart();
            case "dropCaches" -> node.dropCaches();
            case "crash" -> crash.arm(r.path("store").asText(), r.path("phase").asText());
            case "lost-reply" -> lost.arm(r.path("store").asText(), r.path("phase").asText());
            case "stall" -> stall.arm(r.path("ms").asLong(), Run::sleep);
            case "stalled" -> ok.put("result", stall.stalled());
            case "unstall" -> stall.disarm();
            case "hello" -> Thread.currentThread().setName("client-" + r.path("client").asText()); // lease-loss stalls writers
            default -> throw new IllegalArgumentException("unknown request " + r);
        }
        return ok;
    }
}
