package io.fli.workloads;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fli.engine.BackendException;
import io.fli.engine.DegradedException;
import io.fli.engine.Health;
import io.fli.engine.InvalidQueryException;
import io.fli.engine.Log;
import io.fli.engine.LogQuery;
import io.fli.engine.MatchedLog;
import io.fli.engine.QueryResult;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * A harness's reader of {@code fli serve}: each query an Ethereum JSON-RPC {@code eth_getLogs} over HTTP, its answer
 * turned back into the engine's {@link QueryResult} with the head it was computed against (the {@code X-Fli-Head}
 * response header), its errors into the engine's exceptions (degraded, bad query, unavailable) — so a history records
 * what a client of the service saw.
 */
public final class RpcClient {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final String url;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    /** @param url the service, e.g. {@code http://127.0.0.1:8545} */
    public RpcClient(String url) {
        this.url = url;
    }

    public QueryResult query(LogQuery q) {
        ObjectNode f = JSON.createObjectNode();
        if (q.blockHash() != null) {
            f.put("blockHash", q.blockHash());
        } else {
            f.put("fromBlock", q.fromBlock() == null ? "earliest" : "0x" + Long.toHexString(q.fromBlock()));
            f.put("toBlock", q.toBlock() == null ? "latest" : "0x" + Long.toHexString(q.toBlock()));
        }
        if (q.addresses() != null && !q.addresses().isEmpty()) {
            ArrayNode a = f.putArray("address");
            q.addresses().forEach(a::add);
        }
        if (q.topics() != null && !q.topics().isEmpty()) {
            ArrayNode t = f.putArray("topics");
            for (List<String> pos : q.topics()) {
                if (pos == null || pos.isEmpty()) {
                    t.addNull();
                } else {
                    ArrayNode p = t.addArray();
                    pos.forEach(p::add);
                }
            }
        }
        HttpResponse<String> r = post("eth_getLogs", JSON.createArrayNode().add(f));
        JsonNode body = parse(r);
        String head = r.headers().firstValue("X-Fli-Head").orElseThrow(() -> new BackendException(
                "fli serve answered eth_getLogs without the X-Fli-Head header: " + r.body(), null));
        List<MatchedLog> logs = new ArrayList<>();
        for (JsonNode l : body.path("result")) {
            List<String> topics = new ArrayList<>();
            l.path("topics").forEach(t -> topics.add(t.asText()));
            Log log = new Log(Integer.decode(l.path("logIndex").asText()), Integer.decode(
                    l.path("transactionIndex").asText()), l.path("transactionHash").isNull() ? null
                    : l.path("transactionHash").asText(), l.path("address").asText(), topics,
                    l.path("data").asText());
            logs.add(new MatchedLog(Long.decode(l.path("blockNumber").asText()), l.path("blockHash").asText(), log));
        }
        return new QueryResult(head.equals("null") ? null : Long.parseLong(head), logs);
    }

    public Long head() {
        JsonNode body = parse(post("eth_blockNumber", JSON.createArrayNode()));
        return Long.decode(body.path("result").asText());
    }

    public Health health() {
        try {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(url + "/health"))
                    .timeout(Duration.ofSeconds(30)).GET().build(), HttpResponse.BodyHandlers.ofString());
            JsonNode h = JSON.readTree(r.body());
            return new Health(Health.Status.valueOf(h.path("status").asText().toUpperCase()),
                    h.path("reason").asText(""), h.path("since_ms").asLong());
        } catch (IOException e) {
            throw new BackendException("fli serve " + url + " unreachable: " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BackendException("interrupted", e);
        }
    }

    private HttpResponse<String> post(String method, JsonNode params) {
        try {
            String body = JSON.writeValueAsString(JSON.createObjectNode().put("jsonrpc", "2.0").put("id", 1)
                    .put("method", method).set("params", params));
            return http.send(HttpRequest.newBuilder(URI.create(url + "/")).timeout(Duration.ofSeconds(60))
                    .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body))
                    .build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new BackendException("fli serve " + url + " unreachable: " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BackendException("interrupted", e);
        }
    }

    /** The JSON-RPC answer; an error becomes the engine's exception for it (degraded, bad query, unavailable). */
    private static JsonNode parse(HttpResponse<String> r) {
        JsonNode body;
        try {
            body = JSON.readTree(r.body());
        } catch (IOException e) {
            throw new BackendException("fli serve answered HTTP " + r.statusCode() + " with no JSON: " + r.body(), e);
        }
        JsonNode err = body.get("error");
        if (err != null) {
            int code = err.path("code").asInt();
            String m = err.path("message").asText();
            if (m.startsWith("degraded")) {
                throw new DegradedException(m, null);
            }
            if (code == -32602 || code == -32005) {
                throw new InvalidQueryException(m);
            }
            throw new BackendException("fli serve: " + m, null);
        }
        return body;
    }

}
