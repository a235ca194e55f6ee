package io.fli.serve;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fli.engine.BackendException;
import io.fli.engine.DegradedException;
import io.fli.engine.Health;
import io.fli.engine.InvalidQueryException;
import io.fli.engine.LogIndex;
import io.fli.engine.LogQuery;
import io.fli.engine.QueryResult;
import io.javalin.Javalin;
import io.javalin.http.Context;
import java.util.function.Supplier;

/**
 * The index over HTTP, on Javalin (Jetty): {@code POST /} answers Ethereum JSON-RPC 2.0 ({@code eth_getLogs},
 * {@code eth_blockNumber}; single requests and batches), {@code GET /metrics} the Prometheus text format, and
 * {@code GET /health} the index's health as JSON (HTTP 200 when ok, 503 when throttled or degraded, with the reason),
 * and {@code GET /lease-view} the state a lease holder answers from, for query processes without the lease.
 *
 * <p>Errors follow JSON-RPC and the Ethereum clients' conventions: -32700 a body that is not JSON, -32600 a request
 * that is not a JSON-RPC 2.0 request, -32601 an unknown method, -32602 invalid parameters (naming the field), -32005
 * a query over a limit (OR terms, block range, result count), -32000 the index cannot answer (failed closed, or its
 * backends are unreachable).
 */
public final class RpcServer implements AutoCloseable {
    static final ObjectMapper JSON = new ObjectMapper();
    private final Supplier<LogIndex> index;
    private final Supplier<String> metrics;
    private final Javalin app;

    /**
     * @param index   the index to answer from (a supplier: a restarted process swaps it)
     * @param metrics the current Prometheus exposition
     * @param host    the address to bind ({@code 127.0.0.1} unless configured otherwise)
     * @param port    the port (0: a free one)
     */
    public RpcServer(Supplier<LogIndex> index, Supplier<String> metrics, String host, int port) {
        this.index = index;
        this.metrics = metrics;
        this.app = Javalin.create(config -> {
            config.startup.showJavalinBanner = false;
            config.routes.post("/", this::rpc);
            config.routes.get("/metrics", ctx -> ctx.contentType("text/plain; version=0.0.4; charset=utf-8")
                    .result(metrics.get()));
            config.routes.get("/health", this::health);
            config.routes.get("/lease-view", this::leaseView);
            config.routes.get("/read-lease", this::readLease);
            config.routes.get("/read-lease/watch", this::watchReadLease);
            config.routes.post("/read-lease/ack", this::acknowledgeReadLease);
            config.routes.post("/admin/clear-degraded", this::clearDegraded);
        }).start(host, port);
    }

    public int port() {
        return app.port();
    }

    /** The state {@code ?epoch=e&version=v} says the asker has, or null (none given, or not numbers). */
    private static io.fli.engine.ViewStamp askerHas(Context ctx) {
        try {
            String e = ctx.queryParam("epoch");
            String v = ctx.queryParam("version");
            return e == null || v == null ? null : new io.fli.engine.ViewStamp(Long.parseLong(e), Long.parseLong(v));
        } catch (NumberFormatException ex) {
            return null;
        }
    }

    /**
     * {@code GET /lease-view}: the state this process answers its own queries from without reading meta/state, as
     * {@code {"epoch":e,"version":v,"state":"<the record's bytes, base64>"}} (200), while it holds the writer lease
     * and may do so; else 404. {@code ?epoch=e&version=v} says which state the asker has: the bytes are left out when
     * it is the one named. A query process
     * without the lease asks this ({@link HttpHolderView}) instead of reading meta/state per query.
     */
    private void leaseView(Context ctx) {
        java.util.Optional<io.fli.engine.ViewStamp> v = index.get().leaseView();
        ctx.contentType("application/json");
        if (v.isPresent()) {
            // The record's bytes (base64), unless the asker says it has this state already.
            io.fli.engine.ViewStamp answer = v.get().answering(askerHas(ctx));
            com.fasterxml.jackson.databind.node.ObjectNode o = JSON.createObjectNode().put("epoch", answer.epoch())
                    .put("version", answer.version());
            if (answer.state() != null) {
                o.put("state", answer.state());
            }
            ctx.status(200).result(o.toString());
        } else {
            ctx.status(404).result("{\"lease_view\":null}");
        }
    }

    /** Revocations of the read leases this process granted, waited on by the askers' {@code /read-lease/watch}. */
    private final io.fli.engine.Revocations revocations = new io.fli.engine.Revocations();

    /** A query parameter as a positive long, or -1 when absent or not one. */
    private static long positive(Context ctx, String name) {
        try {
            String v = ctx.queryParam(name);
            long n = v == null ? -1 : Long.parseLong(v);
            return n > 0 ? n : -1;
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /**
     * {@code GET /read-lease?epoch=e&version=v&ms=d}: as {@code /lease-view}, and a read lease of {@code d} ms
     * ({@link LogIndex#grantReadLease}) when this process can grant one — {@code "grant"} (its id) and {@code "ms"}
     * (its length) in the answer. The asker then waits on {@code /read-lease/watch} for its revocation and
     * acknowledges with {@code POST /read-lease/ack} ({@link HttpHolderView}). 400 without a positive {@code ms}.
     * {@code &wait_ms=w} (at most 1,000): while this process has no view (its CAS in flight), hold the request up to
     * {@code w} ms for one instead of answering 404 at once — an asker renewing right after a revocation.
     */
    private void readLease(Context ctx) {
        ctx.contentType("application/json");
        long ms = positive(ctx, "ms");
        if (ms < 0) {
            ctx.status(400).result(JSON.createObjectNode().put("error", "ms must be a positive number of "
                    + "milliseconds, got " + ctx.queryParam("ms")).toString());
            return;
        }
        // With wait_ms (a renewal right after a revocation), hold the request until this process has a view again
        // (its CAS is through) or the time is up: the asker need not ask again and again.
        long wait = Math.min(Math.max(0, positive(ctx, "wait_ms")), 1_000);
        long until = System.nanoTime() + wait * 1_000_000;
        java.util.Optional<io.fli.engine.ReadLease> l;
        while (true) {
            l = index.get().grantReadLease(askerHas(ctx), ms, revocations.revoker());
            if (l.isPresent() || System.nanoTime() >= until) {
                break;
            }
            try {
                Thread.sleep(1);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        if (l.isEmpty()) {
            ctx.status(404).result("{\"lease_view\":null}");
            return;
        }
        io.fli.engine.ViewStamp v = l.get().view();
        ObjectNode o = JSON.createObjectNode().put("epoch", v.epoch()).put("version", v.version());
        if (v.state() != null) {
            o.put("state", v.state());
        }
        if (l.get().grant() != 0) {
            o.put("grant", l.get().grant()).put("ms", l.get().lengthMs());
        }
        ctx.status(200).result(o.toString());
    }

    /**
     * {@code GET /read-lease/watch?grant=g&wait_ms=w}: answers {@code {"revoked":true}} as soon as grant {@code g} is
     * revoked (at once if it was already), with {@code "coming"} (base64) the state the holder's CAS is about to
     * write when that is the cause ({@link io.fli.engine.ReadLease.Revoker}), {@code {"revoked":false}} after {@code w}
     * ms (at most 5 s) otherwise.
     */
    private void watchReadLease(Context ctx) {
        ctx.contentType("application/json");
        long grant = positive(ctx, "grant");
        long wait = positive(ctx, "wait_ms");
        if (grant < 0 || wait < 0) {
            ctx.status(400).result(JSON.createObjectNode().put("error", "grant and wait_ms must be positive numbers")
                    .toString());
            return;
        }
        byte[] coming = revocations.await(grant, Math.min(wait, 5_000));
        ObjectNode o = JSON.createObjectNode().put("revoked", coming != null);
        if (coming != null && coming.length > 0) {
            o.put("coming", coming);
        }
        ctx.status(200).result(o.toString());
    }

    /** {@code POST /read-lease/ack?grant=g}: the asker no longer uses grant {@code g} ({@link LogIndex#readLeaseAcknowledged}). */
    private void acknowledgeReadLease(Context ctx) {
        long grant = positive(ctx, "grant");
        if (grant < 0) {
            ctx.status(400).contentType("application/json").result(JSON.createObjectNode()
                    .put("error", "grant must be a positive number").toString());
            return;
        }
        index.get().readLeaseAcknowledged(grant);
        revocations.forget(grant);
        ctx.status(204);
    }

    private void health(Context ctx) {
        Health h = index.get().health();
        ObjectNode o = JSON.createObjectNode().put("status", h.status().name().toLowerCase())
                .put("reason", h.reason()).put("since_ms", h.sinceMillis());
        try {
            o.put("head", index.get().head());
        } catch (RuntimeException e) {
            o.putNull("head");
        }
        ctx.status(h.status() == Health.Status.OK ? 200 : 503).contentType("application/json").result(o.toString());
    }

    /**
     * {@code POST /admin/clear-degraded} with {@code {"reason": "..."}}: leaves the degraded state if its cause is gone
     * (200 and the health), else 409 naming what is still damaged. Operators call it through
     * {@code fli admin clear-degraded}, which audits it; the server binds to 127.0.0.1 unless configured otherwise.
     */
    private void clearDegraded(Context ctx) {
        String reason;
        try {
            JsonNode body = JSON.readTree(ctx.body());
            reason = body == null ? null : body.path("reason").asText(null);
        } catch (JsonProcessingException e) {
            reason = null;
        }
        if (reason == null || reason.isBlank()) {
            ctx.status(400).contentType("application/json").result(JSON.createObjectNode()
                    .put("error", "a JSON body with a non-empty \"reason\" is required").toString());
            return;
        }
        try {
            Health h = index.get().clearDegraded(reason);
            ctx.status(200).contentType("application/json").result(JSON.createObjectNode()
                    .put("status", h.status().name().toLowerCase()).put("reason", h.reason()).toString());
        } catch (io.fli.engine.DegradedException e) {
            ctx.status(409).contentType("application/json").result(JSON.createObjectNode()
                    .put("error", e.getMessage()).toString());
        }
    }

    /** The response header naming the head an {@code eth_getLogs} answer (a single request) was computed against. */
    public static final String HEAD_HEADER = "X-Fli-Head";

    /** One request's reply, and the head its eth_getLogs answer was computed against ({@code logs}: it was one). */
    private record Answer(ObjectNode reply, boolean logs, Long head) {
        static Answer of(ObjectNode reply) {
            return new Answer(reply, false, null);
        }
    }

    private void rpc(Context ctx) {
        JsonNode body;
        try {
            body = JSON.readTree(ctx.body());
        } catch (JsonProcessingException e) {
            ctx.contentType("application/json").result(error(null, -32700, "parse error: the body is not JSON ("
                    + e.getOriginalMessage() + ")").toString());
            return;
        }
        JsonNode reply;
        if (body != null && body.isArray()) {
            ArrayNode out = JSON.createArrayNode();
            if (body.isEmpty()) {
                reply = error(null, -32600, "invalid request: an empty batch");
            } else {
                body.forEach(r -> out.add(one(r)));
                reply = out;
            }
        } else {
            Answer a = answer(body);
            reply = a.reply();
            if (a.logs()) {
                // The head the answer was computed against (not part of the JSON-RPC answer, which has no room for
                // it): a test harness records it to check snapshot consistency; clients may ignore it.
                ctx.header(HEAD_HEADER, String.valueOf(a.head()));
            }
        }
        ctx.contentType("application/json").result(reply.toString());
    }

    /** Answers one JSON-RPC request. */
    ObjectNode one(JsonNode r) {
        return answer(r).reply();
    }

    private Answer answer(JsonNode r) {
        JsonNode id = r == null ? null : r.get("id");
        if (r == null || !r.isObject() || !"2.0".equals(r.path("jsonrpc").asText(null))
                || !r.path("method").isTextual()) {
            return Answer.of(error(id, -32600, "invalid request: expected {\"jsonrpc\":\"2.0\",\"id\":...,"
                    + "\"method\":...,\"params\":[...]}"));
        }
        String method = r.get("method").asText();
        try {
            if (method.equals("eth_getLogs")) {
                LogIndex idx = index.get();
                LogQuery q = GetLogs.query(r.get("params"), idx.head());
                QueryResult res = idx.query(q);
                return new Answer(ok(id).set("result", GetLogs.result(res.logs())), true, res.head());
            }
            return Answer.of(switch (method) {
                case "eth_blockNumber" -> {
                    Long head = index.get().head();
                    if (head == null) {
                        yield error(id, -32000, "no block indexed yet");
                    }
                    yield ok(id).put("result", GetLogs.hex(head));
                }
                default -> error(id, -32601, "method not found: " + method + " (this index serves eth_getLogs and "
                        + "eth_blockNumber)");
            });
        } catch (GetLogs.InvalidParams e) {
            return Answer.of(error(id, -32602, "invalid params: " + e.getMessage()));
        } catch (InvalidQueryException e) {
            String m = e.getMessage();
            boolean limit = m.contains("limit") || m.contains("spans") || m.contains("matches more than");
            return Answer.of(error(id, limit ? -32005 : -32602, (limit ? "limit exceeded: " : "invalid params: ")
                    + m));
        } catch (DegradedException e) {
            return Answer.of(error(id, -32000, "degraded: the index failed closed (" + e.getMessage() + ")"));
        } catch (BackendException e) {
            return Answer.of(error(id, -32000, "backend unavailable: " + e.getMessage()));
        }
    }

    private static ObjectNode ok(JsonNode id) {
        ObjectNode o = JSON.createObjectNode().put("jsonrpc", "2.0");
        o.set("id", id);
        return o;
    }

    private static ObjectNode error(JsonNode id, int code, String message) {
        ObjectNode o = ok(id);
        o.putObject("error").put("code", code).put("message", message);
        return o;
    }

    @Override
    public void close() {
        app.stop();
    }
}
