package io.fli.checker;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fli.checker.internal.HistoryParser;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.StringReader;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Random valid histories from a model of the index: several writers with leases and epochs, fenced writers that
 * retry stale publishes, publishes ending ok / fail / info (applied or not), concurrent queries answered from the
 * committed chain at their linearization point, restarts, and degraded query failures.
 */
final class ModelHistories {
    static final ObjectMapper JSON = new ObjectMapper();

    final List<ObjectNode> lines = new ArrayList<>();
    private final Random r;
    private long time;

    /** The committed chain: block n → its logs (as returned-log objects without the block field). */
    final Map<Long, ObjectNode> committed = new HashMap<>();
    /** Every block number has one version, generated once. */
    private final Map<Long, ObjectNode> generated = new HashMap<>();
    /**
     * Line indexes of fenced publish failures invoked after a newer epoch was granted and whose blocks were all
     * committed when they failed: acknowledging one breaks only single-writer.
     */
    final List<Integer> fencedBehindHead = new ArrayList<>();
    long head = 0; // blocks start at 1
    long epoch = 0;
    /** Line index of the first corrupt nemesis operation, or -1: only after it may the index fail closed. */
    int firstCorrupt = -1;

    private final class Proc {
        int id;
        final String writer; // null for a reader
        long myEpoch;
        long myHead; // the writer's possibly stale view
        ObjectNode pending; // invoke value
        String f;
        boolean staleAtInvoke; // a newer epoch was already granted when this publish was invoked

        Proc(int id, String writer) {
            this.id = id;
            this.writer = writer;
        }
    }

    private int nextProcess;

    ModelHistories(long seed) {
        this.r = new Random(seed);
    }

    static ObjectNode block(long n, String hash, Random r) {
        ObjectNode b = JSON.createObjectNode();
        b.put("number", n);
        b.put("hash", hash);
        ArrayNode logs = b.putArray("logs");
        int count = r.nextInt(4);
        for (int i = 0; i < count; i++) {
            ObjectNode l = logs.addObject();
            l.put("index", i);
            l.put("tx", i / 2);
            l.put("txHash", "0xtx" + n + "_" + (i / 2) + hash);
            l.put("address", "0xa" + r.nextInt(4));
            ArrayNode t = l.putArray("topics");
            int nt = r.nextInt(3);
            for (int k = 0; k < nt; k++) {
                t.add("0xt" + k + r.nextInt(3));
            }
            l.put("data", "0xd" + n + "_" + i + hash);
        }
        return b;
    }

    private ObjectNode line(int process, String type, String f, ObjectNode value) {
        time += 1 + r.nextInt(1000);
        ObjectNode n = JSON.createObjectNode();
        n.put("index", lines.size());
        n.put("time", time);
        if (process < 0) {
            n.put("process", "nemesis");
        } else {
            n.put("process", process);
        }
        n.put("type", type);
        n.put("f", f);
        n.set("value", value);
        lines.add(n);
        return n;
    }

    /** Generates {@code steps} scheduling steps. */
    ModelHistories generate(int steps) {
        List<Proc> procs = new ArrayList<>();
        int writers = 2 + r.nextInt(2);
        for (int i = 0; i < writers; i++) {
            procs.add(new Proc(nextProcess++, "w" + i));
        }
        for (int i = 0; i < 3; i++) {
            procs.add(new Proc(nextProcess++, null));
        }
        for (int s = 0; s < steps; s++) {
            if (r.nextInt(40) == 0) {
                ObjectNode v = JSON.createObjectNode().put("target", "index");
                line(-1, "invoke", "restart", v);
                line(-1, "info", "restart", v);
                continue;
            }
            if (firstCorrupt < 0 && s > steps / 3 && r.nextInt(60) == 0) {
                ObjectNode v = JSON.createObjectNode().put("object", "packs/x").put("restored", true);
                firstCorrupt = line(-1, "invoke", "corrupt", JSON.createObjectNode()).get("index").asInt();
                line(-1, "info", "corrupt", v);
                continue;
            }
            Proc p = procs.get(r.nextInt(procs.size()));
            if (p.pending == null) {
                invoke(p);
            } else {
                complete(p);
            }
        }
        // After every fault healed: final reads on fresh processes, the whole range and one filter.
        for (int k = 0; k < 2; k++) {
            ObjectNode v = JSON.createObjectNode().putNull("from").putNull("to").put("final", true);
            if (k == 1) {
                v.putArray("addresses").add("0xa" + r.nextInt(4));
            }
            int id = nextProcess++;
            line(id, "invoke", "query", v);
            ObjectNode done = v.deepCopy();
            answer(done);
            line(id, "ok", "query", done);
        }
        return this;
    }

    private void invoke(Proc p) {
        ObjectNode v = JSON.createObjectNode();
        if (p.writer == null) {
            p.f = "query";
            v.putNull("from");
            v.putNull("to");
            if (r.nextBoolean()) {
                v.put("from", 1 + r.nextInt((int) head + 2));
            }
            if (r.nextBoolean()) {
                v.put("to", 1 + r.nextInt((int) head + 3));
            }
            if (r.nextBoolean()) {
                ArrayNode a = v.putArray("addresses");
                a.add("0xa" + r.nextInt(5));
                if (r.nextBoolean()) {
                    a.add("0xa" + r.nextInt(5));
                }
            }
            if (r.nextInt(3) == 0) {
                ArrayNode t = v.putArray("topics");
                t.addNull();
                ArrayNode p1 = t.addArray();
                p1.add("0xt1" + r.nextInt(3));
            }
        } else if (p.myEpoch == 0 || r.nextInt(12) == 0) {
            p.f = "acquire";
            v.put("writer", p.writer);
        } else {
            p.f = "publish";
            p.staleAtInvoke = p.myEpoch < epoch;
            v.put("writer", p.writer);
            v.put("epoch", p.myEpoch);
            ArrayNode blocks = v.putArray("blocks");
            long from = p.myEpoch == epoch ? head + 1 : Math.max(1, Math.min(p.myHead + 1, head));
            if (head == 0) {
                from = 1;
            }
            int count = 1 + r.nextInt(3);
            for (long n = from; n < from + count; n++) {
                blocks.add(generated.computeIfAbsent(n, k -> block(k, "0xh" + k, r)));
            }
        }
        p.pending = v;
        line(p.id, "invoke", p.f, v);
    }

    private void complete(Proc p) {
        ObjectNode v = p.pending.deepCopy();
        p.pending = null;
        switch (p.f) {
            case "acquire" -> {
                epoch++;
                p.myEpoch = epoch;
                p.myHead = head;
                v.put("epoch", epoch);
                line(p.id, "ok", "acquire", v);
            }
            case "publish" -> publish(p, v);
            default -> {
                if (firstCorrupt >= 0 && r.nextInt(30) == 0) {
                    v.put("error", "degraded");
                    line(p.id, "fail", "query", v);
                    return;
                }
                answer(v);
                line(p.id, "ok", "query", v);
            }
        }
    }

    private void publish(Proc p, ObjectNode v) {
        ArrayNode blocks = (ArrayNode) v.get("blocks");
        long first = blocks.get(0).get("number").asLong();
        long last = blocks.get(blocks.size() - 1).get("number").asLong();
        if (p.myEpoch != epoch) {
            v.put("error", "fenced: epoch " + p.myEpoch + " superseded by " + epoch);
            ObjectNode l = line(p.id, "fail", "publish", v);
            if (last <= head && p.staleAtInvoke) {
                fencedBehindHead.add(l.get("index").asInt());
            }
            p.myEpoch = 0;
            return;
        }
        if (first != head + 1) {
            // the model's writer raced itself; treat as a gap error: definitely not applied
            v.put("error", "gap");
            line(p.id, "fail", "publish", v);
            return;
        }
        int outcome = r.nextInt(10);
        boolean applies = outcome < 8 || (outcome == 9 && r.nextBoolean());
        if (applies) {
            for (int i = 0; i < blocks.size(); i++) {
                committed.put(first + i, (ObjectNode) blocks.get(i));
            }
            head = last;
            p.myHead = last;
        }
        if (outcome < 7) {
            v.put("head", head);
            line(p.id, "ok", "publish", v);
        } else if (outcome == 7) {
            v.put("error", "timeout");
            line(p.id, "info", "publish", v);
            retire(p);
        } else if (outcome == 8) {
            // applied but the writer saw an error it could not classify: still info
            v.put("error", "lost reply");
            line(p.id, "info", "publish", v);
            retire(p);
        } else {
            v.put("error", "timeout");
            line(p.id, "info", "publish", v);
            retire(p);
        }
    }

    private void retire(Proc p) {
        p.id = nextProcess++;
        p.myEpoch = 0;
    }

    private void answer(ObjectNode v) {
        long from = v.get("from").isNull() ? 1 : v.get("from").asLong();
        long to = v.get("to").isNull() ? head : Math.min(head, v.get("to").asLong());
        if (head == 0) {
            v.putNull("head");
        } else {
            v.put("head", head);
        }
        ArrayNode out = v.putArray("logs");
        for (long n = Math.max(1, from); n <= to; n++) {
            for (var l : committed.get(n).get("logs")) {
                if (matches(v, (ObjectNode) l)) {
                    ObjectNode rl = JSON.createObjectNode();
                    rl.put("block", n);
                    rl.setAll((ObjectNode) l);
                    rl.put("blockHash", committed.get(n).get("hash").asText());
                    out.add(rl);
                }
            }
        }
    }

    static boolean matches(ObjectNode q, ObjectNode log) {
        if (q.has("addresses") && !q.get("addresses").isEmpty()) {
            boolean any = false;
            for (var a : q.get("addresses")) {
                any |= a.asText().equals(log.get("address").asText());
            }
            if (!any) {
                return false;
            }
        }
        if (q.has("topics")) {
            for (int i = 0; i < q.get("topics").size(); i++) {
                var allowed = q.get("topics").get(i);
                if (allowed.isNull() || allowed.isEmpty()) {
                    continue;
                }
                var topics = log.get("topics");
                if (i >= topics.size()) {
                    return false;
                }
                boolean any = false;
                for (var a : allowed) {
                    any |= a.asText().equals(topics.get(i).asText());
                }
                if (!any) {
                    return false;
                }
            }
        }
        return true;
    }

    String text() {
        StringBuilder sb = new StringBuilder();
        sb.append("{\"format\":\"").append(HistoryParser.FORMAT).append("\",\"version\":1,\"test\":{\"name\":\"model\"}}\n");
        for (ObjectNode n : lines) {
            sb.append(n).append('\n');
        }
        return sb.toString();
    }

    static History parse(String text) {
        try {
            return HistoryParser.parse(new BufferedReader(new StringReader(text)));
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
