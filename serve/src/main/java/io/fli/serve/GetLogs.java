package io.fli.serve;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fli.engine.LogQuery;
import io.fli.engine.MatchedLog;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * {@code eth_getLogs} as Ethereum clients speak it: the filter object ({@code fromBlock}, {@code toBlock},
 * {@code blockHash}, {@code address}, {@code topics}) into a {@link LogQuery}, and matched logs into the standard log
 * objects. Every malformed parameter is refused with {@link InvalidParams}, naming the field and what is wrong.
 */
public final class GetLogs {
    private GetLogs() {
    }

    /** A parameter the client got wrong: JSON-RPC error -32602. */
    public static final class InvalidParams extends RuntimeException {
        public InvalidParams(String message) {
            super(message);
        }
    }

    /**
     * The query of an {@code eth_getLogs} filter object.
     *
     * @param head the finalized head, for the tags {@code latest}, {@code finalized}, {@code safe} and
     *             {@code pending} (an index of finalized blocks has nothing newer); null before the first block
     */
    public static LogQuery query(JsonNode params, Long head) {
        if (params == null || !params.isArray() || params.size() != 1 || !params.get(0).isObject()) {
            throw new InvalidParams("eth_getLogs takes one parameter, a filter object "
                    + "{fromBlock, toBlock, blockHash, address, topics}");
        }
        JsonNode f = params.get(0);
        f.fieldNames().forEachRemaining(n -> {
            if (!List.of("fromBlock", "toBlock", "blockHash", "address", "topics").contains(n)) {
                throw new InvalidParams("unknown filter field '" + n + "' (fromBlock, toBlock, blockHash, address, "
                        + "topics)");
            }
        });
        List<String> addresses = addresses(f.get("address"));
        List<List<String>> topics = topics(f.get("topics"));
        JsonNode hash = f.get("blockHash");
        if (hash != null && !hash.isNull()) {
            if (f.hasNonNull("fromBlock") || f.hasNonNull("toBlock")) {
                throw new InvalidParams("blockHash cannot be combined with fromBlock or toBlock");
            }
            return LogQuery.byHash(data("blockHash", hash, 32), addresses, topics);
        }
        Long from = block("fromBlock", f.get("fromBlock"), head, false);
        Long to = block("toBlock", f.get("toBlock"), head, true);
        if (from != null && to != null && from > to) {
            throw new InvalidParams("fromBlock " + hex(from) + " is after toBlock " + hex(to));
        }
        return LogQuery.range(from, to, addresses, topics);
    }

    /** A block parameter: a hex quantity or a tag; absent means {@code latest}. Null stands for "the head". */
    static Long block(String field, JsonNode v, Long head, boolean isTo) {
        if (v == null || v.isNull()) {
            return isTo ? null : head == null ? null : head; // absent: latest, as clients expect
        }
        if (!v.isTextual()) {
            throw new InvalidParams(field + " must be a hex quantity like \"0x1b4\" or a tag (earliest, latest, safe, "
                    + "finalized, pending), got " + v);
        }
        String s = v.asText();
        switch (s.toLowerCase(Locale.ROOT)) {
            case "earliest":
                return 0L;
            case "latest", "finalized", "safe", "pending":
                return isTo ? null : head == null ? null : head;
            default:
                return quantity(field, s);
        }
    }

    static long quantity(String field, String s) {
        if (!s.startsWith("0x") || s.length() < 3 || s.length() > 18 || (s.length() > 3 && s.charAt(2) == '0')) {
            throw new InvalidParams(field + " must be a hex quantity like \"0x1b4\" (0x, no leading zeros) or a tag, "
                    + "got \"" + s + "\"");
        }
        try {
            long v = Long.parseLong(s.substring(2), 16);
            if (v < 0) {
                throw new NumberFormatException();
            }
            return v;
        } catch (NumberFormatException e) {
            throw new InvalidParams(field + " is not a hex quantity: \"" + s + "\"");
        }
    }

    /** A DATA value of {@code bytes} bytes: 0x and 2 hex digits per byte, returned lowercase as the index stores it. */
    static String data(String field, JsonNode v, int bytes) {
        if (v == null || !v.isTextual()) {
            throw new InvalidParams(field + " must be a " + bytes + "-byte hex string, got " + v);
        }
        String s = v.asText();
        if (!s.startsWith("0x") || s.length() != 2 + 2 * bytes || !s.substring(2).chars().allMatch(c ->
                Character.digit(c, 16) >= 0)) {
            throw new InvalidParams(field + " must be a " + bytes + "-byte hex string (0x and " + 2 * bytes
                    + " hex digits), got \"" + s + "\"");
        }
        return s.toLowerCase(Locale.ROOT);
    }

    static List<String> addresses(JsonNode v) {
        List<String> out = new ArrayList<>();
        if (v == null || v.isNull()) {
            return out;
        }
        if (v.isTextual()) {
            out.add(data("address", v, 20));
        } else if (v.isArray()) {
            for (int i = 0; i < v.size(); i++) {
                out.add(data("address[" + i + "]", v.get(i), 20));
            }
        } else {
            throw new InvalidParams("address must be an address or an array of addresses, got " + v);
        }
        return out;
    }

    static List<List<String>> topics(JsonNode v) {
        List<List<String>> out = new ArrayList<>();
        if (v == null || v.isNull()) {
            return out;
        }
        if (!v.isArray()) {
            throw new InvalidParams("topics must be an array of up to 4 positions, got " + v);
        }
        if (v.size() > 4) {
            throw new InvalidParams("topics has " + v.size() + " positions; a log has at most 4");
        }
        for (int i = 0; i < v.size(); i++) {
            JsonNode t = v.get(i);
            if (t.isNull()) {
                out.add(null);
            } else if (t.isTextual()) {
                out.add(List.of(data("topics[" + i + "]", t, 32)));
            } else if (t.isArray()) {
                List<String> any = new ArrayList<>();
                for (int j = 0; j < t.size(); j++) {
                    JsonNode x = t.get(j);
                    if (x.isNull()) {
                        any = null; // a null inside an OR-list matches anything at that position
                        break;
                    }
                    any.add(data("topics[" + i + "][" + j + "]", x, 32));
                }
                out.add(any);
            } else {
                throw new InvalidParams("topics[" + i + "] must be null, a topic or an array of topics, got " + t);
            }
        }
        return out;
    }

    /** The standard log objects of {@code logs}. */
    public static ArrayNode result(List<MatchedLog> logs) {
        ArrayNode out = JsonNodeFactory.instance.arrayNode();
        for (MatchedLog m : logs) {
            ObjectNode o = out.addObject();
            o.put("removed", false);
            o.put("logIndex", hex(m.log().index()));
            o.put("transactionIndex", m.log().tx() == null ? "0x0" : hex(m.log().tx()));
            if (m.log().txHash() != null) {
                o.put("transactionHash", m.log().txHash());
            } else {
                o.putNull("transactionHash");
            }
            o.put("blockHash", m.blockHash());
            o.put("blockNumber", hex(m.block()));
            o.put("address", m.log().address());
            o.put("data", m.log().data() == null ? "0x" : m.log().data());
            ArrayNode t = o.putArray("topics");
            m.log().topics().forEach(t::add);
        }
        return out;
    }

    static String hex(long v) {
        return "0x" + Long.toHexString(v);
    }
}
