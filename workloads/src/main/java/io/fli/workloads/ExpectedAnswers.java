package io.fli.workloads;

import io.fli.engine.Block;
import io.fli.engine.Log;
import io.fli.engine.LogQuery;
import io.fli.engine.MatchedLog;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/** The brute-force answer to a query: a scan of every published block, the model the index must equal. */
public final class ExpectedAnswers {
    private ExpectedAnswers() {
    }

    /** Every log of {@code published} (blocks in order) visible at {@code head} that {@code q} matches. */
    public static List<MatchedLog> answer(List<Block> published, LogQuery q, Long head) {
        List<MatchedLog> out = new ArrayList<>();
        if (head == null) {
            return out;
        }
        for (Block b : published) {
            if (b.number() > head) {
                break;
            }
            boolean inRange = q.blockHash() != null ? q.blockHash().equals(b.hash())
                    : (q.fromBlock() == null || b.number() >= q.fromBlock())
                    && (q.toBlock() == null || b.number() <= q.toBlock());
            if (!inRange) {
                continue;
            }
            b.logs().stream().sorted(Comparator.comparingInt(Log::index))
                    .filter(l -> l.matches(q.addresses(), q.topics()))
                    .forEach(l -> out.add(new MatchedLog(b.number(), b.hash(), l)));
        }
        return out;
    }
}
