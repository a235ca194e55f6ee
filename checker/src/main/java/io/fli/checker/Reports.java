package io.fli.checker;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Map;

/** Renders a {@link CheckResult}: the result object of the format document, or a summary for people. */
public final class Reports {
    private static final ObjectMapper JSON = new ObjectMapper();

    private Reports() {
    }

    /** {@code true}, {@code false} or {@code "unknown"}. */
    private static void putValid(ObjectNode n, Validity v) {
        switch (v) {
            case VALID -> n.put("valid", true);
            case INVALID -> n.put("valid", false);
            default -> n.put("valid", "unknown");
        }
    }

    /** The result object: {@code valid}, {@code anomalies}, {@code stats}, plus {@code invariants} and {@code test}. */
    public static ObjectNode json(CheckResult r) {
        ObjectNode root = JSON.createObjectNode();
        putValid(root, r.valid());
        ArrayNode an = root.putArray("anomalies");
        for (Anomaly a : r.anomalies()) {
            ObjectNode o = an.addObject();
            o.put("invariant", a.invariant().wire());
            ArrayNode ops = o.putArray("ops");
            a.ops().forEach(ops::add);
            o.put("explanation", a.explanation());
        }
        ObjectNode stats = root.putObject("stats");
        stats.put("ops", r.stats().ops());
        ObjectNode byF = stats.putObject("by_f");
        r.stats().byF().forEach((f, m) -> {
            ObjectNode fo = byF.putObject(f);
            m.forEach(fo::put);
        });
        ObjectNode inv = root.putObject("invariants");
        for (Map.Entry<Invariant, CheckResult.Verdict> e : r.invariants().entrySet()) {
            ObjectNode o = inv.putObject(e.getKey().wire());
            putValid(o, e.getValue().valid());
            o.put("anomalies", e.getValue().anomalies());
            if (e.getValue().error() != null) {
                o.put("error", e.getValue().error());
            }
        }
        root.set("test", r.test());
        return root;
    }

    public static String jsonText(CheckResult r) {
        try {
            return JSON.writerWithDefaultPrettyPrinter().writeValueAsString(json(r));
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A summary a person reads: verdict, counts, one line per invariant and every anomaly as a sentence. */
    public static String text(CheckResult r) {
        StringBuilder sb = new StringBuilder();
        sb.append(switch (r.valid()) {
            case VALID -> "VALID";
            case INVALID -> "INVALID";
            default -> "UNKNOWN";
        }).append(": ").append(r.stats().ops()).append(" operations");
        if (r.test() != null && r.test().has("name")) {
            sb.append(" (test ").append(r.test().get("name").asText());
            if (r.test().has("seed")) {
                sb.append(", seed ").append(r.test().get("seed").asText());
            }
            sb.append(")");
        }
        sb.append('\n');
        r.stats().byF().forEach((f, m) -> {
            sb.append("  ").append(f).append(':');
            m.forEach((t, n) -> sb.append(' ').append(t).append(' ').append(n));
            sb.append('\n');
        });
        for (Map.Entry<Invariant, CheckResult.Verdict> e : r.invariants().entrySet()) {
            CheckResult.Verdict v = e.getValue();
            sb.append(String.format("  %-24s %s", e.getKey().wire(), switch (v.valid()) {
                case VALID -> "ok";
                case INVALID -> v.anomalies() + " anomal" + (v.anomalies() == 1 ? "y" : "ies");
                default -> "unknown: " + v.error();
            })).append('\n');
        }
        for (Anomaly a : r.anomalies()) {
            sb.append("- [").append(a.invariant().wire()).append("] ops ").append(a.ops()).append(": ")
                    .append(a.explanation()).append('\n');
        }
        long shown = r.anomalies().size();
        long total = r.invariants().values().stream().mapToLong(CheckResult.Verdict::anomalies).sum();
        if (total > shown) {
            sb.append("(").append(total - shown).append(" more anomalies not listed; at most ")
                    .append(Checker.MAX_ANOMALIES_PER_INVARIANT).append(" per invariant are kept)\n");
        }
        return sb.toString();
    }
}
