package io.fli.workloads;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fli.checker.Fingerprint;
import io.fli.engine.Block;
import io.fli.engine.Log;
import io.fli.engine.LogQuery;
import io.fli.engine.MatchedLog;
import io.fli.engine.QueryResult;
import java.util.List;

/**
 * The values of history operations ({@code docs/history-format.md}) built from engine objects: published blocks,
 * query filters and query answers, in full or compact ({@code logRefs}) form. Shared by {@code fli test} and
 * {@code fli soak}.
 */
public final class HistoryJson {
    private static final ObjectMapper JSON = new ObjectMapper();

    private HistoryJson() {
    }

    /** The {@code blocks} of a publish. */
    public static ArrayNode blocks(List<Block> batch) {
        ArrayNode blocks = JSON.createArrayNode();
        for (Block b : batch) {
            ObjectNode bn = blocks.addObject();
            bn.put("number", b.number());
            bn.put("hash", b.hash());
            ArrayNode logs = bn.putArray("logs");
            for (Log l : b.logs()) {
                ObjectNode ln = logs.addObject();
                ln.put("index", l.index());
                if (l.tx() != null) {
                    ln.put("tx", l.tx());
                }
                if (l.txHash() != null) {
                    ln.put("txHash", l.txHash());
                }
                ln.put("address", l.address());
                ArrayNode t = ln.putArray("topics");
                l.topics().forEach(t::add);
                if (l.data() != null) {
                    ln.put("data", l.data());
                }
            }
        }
        return blocks;
    }

    /**
     * The invoke value of a query. A block-hash query is recorded as the one-block range of that block (its expected
     * answer on a finalized chain) with the hash alongside for the reader.
     *
     * @param hashBlock the number of the block {@code q.blockHash()} names (ignored for range queries)
     */
    public static ObjectNode queryArgs(LogQuery q, Long hashBlock, boolean finalRead) {
        ObjectNode args = JSON.createObjectNode();
        if (q.blockHash() != null) {
            args.put("from", hashBlock);
            args.put("to", hashBlock);
        } else {
            putNullable(args, "from", q.fromBlock());
            putNullable(args, "to", q.toBlock());
        }
        ArrayNode a = args.putArray("addresses");
        q.addresses().forEach(a::add);
        ArrayNode t = args.putArray("topics");
        for (List<String> pos : q.topics()) {
            if (pos == null) {
                t.addNull();
            } else {
                ArrayNode p = t.addArray();
                pos.forEach(p::add);
            }
        }
        if (q.blockHash() != null) {
            args.put("blockHash", q.blockHash());
        }
        if (finalRead) {
            args.put("final", true);
        }
        return args;
    }

    /**
     * Adds a query's answer to its completion value {@code v}: {@code head}, and {@code logs} in full, or
     * {@code logRefs} ({@code [block, index, fingerprint]} per log) when {@code compact}.
     */
    public static ObjectNode answer(ObjectNode v, QueryResult res, boolean compact) {
        putNullable(v, "head", res.head());
        if (compact) {
            ArrayNode refs = v.putArray("logRefs");
            for (MatchedLog m : res.logs()) {
                Log l = m.log();
                refs.addArray().add(m.block()).add(l.index()).add(Fingerprint.of(l.address(), l.topics(), l.data(),
                        l.tx() == null ? null : l.tx().longValue(), l.txHash(), m.blockHash()));
            }
            return v;
        }
        ArrayNode logs = v.putArray("logs");
        for (MatchedLog m : res.logs()) {
            ObjectNode ln = logs.addObject();
            ln.put("block", m.block());
            ln.put("index", m.log().index());
            if (m.log().tx() != null) {
                ln.put("tx", m.log().tx());
            }
            if (m.log().txHash() != null) {
                ln.put("txHash", m.log().txHash());
            }
            ln.put("blockHash", m.blockHash());
            ln.put("address", m.log().address());
            ArrayNode tp = ln.putArray("topics");
            m.log().topics().forEach(tp::add);
            if (m.log().data() != null) {
                ln.put("data", m.log().data());
            }
        }
        return v;
    }

    private static void putNullable(ObjectNode n, String field, Long value) {
        if (value == null) {
            n.putNull(field);
        } else {
            n.put(field, value);
        }
    }
}
