package io.fli.engine;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/** Small random chains over tiny value domains (so filters hit), and the brute-force answer to compare with. */
final class TestChains {
    private TestChains() {
    }

    static List<Block> chain(long seed, long first, int blocks, int maxLogs) {
        Random r = new Random(seed);
        List<Block> out = new ArrayList<>();
        String parent = null;
        for (int i = 0; i < blocks; i++) {
            long n = first + i;
            List<Log> logs = new ArrayList<>();
            int count = r.nextInt(maxLogs + 1);
            int tx = 0;
            for (int j = 0; j < count; j++) {
                if (r.nextInt(3) == 0) {
                    tx++;
                }
                int nt = r.nextInt(5);
                List<String> topics = new ArrayList<>();
                for (int t = 0; t < nt; t++) {
                    topics.add("0xt" + t + "_" + r.nextInt(4));
                }
                logs.add(new Log(j, tx, "0xa" + r.nextInt(6), topics, r.nextBoolean() ? "0xd" + r.nextInt(100) : null));
            }
            String hash = "0xh" + n + "_" + seed;
            out.add(new Block(n, hash, parent, logs));
            parent = hash;
        }
        return out;
    }

    static LogQuery randomQuery(Random r, long first, long last) {
        Long from = r.nextInt(4) == 0 ? null : first + r.nextInt((int) (last - first + 3)) - 1;
        Long to = r.nextInt(4) == 0 ? null : first + r.nextInt((int) (last - first + 3)) - 1;
        if (from != null && to != null && from > to) {
            long t = from;
            from = to;
            to = t;
        }
        if (from != null && from < 0) {
            from = 0L;
        }
        if (to != null && to < 0) {
            to = 0L;
        }
        List<String> addrs = new ArrayList<>();
        int na = r.nextInt(3);
        for (int i = 0; i < na; i++) {
            addrs.add("0xa" + r.nextInt(7));
        }
        List<List<String>> topics = new ArrayList<>();
        int np = r.nextInt(5);
        for (int p = 0; p < np; p++) {
            if (r.nextInt(3) == 0) {
                topics.add(null);
                continue;
            }
            List<String> vs = new ArrayList<>();
            int nv = 1 + r.nextInt(2);
            for (int v = 0; v < nv; v++) {
                vs.add("0xt" + p + "_" + r.nextInt(5));
            }
            topics.add(vs);
        }
        return LogQuery.range(from, to, addrs, topics);
    }

    /** The exact expected answer over the published blocks, for a head. */
    static List<MatchedLog> bruteForce(List<Block> published, LogQuery q, long head) {
        List<MatchedLog> out = new ArrayList<>();
        for (Block b : published) {
            if (b.number() > head) {
                continue;
            }
            if (q.blockHash() != null ? !q.blockHash().equals(b.hash())
                    : (q.fromBlock() != null && b.number() < q.fromBlock())
                    || (q.toBlock() != null && b.number() > q.toBlock())) {
                continue;
            }
            b.logs().stream().sorted(java.util.Comparator.comparingInt(Log::index))
                    .filter(l -> l.matches(q.addresses(), q.topics()))
                    .forEach(l -> out.add(new MatchedLog(b.number(), b.hash(), l)));
        }
        return out;
    }

    static List<List<Block>> batches(List<Block> chain, Random r, int maxBatch) {
        List<List<Block>> out = new ArrayList<>();
        int i = 0;
        while (i < chain.size()) {
            int n = 1 + r.nextInt(maxBatch);
            out.add(chain.subList(i, Math.min(chain.size(), i + n)));
            i += n;
        }
        return out;
    }
}
