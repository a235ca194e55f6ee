package io.fli.checker.internal;

import io.fli.checker.History;
import io.fli.checker.Op;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Everything the detectors share, computed once from a history: operations paired invoke-to-completion, the
 * publishes, acquires and queries, every version of every block with its outcomes, the crash events, and an inverted
 * index over all published logs for computing expected query answers.
 */
public final class Analysis implements Facts {
    /** A client operation: its invoke, its completion (or -1) and how it ended. */
    public record Pair(Op invoke, Op completion) {
        public int invokeIndex() {
            return invoke.index();
        }

        /** The completion's index, or {@link Integer#MAX_VALUE} when it never completed. */
        public int completeIndex() {
            return completion == null ? Integer.MAX_VALUE : completion.index();
        }

        /** The index that names this operation in anomalies: the completion, or the invoke if incomplete. */
        public int id() {
            return completion == null ? invoke.index() : completion.index();
        }

        public Op.Type outcome() {
            return completion == null ? Op.Type.INFO : completion.type();
        }

        public boolean ok() {
            return completion != null && completion.type() == Op.Type.OK;
        }

        public boolean precedes(Pair other) {
            return completion != null && completion.index() < other.invoke.index();
        }
    }

    /** One distinct version (number, hash) of a block and the publishes that carried it. */
    public static final class Version {
        public final Op.Block block;
        public final List<Pair> publishes = new ArrayList<>();
        /** The logs by index. */
        final Map<Integer, Op.Log> byIndex = new HashMap<>();

        Version(Op.Block block) {
            this.block = block;
            for (Op.Log l : block.logs()) {
                byIndex.put(l.index(), l);
            }
        }

        boolean allFailed = true;

        /** True when every publish carrying this version definitely failed. */
        public boolean allFailed() {
            return allFailed;
        }

        public Pair firstAck() {
            Pair best = null;
            for (Pair p : publishes) {
                if (p.ok() && (best == null || p.completeIndex() < best.completeIndex())) {
                    best = p;
                }
            }
            return best;
        }
    }

    /** Every version of one block number, and where its logs sit in the inverted index. */
    public static final class BlockInfo {
        public final long number;
        public final List<Version> versions = new ArrayList<>();
        /** Ordinal o (inverted-index key's low half) → version and log. */
        final List<Version> ordinalVersion = new ArrayList<>();
        final List<Op.Log> ordinalLog = new ArrayList<>();
        int firstInvoke = Integer.MAX_VALUE;

        BlockInfo(long number) {
            this.number = number;
        }

        public Version version(String hash) {
            for (Version v : versions) {
                if (v.block.hash().equals(hash)) {
                    return v;
                }
            }
            return null;
        }

        boolean allFailed = true;

        /** True when the block was published and every publish of it (any version) definitely failed. */
        public boolean allFailed() {
            return allFailed;
        }
    }

    /** The outstanding invoke of each process: an array for the usual small process numbers, a map beyond. */
    static final class OpenOps {
        private Op[] small = new Op[64];
        private final Map<Integer, Op> large = new HashMap<>();

        void put(int process, Op op) {
            if (process < 1 << 20) {
                if (process >= small.length) {
                    small = java.util.Arrays.copyOf(small, Math.max(process + 1, small.length * 2));
                }
                small[process] = op;
            } else {
                large.put(process, op);
            }
        }

        Op remove(int process) {
            if (process < 1 << 20) {
                if (process >= small.length) {
                    return null;
                }
                Op op = small[process];
                small[process] = null;
                return op;
            }
            return large.remove(process);
        }

        void forEachRemaining(java.util.function.Consumer<Op> f) {
            for (Op op : small) {
                if (op != null) {
                    f.accept(op);
                }
            }
            large.values().forEach(f);
        }
    }

    public final History history;
    public final List<Pair> acquires = new ArrayList<>();
    public final List<Pair> publishes = new ArrayList<>();
    public final List<Pair> queries = new ArrayList<>();
    /** Indexes of nemesis lines whose f is restart, kill or crash, ascending. */
    public final int[] crashes;
    /** Indexes of nemesis lines whose f is corrupt or fork (an injected cause for failing closed), ascending. */
    public final int[] damages;
    /** Lowest block number any publish carries; blocks below it are not judged. */
    public final long base;
    public final Map<Long, BlockInfo> blocks = new HashMap<>();
    /** Block numbers that were published and whose every publish failed, ascending. */
    public final long[] failedBlocks;
    /** Sorted block numbers that have at least one version. */
    final long[] blockNumbers;
    /** Per stream position, value → sorted keys {@code (block - base) << 32 | ordinal}. */
    private final List<Map<String, long[]>> postings = new ArrayList<>();

    public Analysis(History h) {
        this.history = h;
        List<Op> ops = h.ops();
        OpenOps open = new OpenOps();
        List<Integer> crash = new ArrayList<>();
        List<Integer> damage = new ArrayList<>();
        List<Pair> pairs = new ArrayList<>(ops.size() / 2 + 1);
        for (Op op : ops) {
            if (op.isNemesis()) {
                if (op.f().equals("restart") || op.f().equals("kill") || op.f().equals("crash")) {
                    crash.add(op.index());
                }
                if (op.f().equals("corrupt") || op.f().equals("fork")) {
                    damage.add(op.index());
                }
                continue;
            }
            if (op.type() == Op.Type.INVOKE) {
                open.put(op.process(), op);
            } else {
                pairs.add(new Pair(open.remove(op.process()), op));
            }
        }
        open.forEachRemaining(op -> pairs.add(new Pair(op, null)));
        pairs.sort((a, b) -> Integer.compare(a.invokeIndex(), b.invokeIndex()));
        for (Pair p : pairs) {
            switch (p.invoke().f()) {
                case "acquire" -> acquires.add(p);
                case "publish" -> publishes.add(p);
                default -> queries.add(p);
            }
        }
        crashes = crash.stream().mapToInt(Integer::intValue).toArray();
        damages = damage.stream().mapToInt(Integer::intValue).toArray();
        long min = Long.MAX_VALUE;
        Map<Op.Block, Version> byBlock = new java.util.IdentityHashMap<>();
        for (Pair p : publishes) {
            for (Op.Block b : ((Op.Publish) p.invoke().value()).blocks()) {
                min = Math.min(min, b.number());
                BlockInfo info = blocks.computeIfAbsent(b.number(), BlockInfo::new);
                info.firstInvoke = Math.min(info.firstInvoke, p.invokeIndex());
                Version v = byBlock.get(b);
                if (v == null) {
                    v = new Version(b);
                    byBlock.put(b, v);
                    info.versions.add(v);
                }
                v.publishes.add(p);
                if (p.outcome() != Op.Type.FAIL) {
                    v.allFailed = false;
                    info.allFailed = false;
                }
            }
        }
        base = min;
        blockNumbers = blocks.keySet().stream().mapToLong(Long::longValue).sorted().toArray();
        failedBlocks = blocks.values().stream().filter(BlockInfo::allFailed).mapToLong(b -> b.number).sorted()
                .toArray();
        if (blockNumbers.length > 0 && blockNumbers[blockNumbers.length - 1] - base < 64_000_000L) {
            dense = new BlockInfo[(int) (blockNumbers[blockNumbers.length - 1] - base + 1)];
            for (BlockInfo info : blocks.values()) {
                dense[(int) (info.number - base)] = info;
            }
        }
        buildPostings();
    }

    private void buildPostings() {
        List<Map<String, LongList>> build = new ArrayList<>();
        for (long number : blockNumbers) {
            BlockInfo info = blocks.get(number);
            for (Version v : info.versions) {
                for (Op.Log l : v.block.logs()) {
                    int ordinal = info.ordinalLog.size();
                    info.ordinalLog.add(l);
                    info.ordinalVersion.add(v);
                    long key = ((number - base) << 32) | ordinal;
                    add(build, 0, l.address(), key);
                    for (int t = 0; t < l.topics().size(); t++) {
                        add(build, t + 1, l.topics().get(t), key);
                    }
                }
            }
        }
        for (Map<String, LongList> m : build) {
            Map<String, long[]> done = new HashMap<>(m.size() * 2);
            m.forEach((k, v) -> done.put(k, v.sortedArray()));
            postings.add(done);
        }
    }

    private static void add(List<Map<String, LongList>> build, int position, String value, long key) {
        while (build.size() <= position) {
            build.add(new HashMap<>());
        }
        build.get(position).computeIfAbsent(value, k -> new LongList()).add(key);
    }

    @Override
    public long base() {
        return base;
    }

    @Override
    public long firstFailedBlock() {
        return failedBlocks.length == 0 ? Long.MAX_VALUE : failedBlocks[0];
    }

    /** Dense lookup by block number when the published range is not absurdly sparse. */
    private BlockInfo[] dense;

    @Override
    public BlockInfo block(long number) {
        if (dense != null) {
            long off = number - base;
            return off < 0 || off >= dense.length ? null : dense[(int) off];
        }
        return blocks.get(number);
    }

    /**
     * The first corrupt or fork nemesis line before line {@code index} (its invoke counts: the damage may be in place
     * before the nemesis records what it did), or -1.
     */
    @Override
    public int damageBefore(int index) {
        return damages.length > 0 && damages[0] < index ? damages[0] : -1;
    }

    /** Whether an error is the index failing closed: {@code degraded}, or {@code degraded:} and the reason. */
    public static boolean isDegraded(String error) {
        return error != null && (error.equals("degraded") || error.startsWith("degraded:"));
    }

    /**
     * Whether a returned log's identity fields agree with published log {@code p} of the version whose hash is
     * {@code versionHash}: a field is compared only where both sides carry it.
     */
    public static boolean identityAgrees(Op.Log p, String versionHash, Op.ReturnedLog l) {
        return (l.tx() == null || p.tx() == null || l.tx().equals(p.tx()))
                && (l.txHash() == null || p.txHash() == null || l.txHash().equals(p.txHash()))
                && (l.blockHash() == null || l.blockHash().equals(versionHash));
    }

    /** Whether a crash/restart/kill nemesis line lies strictly between the two indexes. */
    @Override
    public boolean crashBetween(int after, int before) {
        int i = Arrays.binarySearch(crashes, after + 1);
        if (i < 0) {
            i = -i - 1;
        }
        return i < crashes.length && crashes[i] < before;
    }

    /**
     * Every published log (of any version) in blocks {@code lo..hi} that matches the filter, as (block, version,
     * log) triples ordered by block then ordinal.
     */
    @Override
    public List<Match> expected(long lo, long hi, List<String> addresses, List<List<String>> topics) {
        List<Match> out = new ArrayList<>();
        if (blockNumbers.length == 0) {
            return out;
        }
        hi = Math.min(hi, blockNumbers[blockNumbers.length - 1]);
        if (lo > hi) {
            return out;
        }
        long keyLo = (Math.max(lo, base) - base) << 32;
        long keyHi = ((hi - base) << 32) | 0xFFFFFFFFL;
        if (hi < base) {
            return out;
        }
        List<long[]> clauses = new ArrayList<>();
        if (!addresses.isEmpty()) {
            clauses.add(union(0, addresses, keyLo, keyHi));
        }
        for (int i = 0; i < topics.size(); i++) {
            List<String> t = topics.get(i);
            if (t != null && !t.isEmpty()) {
                clauses.add(union(i + 1, t, keyLo, keyHi));
            }
        }
        if (clauses.isEmpty()) {
            int from = Arrays.binarySearch(blockNumbers, Math.max(lo, base));
            if (from < 0) {
                from = -from - 1;
            }
            for (int i = from; i < blockNumbers.length && blockNumbers[i] <= hi; i++) {
                BlockInfo info = block(blockNumbers[i]);
                for (int o = 0; o < info.ordinalLog.size(); o++) {
                    out.add(new Match(info, info.ordinalVersion.get(o), info.ordinalLog.get(o)));
                }
            }
            return out;
        }
        clauses.sort((a, b) -> Integer.compare(a.length, b.length));
        long[] acc = clauses.get(0);
        for (int c = 1; c < clauses.size() && acc.length > 0; c++) {
            acc = intersect(acc, clauses.get(c));
        }
        for (long key : acc) {
            BlockInfo info = block((key >>> 32) + base);
            int o = (int) key;
            out.add(new Match(info, info.ordinalVersion.get(o), info.ordinalLog.get(o)));
        }
        return out;
    }

    /** One expected log. */
    public record Match(BlockInfo block, Version version, Op.Log log) {
    }

    private long[] union(int position, List<String> values, long keyLo, long keyHi) {
        if (position >= postings.size()) {
            return new long[0];
        }
        Map<String, long[]> m = postings.get(position);
        LongList all = new LongList();
        int lists = 0;
        for (String v : values) {
            long[] p = m.get(v);
            if (p == null) {
                continue;
            }
            int from = lowerBound(p, keyLo);
            int to = lowerBound(p, keyHi) ;
            while (to < p.length && p[to] <= keyHi) {
                to++;
            }
            for (int i = from; i < to; i++) {
                all.add(p[i]);
            }
            lists++;
        }
        return union(all, lists);
    }

    /**
     * The keys gathered from {@code lists} sorted posting lists, as one sorted list without repeats: as gathered when
     * they came from one list (already sorted), else sorted and deduplicated.
     */
    static long[] union(LongList all, int lists) {
        long[] out = Arrays.copyOf(all.a, all.n);
        if (lists > 1) {
            Arrays.sort(out);
            int w = 0;
            for (int i = 0; i < out.length; i++) {
                if (i == 0 || out[i] != out[i - 1]) {
                    out[w++] = out[i];
                }
            }
            out = Arrays.copyOf(out, w);
        }
        return out;
    }

    /** First index whose value is {@code >= key}: interpolation steps first (keys are spread evenly), then binary. */
    private static int lowerBound(long[] a, long key) {
        int lo = 0;
        int hi = a.length;
        for (int step = 0; step < 3 && hi - lo > 32; step++) {
            long vlo = a[lo];
            long vhi = a[hi - 1];
            if (key <= vlo) {
                return lo;
            }
            if (key > vhi) {
                return hi;
            }
            int guess = lo + (int) ((double) (key - vlo) / (vhi - vlo) * (hi - 1 - lo));
            guess = Math.max(lo, Math.min(hi - 1, guess));
            // Narrow to a window of 16 around the guess when it brackets the key.
            int l2 = Math.max(lo, guess - 8);
            int h2 = Math.min(hi, guess + 8);
            if (a[l2] < key && (h2 == hi || a[h2 - 1] >= key)) {
                lo = l2;
                hi = h2;
                break;
            }
            if (a[guess] < key) {
                lo = guess + 1;
            } else {
                hi = guess + 1;
            }
        }
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (a[mid] < key) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        return lo;
    }

    /** The keys in both sorted arrays. */
    static long[] intersect(long[] a, long[] b) {
        long[] out = new long[Math.min(a.length, b.length)];
        int i = 0;
        int j = 0;
        int w = 0;
        while (i < a.length && j < b.length) {
            if (a[i] < b[j]) {
                i++;
            } else if (a[i] > b[j]) {
                j++;
            } else {
                out[w++] = a[i];
                i++;
                j++;
            }
        }
        return Arrays.copyOf(out, w);
    }

    /** Whether a log matches an address OR-list and per-position topic OR-lists. */
    public static boolean matches(String address, List<String> logTopics, List<String> addresses,
                                  List<List<String>> topics) {
        if (!addresses.isEmpty() && !addresses.contains(address)) {
            return false;
        }
        for (int i = 0; i < topics.size(); i++) {
            List<String> allowed = topics.get(i);
            if (allowed == null || allowed.isEmpty()) {
                continue;
            }
            if (i >= logTopics.size() || !allowed.contains(logTopics.get(i))) {
                return false;
            }
        }
        return true;
    }
}
