package io.fli.workloads;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fli.engine.BackendException;
import io.fli.engine.CorruptionException;
import io.fli.engine.DegradedException;
import io.fli.engine.FencedException;
import io.fli.engine.InvalidBlockException;
import io.fli.engine.InvalidQueryException;
import io.fli.engine.LeaseHeldException;
import io.fli.engine.OutcomeUnknownException;

/**
 * The wire between the harness and an index process in a JVM of its own ({@link NodeServer}, {@link RemoteNode}):
 * one JSON object per line each way, a request then its response, on a loopback TCP connection per client thread.
 * Engine values travel as Jackson renders the records; an exception travels as its class name and message and is
 * thrown again on the harness's side as the same engine exception, so clients judge outcomes exactly as for a node in
 * the harness's JVM.
 */
final class NodeProtocol {
    static final ObjectMapper JSON = new ObjectMapper()
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

    private NodeProtocol() {
    }

    /** Raised on the harness's side for a failure the engine does not name (a simulated crash, a bug). */
    static final class RemoteFailure extends RuntimeException {
        RemoteFailure(String type, String message) {
            super(type + ": " + message);
        }
    }

    static ObjectNode error(Throwable e) {
        ObjectNode n = JSON.createObjectNode();
        n.putObject("error").put("type", e.getClass().getSimpleName()).put("message", String.valueOf(e.getMessage()));
        return n;
    }

    /** The exception a response carries, as the engine would have thrown it. */
    static RuntimeException rethrow(JsonNode error) {
        String type = error.path("type").asText();
        String m = error.path("message").asText();
        return switch (type) {
            case "FencedException" -> new FencedException(m);
            case "LeaseHeldException" -> new LeaseHeldException(m);
            case "InvalidBlockException" -> new InvalidBlockException(m);
            case "InvalidQueryException" -> new InvalidQueryException(m);
            case "BackendException" -> new BackendException(m);
            case "OutcomeUnknownException" -> new OutcomeUnknownException(m);
            case "CorruptionException" -> new CorruptionException(m);
            case "DegradedException" -> new DegradedException(m.startsWith("degraded: ") ? m.substring(10) : m, null);
            default -> new RemoteFailure(type, m);
        };
    }
}
