package io.fli.checker;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.stream.Collectors;
import net.jqwik.api.Assume;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.statistics.Statistics;

/**
 * Random valid histories from a model of the index must pass; one random corruption of such a history must be
 * flagged under the invariant it breaks.
 */
class CheckerProperties {

    enum Corruption {
        DROP_RETURNED_LOG(Set.of(Invariant.NO_DUPLICATE_OR_MISSING)),
        DUPLICATE_RETURNED_LOG(Set.of(Invariant.NO_DUPLICATE_OR_MISSING)),
        FLIP_A_TOPIC(Set.of(Invariant.FAIL_CLOSED)),
        DAMAGE_DATA(Set.of(Invariant.FAIL_CLOSED)),
        LOWER_A_HEAD(Set.of(Invariant.SNAPSHOT_CONSISTENT, Invariant.RESTART_IDEMPOTENT)),
        ACKNOWLEDGE_A_FENCED_PUBLISH(Set.of(Invariant.SINGLE_WRITER)),
        REPEAT_AN_EPOCH(Set.of(Invariant.SINGLE_WRITER)),
        WRONG_TX_HASH(Set.of(Invariant.FAIL_CLOSED)),
        WRONG_BLOCK_HASH(Set.of(Invariant.FAIL_CLOSED)),
        FAIL_A_FINAL_READ(Set.of(Invariant.NO_DUPLICATE_OR_MISSING)),
        DEGRADE_WITHOUT_CAUSE(Set.of(Invariant.NO_DUPLICATE_OR_MISSING));

        final Set<Invariant> flags;

        Corruption(Set<Invariant> flags) {
            this.flags = flags;
        }
    }

    @Property(tries = 200)
    void historiesOfACorrectIndexAreValid(@ForAll long seed) {
        ModelHistories m = new ModelHistories(seed).generate(300);
        CheckResult r = Checker.check(ModelHistories.parse(m.text()));
        assertThat(r.anomalies()).as("seed %d\n%s", seed, Reports.text(r)).isEmpty();
        assertThat(r.valid()).isEqualTo(Validity.VALID);
    }

    @Property(tries = 400)
    void aCorruptedHistoryIsFlaggedUnderTheInvariantItBreaks(@ForAll long seed, @ForAll Corruption c) {
        ModelHistories m = new ModelHistories(seed).generate(300);
        Random r = new Random(seed);
        boolean applied = apply(c, m, r);
        Assume.that(applied);
        CheckResult res = Checker.check(ModelHistories.parse(m.text()));
        Set<Invariant> found = res.anomalies().stream().map(Anomaly::invariant).collect(Collectors.toSet());
        assertThat(found).as("seed %d, %s\n%s", seed, c, Reports.text(res)).isNotEmpty();
        assertThat(c.flags).as("seed %d, %s\n%s", seed, c, Reports.text(res)).containsAll(found);
        Statistics.collect(c);
        // Every kind of corruption must actually be exercised, not just assumed away.
        Statistics.coverage(cov -> {
            for (Corruption k : Corruption.values()) {
                cov.check(k).count(n -> n >= 15);
            }
        });
    }

    private static List<ObjectNode> ok(ModelHistories m, String f) {
        List<ObjectNode> out = new ArrayList<>();
        for (ObjectNode n : m.lines) {
            if (n.get("f").asText().equals(f) && n.get("type").asText().equals("ok")) {
                out.add(n);
            }
        }
        return out;
    }

    private static <T> T pick(List<T> xs, Random r) {
        return xs.get(r.nextInt(xs.size()));
    }

    static boolean apply(Corruption c, ModelHistories m, Random r) {
        List<ObjectNode> queries = ok(m, "query");
        List<ObjectNode> withLogs = queries.stream().filter(q -> !q.get("value").get("logs").isEmpty()).toList();
        switch (c) {
            case WRONG_TX_HASH, WRONG_BLOCK_HASH -> {
                if (withLogs.isEmpty()) {
                    return false;
                }
                ArrayNode logs = (ArrayNode) pick(withLogs, r).get("value").get("logs");
                ObjectNode l = (ObjectNode) logs.get(r.nextInt(logs.size()));
                if (c == Corruption.WRONG_TX_HASH) {
                    l.put("txHash", l.get("txHash").asText() + "0");
                } else {
                    l.put("blockHash", "0xh" + (l.get("block").asLong() + 1));
                }
                return true;
            }
            case FAIL_A_FINAL_READ -> {
                ObjectNode n = pick(queries.stream().filter(q -> q.get("value").path("final").asBoolean()).toList(), r);
                n.put("type", "fail");
                ObjectNode v = (ObjectNode) n.get("value");
                v.remove("head");
                v.remove("logs");
                v.put("error", r.nextBoolean() ? "degraded" : "backend unreachable");
                if (m.firstCorrupt >= 0 && v.get("error").asText().equals("degraded")) {
                    v.put("error", "timeout");
                }
                return true;
            }
            case DEGRADE_WITHOUT_CAUSE -> {
                List<ObjectNode> before = queries.stream().filter(q -> !q.get("value").path("final").asBoolean()
                        && (m.firstCorrupt < 0 || q.get("index").asInt() < m.firstCorrupt)).toList();
                if (before.isEmpty()) {
                    return false;
                }
                ObjectNode n = pick(before, r);
                n.put("type", "fail");
                ObjectNode v = (ObjectNode) n.get("value");
                v.remove("head");
                v.remove("logs");
                v.put("error", "degraded");
                return true;
            }
            case DROP_RETURNED_LOG, DUPLICATE_RETURNED_LOG, FLIP_A_TOPIC, DAMAGE_DATA -> {
                List<ObjectNode> candidates = c == Corruption.FLIP_A_TOPIC ? withLogs.stream().filter(q -> {
                    for (var l : q.get("value").get("logs")) {
                        if (!l.get("topics").isEmpty()) {
                            return true;
                        }
                    }
                    return false;
                }).toList() : withLogs;
                if (candidates.isEmpty()) {
                    return false;
                }
                ArrayNode logs = (ArrayNode) pick(candidates, r).get("value").get("logs");
                int i = r.nextInt(logs.size());
                switch (c) {
                    case DROP_RETURNED_LOG -> logs.remove(i);
                    case DUPLICATE_RETURNED_LOG -> logs.insert(i, logs.get(i).deepCopy());
                    case DAMAGE_DATA -> ((ObjectNode) logs.get(i)).put("data", "0xdamaged");
                    default -> {
                        while (logs.get(i).get("topics").isEmpty()) {
                            i = (i + 1) % logs.size();
                        }
                        ((ArrayNode) logs.get(i).get("topics")).set(0, "0xflipped");
                    }
                }
                return true;
            }
            case LOWER_A_HEAD -> {
                // A query whose head equals the head of a publish acknowledged before the query was invoked.
                List<ObjectNode> candidates = new ArrayList<>();
                long acked = Long.MIN_VALUE;
                java.util.Map<Integer, Long> ackedAtInvoke = new java.util.HashMap<>();
                java.util.Map<Integer, Integer> invokeOf = new java.util.HashMap<>();
                for (ObjectNode n : m.lines) {
                    String f = n.get("f").asText();
                    String type = n.get("type").asText();
                    if (f.equals("publish") && type.equals("ok")) {
                        acked = Math.max(acked, n.get("value").get("head").asLong());
                    }
                    if (f.equals("query") && type.equals("invoke")) {
                        invokeOf.put(n.get("process").asInt(), n.get("index").asInt());
                        ackedAtInvoke.put(n.get("index").asInt(), acked);
                    }
                    if (f.equals("query") && type.equals("ok") && !n.get("value").get("head").isNull()) {
                        long h = n.get("value").get("head").asLong();
                        Long before = ackedAtInvoke.get(invokeOf.get(n.get("process").asInt()));
                        if (before != null && before == h && h >= 2) {
                            candidates.add(n);
                        }
                    }
                }
                if (candidates.isEmpty()) {
                    return false;
                }
                ObjectNode q = (ObjectNode) pick(candidates, r).get("value");
                long h = q.get("head").asLong();
                q.put("head", h - 1);
                ArrayNode logs = (ArrayNode) q.get("logs");
                for (int i = logs.size() - 1; i >= 0; i--) {
                    if (logs.get(i).get("block").asLong() >= h) {
                        logs.remove(i);
                    }
                }
                return true;
            }
            case ACKNOWLEDGE_A_FENCED_PUBLISH -> {
                if (m.fencedBehindHead.isEmpty()) {
                    return false;
                }
                ObjectNode n = m.lines.get(pick(m.fencedBehindHead, r));
                n.put("type", "ok");
                ObjectNode v = (ObjectNode) n.get("value");
                v.remove("error");
                ArrayNode blocks = (ArrayNode) v.get("blocks");
                v.put("head", blocks.get(blocks.size() - 1).get("number").asLong());
                return true;
            }
            default -> {
                List<ObjectNode> acquires = ok(m, "acquire").stream()
                        .filter(a -> a.get("value").get("epoch").asLong() >= 2).toList();
                if (acquires.isEmpty()) {
                    return false;
                }
                ObjectNode v = (ObjectNode) pick(acquires, r).get("value");
                v.put("epoch", v.get("epoch").asLong() - 1);
                return true;
            }
        }
    }
}
