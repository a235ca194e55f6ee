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
        // Every anomaly is counted; at most Checker.MAX_ANOMALIES_PER_INVARIANT per invariant are listed.
        root.put("anomaly_count", total(r));
        root.put("anomalies_listed", r.anomalies().size());
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

    /** Every anomaly found, listed or not. */
    public static long total(CheckResult r) {
        return r.invariants().values().stream().mapToLong(CheckResult.Verdict::anomalies).sum();
    }

    /** A summary a person reads: verdict, counts, one line per invariant and every listed anomaly as a sentence. */
    public static String text(CheckResult r) {
        return text(r, Integer.MAX_VALUE);
    }

    /**
     * The summary with at most {@code maxListed} anomaly sentences; the rest are counted in a closing line
     * ("... and N more") that says where the full list is.
     */
    public static String text(CheckResult r, int maxListed) {
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
        int shown = 0;
        for (Anomaly a : r.anomalies()) {
            if (shown == maxListed) {
                break;
            }
            sb.append("- [").append(a.invariant().wire()).append("] ops ").append(a.ops()).append(": ")
                    .append(a.explanation()).append('\n');
            shown++;
        }
        long total = total(r);
        if (total > shown) {
            sb.append("... and ").append(total - shown).append(" more anomal").append(total - shown == 1 ? "y" : "ies")
                    .append(" (").append(total).append(" in all; results.json and fli check --json list up to ")
                    .append(Checker.MAX_ANOMALIES_PER_INVARIANT).append(" per invariant)\n");
        }
        return sb.toString();
    }
}
