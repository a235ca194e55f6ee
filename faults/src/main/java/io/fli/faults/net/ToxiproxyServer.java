package io.fli.faults.net;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;

/**
 * An in-JVM server for the part of the Toxiproxy HTTP API that {@code toxiproxy-java} uses, for machines where no
 * Toxiproxy server can be installed. Same paths, same JSON, same status codes and error bodies
 * ({@code {"error":"proxy not found","status":404}}) as Toxiproxy 2.x:
 *
 * <ul>
 *   <li>{@code GET /version} (plain text), {@code POST /reset} (enable every proxy, remove every toxic; 204)</li>
 *   <li>{@code GET /proxies}, {@code POST /proxies} (201; 409 if the name exists), {@code GET|POST|DELETE
 *       /proxies/{proxy}} (update {@code enabled}, {@code listen}, {@code upstream}; delete answers 204)</li>
 *   <li>{@code GET|POST /proxies/{proxy}/toxics}, {@code GET|POST|DELETE /proxies/{proxy}/toxics/{toxic}}, with the
 *       toxic types {@code latency}, {@code bandwidth}, {@code slow_close}, {@code timeout}, {@code reset_peer},
 *       {@code slicer} and {@code limit_data}, on either stream, with toxicity</li>
 * </ul>
 *
 * <p>Not served: {@code POST /populate}, {@code GET /metrics}, {@code /events} (404). Proxies listen on and connect
 * to loopback addresses only: anything else is refused with 400, so test traffic never leaves 127.0.0.0/8.
 */
public final class ToxiproxyServer implements AutoCloseable {
    /** The API version this server answers to {@code GET /version}. */
    public static final String VERSION = "2.12.0";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final HttpServer http;
    private final ExecutorService handlers;
    private final ScheduledExecutorService timers;
    private final Random random;
    private final Map<String, TcpProxy> proxies = new LinkedHashMap<>();

    private ToxiproxyServer(HttpServer http, ExecutorService handlers, ScheduledExecutorService timers, long seed) {
        this.http = http;
        this.handlers = handlers;
        this.timers = timers;
        this.random = new Random(seed);
    }

    /** Starts the API on {@code 127.0.0.1} and a free port. */
    public static ToxiproxyServer start() throws IOException {
        return start(0, 1);
    }

    /**
     * Starts the API on {@code 127.0.0.1:port} ({@code 0}: a free port).
     *
     * @param seed seeds the toxicity rolls and jitter
     */
    public static ToxiproxyServer start(int port, long seed) throws IOException {
        HttpServer h = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 64);
        ExecutorService pool = Executors.newFixedThreadPool(4, r -> {
            Thread t = new Thread(r, "toxiproxy-api");
            t.setDaemon(true);
            return t;
        });
        ScheduledExecutorService timers = Executors.newScheduledThreadPool(1, r -> {
            Thread t = new Thread(r, "toxiproxy-timers");
            t.setDaemon(true);
            return t;
        });
        ToxiproxyServer s = new ToxiproxyServer(h, pool, timers, seed);
        h.createContext("/", s::handle);
        h.setExecutor(pool);
        h.start();
        return s;
    }

    public String host() {
        return http.getAddress().getHostString();
    }

    public int port() {
        return http.getAddress().getPort();
    }

    @Override
    public void close() {
        http.stop(0);
        synchronized (this) {
            proxies.values().forEach(TcpProxy::stop);
            proxies.clear();
        }
        handlers.shutdownNow();
        timers.shutdownNow();
    }

    // ------------------------------------------------------------------ HTTP

    /** A failed request: the status and Toxiproxy's error text. */
    private static final class ApiError extends Exception {
        final int status;

        ApiError(int status, String message) {
            super(message, null, false, false);
            this.status = status;
        }
    }

    private record Reply(int status, Object body) {
    }

    private void handle(HttpExchange ex) throws IOException {
        Reply r;
        try {
            JsonNode body = readBody(ex);
            r = route(ex.getRequestMethod(), ex.getRequestURI().getPath(), body);
        } catch (ApiError e) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("error", e.getMessage());
            m.put("status", e.status);
            r = new Reply(e.status, m);
        } catch (RuntimeException e) {
            r = new Reply(500, Map.of("error", String.valueOf(e.getMessage()), "status", 500));
        }
        try (ex) {
            if (r.body == null) {
                ex.sendResponseHeaders(r.status, -1);
                return;
            }
            byte[] bytes = r.body instanceof String s ? s.getBytes(StandardCharsets.UTF_8)
                    : JSON.writeValueAsBytes(r.body);
            ex.getResponseHeaders().set("Content-Type", r.body instanceof String ? "text/plain" : "application/json");
            ex.sendResponseHeaders(r.status, bytes.length);
            try (OutputStream out = ex.getResponseBody()) {
                out.write(bytes);
            }
        }
    }

    private static JsonNode readBody(HttpExchange ex) throws ApiError, IOException {
        try (InputStream in = ex.getRequestBody()) {
            byte[] b = in.readAllBytes();
            if (b.length == 0) {
                return null;
            }
            try {
                return JSON.readTree(b);
            } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                throw new ApiError(400, "bad request body");
            }
        }
    }

    private synchronized Reply route(String method, String path, JsonNode body) throws ApiError {
        List<String> parts = new ArrayList<>();
        for (String p : path.split("/")) {
            if (!p.isEmpty()) {
                parts.add(p);
            }
        }
        String key = method + " " + (parts.isEmpty() ? "" : parts.get(0)) + "/" + parts.size();
        switch (key) {
            case "GET version/1":
                return new Reply(200, VERSION);
            case "POST reset/1":
                for (TcpProxy p : proxies.values()) {
                    p.removeAllToxics();
                    start(p);
                }
                return new Reply(204, null);
            case "GET proxies/1": {
                Map<String, Object> all = new LinkedHashMap<>();
                proxies.forEach((n, p) -> all.put(n, p.json()));
                return new Reply(200, all);
            }
            case "POST proxies/1":
                return new Reply(201, create(body).json());
            case "GET proxies/2":
                return new Reply(200, proxy(parts.get(1)).json());
            case "POST proxies/2":
                return new Reply(200, update(proxy(parts.get(1)), body).json());
            case "DELETE proxies/2": {
                TcpProxy p = proxy(parts.get(1));
                p.stop();
                proxies.remove(p.name);
                return new Reply(204, null);
            }
            case "GET proxies/3":
                requireToxics(parts);
                return new Reply(200, proxy(parts.get(1)).toxics().stream().map(Toxic::json).toList());
            case "POST proxies/3":
                requireToxics(parts);
                return new Reply(200, addToxic(proxy(parts.get(1)), body).json());
            case "GET proxies/4":
                requireToxics(parts);
                return new Reply(200, toxic(proxy(parts.get(1)), parts.get(3)).json());
            case "POST proxies/4": {
                requireToxics(parts);
                Toxic t = toxic(proxy(parts.get(1)), parts.get(3));
                if (body == null || !body.isObject()) {
                    throw new ApiError(400, "bad request body");
                }
                t.update(body.has("toxicity") ? body.get("toxicity").asDouble() : null, attributes(body, t.type));
                return new Reply(200, t.json());
            }
            case "DELETE proxies/4": {
                requireToxics(parts);
                TcpProxy p = proxy(parts.get(1));
                p.remove(toxic(p, parts.get(3)));
                return new Reply(204, null);
            }
            default:
                throw new ApiError(404, "404 page not found");
        }
    }

    private static void requireToxics(List<String> parts) throws ApiError {
        if (!parts.get(2).equals("toxics")) {
            throw new ApiError(404, "404 page not found");
        }
    }

    private TcpProxy proxy(String name) throws ApiError {
        TcpProxy p = proxies.get(name);
        if (p == null) {
            throw new ApiError(404, "proxy not found");
        }
        return p;
    }

    private static Toxic toxic(TcpProxy p, String name) throws ApiError {
        Toxic t = p.toxic(name);
        if (t == null) {
            throw new ApiError(404, "toxic not found");
        }
        return t;
    }

    private TcpProxy create(JsonNode body) throws ApiError {
        if (body == null || !body.isObject()) {
            throw new ApiError(400, "bad request body");
        }
        String name = text(body, "name");
        String upstream = text(body, "upstream");
        if (name == null || upstream == null) {
            throw new ApiError(400, "missing required field");
        }
        String listen = text(body, "listen") == null ? "127.0.0.1:0" : text(body, "listen");
        if (proxies.containsKey(name)) {
            throw new ApiError(409, "proxy already exists");
        }
        checkLoopback("listen", listen);
        checkLoopback("upstream", upstream);
        TcpProxy p = new TcpProxy(name, listen, upstream, timers, random);
        if (!body.has("enabled") || body.get("enabled").asBoolean()) {
            start(p);
        }
        proxies.put(name, p);
        return p;
    }

    private static TcpProxy update(TcpProxy p, JsonNode body) throws ApiError {
        if (body == null || !body.isObject()) {
            throw new ApiError(400, "bad request body");
        }
        try {
            if (text(body, "listen") != null && !text(body, "listen").equals(p.listen())) {
                checkLoopback("listen", text(body, "listen"));
                p.listen(text(body, "listen"));
            }
            if (text(body, "upstream") != null && !text(body, "upstream").equals(p.upstream())) {
                checkLoopback("upstream", text(body, "upstream"));
                p.upstream(text(body, "upstream"));
            }
        } catch (IOException e) {
            throw new ApiError(500, e.getMessage());
        }
        if (body.has("enabled")) {
            if (body.get("enabled").asBoolean()) {
                start(p);
            } else {
                p.stop();
            }
        }
        return p;
    }

    private static void start(TcpProxy p) throws ApiError {
        try {
            p.start();
        } catch (IOException e) {
            throw new ApiError(500, "listen tcp " + p.listen() + ": " + e.getMessage());
        }
    }

    private static Toxic addToxic(TcpProxy p, JsonNode body) throws ApiError {
        if (body == null || !body.isObject()) {
            throw new ApiError(400, "bad request body");
        }
        String type = text(body, "type");
        if (type == null || !Toxic.TYPES.containsKey(type)) {
            throw new ApiError(400, "invalid toxic type");
        }
        String stream = text(body, "stream") == null ? "downstream" : text(body, "stream");
        if (!Toxic.STREAMS.contains(stream)) {
            throw new ApiError(400, "stream was invalid, can be either upstream or downstream");
        }
        String name = text(body, "name") == null ? type + "_" + stream : text(body, "name");
        if (p.toxic(name) != null) {
            throw new ApiError(409, "toxic already exists");
        }
        double toxicity = body.has("toxicity") ? body.get("toxicity").asDouble() : 1.0;
        if (toxicity < 0 || toxicity > 1) {
            throw new ApiError(400, "toxicity must be between 0 and 1");
        }
        Map<String, Long> attrs = attributes(body, type);
        Toxic t = new Toxic(name, type, stream, toxicity, attrs == null ? Map.of() : attrs);
        p.add(t);
        return t;
    }

    private static Map<String, Long> attributes(JsonNode body, String type) throws ApiError {
        JsonNode a = body.get("attributes");
        if (a == null || a.isNull()) {
            return null;
        }
        if (!a.isObject()) {
            throw new ApiError(400, "bad request body");
        }
        Map<String, Long> m = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = a.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (!Toxic.TYPES.get(type).containsKey(e.getKey())) {
                continue; // Toxiproxy ignores attributes a type does not have
            }
            if (!e.getValue().isNumber() || e.getValue().asLong() < 0) {
                throw new ApiError(400, "attribute " + e.getKey() + " of a " + type
                        + " toxic must be a non-negative number");
            }
            m.put(e.getKey(), e.getValue().asLong());
        }
        return m;
    }

    private static String text(JsonNode body, String field) {
        JsonNode n = body.get(field);
        return n == null || n.isNull() ? null : n.asText();
    }

    private static void checkLoopback(String what, String hostPort) throws ApiError {
        try {
            loopback(what, hostPort);
        } catch (IllegalArgumentException e) {
            throw new ApiError(400, e.getMessage());
        }
    }

    /** Parses {@code host:port} and insists on a loopback address: test traffic stays on 127.0.0.0/8. */
    static InetSocketAddress loopback(String what, String hostPort) {
        int colon = hostPort.lastIndexOf(':');
        if (colon < 0) {
            throw new IllegalArgumentException(what + " '" + hostPort + "' is not host:port");
        }
        String host = hostPort.substring(0, colon);
        if (host.isEmpty()) {
            host = "127.0.0.1";
        }
        int port;
        try {
            port = Integer.parseInt(hostPort.substring(colon + 1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(what + " '" + hostPort + "' has no numeric port");
        }
        InetAddress a;
        try {
            a = InetAddress.getByName(host);
        } catch (IOException e) {
            throw new IllegalArgumentException(what + " host '" + host + "' does not resolve");
        }
        if (!a.isLoopbackAddress()) {
            throw new IllegalArgumentException(what + " '" + hostPort + "' is not a loopback address: this proxy "
                    + "only carries test traffic on 127.0.0.0/8");
        }
        return new InetSocketAddress(a, port);
    }

    static String hostPort(String host, int port) {
        return host + ":" + port;
    }
}
