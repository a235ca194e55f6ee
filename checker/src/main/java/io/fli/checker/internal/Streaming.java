package io.fli.checker.internal;

import io.fli.checker.Invariant;
import io.fli.checker.Op;
import io.fli.checker.internal.Analysis.BlockInfo;
import io.fli.checker.internal.Analysis.Match;
import io.fli.checker.internal.Analysis.Pair;
import io.fli.checker.internal.Analysis.Version;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Consumer;

/**
 * The streaming checker: reads operations in file order, keeps the published chain and the few running maxima the
 * rules need, and judges each operation with the same per-operation judgments as the batch checker ({@link
 * Detectors}), then drops it.
 *
 * <p>When to judge. A query is judged once everything its judgment reads has settled: every publish invoked before
 * the query completed has completed (its outcome decides which versions failed and which one was acknowledged
 * first), and queries are judged in completion order (a query can commit a version for the queries after it). Until
 * then it waits in a queue, which is the checker's lag. The head-regression rules need only the highest acknowledged
 * head and the highest returned head when the query was invoked, kept with the open invoke.
 *
 * <p>Exactness. The batch checker reads the whole history, so a judgment can depend on lines after the query: a
 * block published again after a query already showed it (a stale writer's fork, or a retry acknowledged after an
 * unknown outcome) changes the versions, failures or first acknowledgement a query was judged against. The checker
 * watches for exactly that: any change to the settled facts of a block at or below the highest block a judged query
 * read. Such a history is then not decided here ({@link #inexact()} says where and why) and the caller judges it with
 * the batch checker; every other history gets the batch checker's verdict and anomalies, which the differential
 * tests prove on the golden, model and recorded histories.
 */
public final class Streaming implements Facts, Consumer<Op> {
    /** Ordinals per block that the posting keys hold (block number in the high bits). */
    private static final int ORDINAL_BITS = 24;
    private static final long MAX_BLOCK = (1L << (63 - ORDINAL_BITS)) - 1;

    private final Emitter out;
    private HistoryParser parser;

    // ---- the published chain
    private final TreeMap<Long, BlockInfo> blocks = new TreeMap<>();
    private long base = Long.MAX_VALUE;
    private final List<Map<String, Postings>> postings = new ArrayList<>();
    private final TreeSet<Long> failedBlocks = new TreeSet<>();

    // ---- faults
    private int[] crashes = new int[16];
    private int crashCount;
    private int firstDamage = -1;

    // ---- operations in flight and waiting
    private final Map<Integer, Open> open = new HashMap<>();
    private final TreeSet<Integer> openPublishes = new TreeSet<>();
    private final ArrayDeque<Open> waiting = new ArrayDeque<>();

    // ---- running state of the rules
    private Pair maxAck;
    private Pair maxQuery;
    private Pair maxGrant;
    private final List<Pair> okAcquires = new ArrayList<>();
    private final Detectors.Acks acks = new Detectors.Acks();
    private final Set<Long> reportedFailed = new HashSet<>();
    private final Commits commits = new Commits();
    private long judgedHi = Long.MIN_VALUE;

    // ---- counts
    private final Map<String, long[]> counts = new HashMap<>();
    private long opsRead;
    private long judged;
    private int maxWaiting;
    private String inexact;
    private boolean finished;

    /** One open operation: its invoke and what the rules read when it was invoked. */
    private static final class Open {
        final Op invoke;
        final Pair maxAck;
        final Pair maxQuery;
        final Pair maxGrant;
        /** For a publish, the pair its versions hold until it completes. */
        Pair placeholder;
        /** For a completed query, the completed pair. */
        Pair done;

        Open(Op invoke, Pair maxAck, Pair maxQuery, Pair maxGrant) {
            this.invoke = invoke;
            this.maxAck = maxAck;
            this.maxQuery = maxQuery;
            this.maxGrant = maxGrant;
        }
    }

    public Streaming(Emitter out) {
        this.out = out;
    }

    /** The parser feeding this checker, to resolve compact answers whose block was published after them. */
    public void parser(HistoryParser p) {
        this.parser = p;
    }

    // ------------------------------------------------------------------ reading

    @Override
    public void accept(Op op) {
        if (finished) {
            throw new IllegalStateException("the stream has been finished");
        }
        opsRead++;
        counts.computeIfAbsent(op.f(), k -> new long[Op.Type.values().length])[op.type().ordinal()]++;
        if (op.isNemesis()) {
            switch (op.f()) {
                case "restart", "kill", "crash" -> {
                    if (crashCount == crashes.length) {
                        crashes = Arrays.copyOf(crashes, crashCount * 2);
                    }
                    crashes[crashCount++] = op.index();
                }
                case "corrupt", "fork" -> {
                    if (firstDamage < 0) {
                        firstDamage = op.index();
                    }
                }
                default -> {
                }
            }
            return;
        }
        if (op.type() == Op.Type.INVOKE) {
            Open o = new Open(op, maxAck, maxQuery, maxGrant);
            open.put(op.process(), o);
            if (op.value() instanceof Op.Publish p) {
                o.placeholder = new Pair(op, null);
                openPublishes.add(op.index());
                for (Op.Block b : p.blocks()) {
                    changing(b.number(), () -> publishInvoked(b, o.placeholder));
                }
            }
            return;
        }
        Open o = open.remove(op.process());
        Pair pair = new Pair(o.invoke, op);
        switch (op.f()) {
            case "acquire" -> {
                Detectors.fencing(pair, o.maxGrant, out);
                if (pair.ok()) {
                    okAcquires.add(pair);
                    maxGrant = Detectors.maxGrant(maxGrant, pair);
                }
            }
            case "publish" -> {
                openPublishes.remove(o.invoke.index());
                for (Op.Block b : ((Op.Publish) o.invoke.value()).blocks()) {
                    changing(b.number(), () -> publishCompleted(b, o.placeholder, pair));
                }
                Detectors.fencing(pair, o.maxGrant, out);
                if (pair.ok()) {
                    acks.acknowledged(pair, out);
                    maxAck = Detectors.maxAck(maxAck, pair);
                }
            }
            default -> {
                o.done = pair;
                waiting.add(o);
                maxWaiting = Math.max(maxWaiting, waiting.size());
                if (pair.ok()) {
                    maxQuery = Detectors.maxQuery(maxQuery, pair);
                }
            }
        }
        Detectors.unreadable(this, pair, out);
        judgeSettled();
    }

    /**
     * The end of the history: operations never completed stay incomplete (an unknown outcome), and every waiting
     * query is judged.
     */
    public void finish() {
        if (finished) {
            return;
        }
        finished = true;
        openPublishes.clear();
        List<Open> left = new ArrayList<>(open.values());
        left.sort((x, y) -> Integer.compare(x.invoke.index(), y.invoke.index()));
        for (Open o : left) {
            Detectors.unreadable(this, o.placeholder != null ? o.placeholder : new Pair(o.invoke, null), out);
        }
        open.clear();
        judgeSettled();
        Detectors.sameEpochs(okAcquires, out);
    }

    private void judgeSettled() {
        while (!waiting.isEmpty()) {
            Open o = waiting.peek();
            if (!openPublishes.isEmpty() && openPublishes.first() < o.done.completeIndex()) {
                return;
            }
            waiting.poll();
            judge(o);
        }
    }

    private void judge(Open o) {
        Pair q = resolved(o.done);
        Detectors.visibility(this, q, reportedFailed, out);
        Detectors.failClosed(this, q, out);
        Detectors.noDuplicateOrMissing(this, q, commits, out);
        Detectors.headRegression(this, q, o.maxAck, o.maxQuery, out);
        judged++;
        if (q.ok()) {
            Op.Query v = (Op.Query) q.completion().value();
            if (v.head() != null) {
                judgedHi = Math.max(judgedHi, v.head());
            }
            for (Op.ReturnedLog l : v.logs()) {
                judgedHi = Math.max(judgedHi, l.block());
            }
        }
    }

    /** The query with its compactly recorded logs resolved against every version published by now. */
    private Pair resolved(Pair q) {
        if (!q.ok() || parser == null) {
            return q;
        }
        Op.Query v = (Op.Query) q.completion().value();
        if (v.logs().stream().noneMatch(Op.ReturnedLog::unresolved)) {
            return q;
        }
        List<Op.ReturnedLog> logs = new ArrayList<>(v.logs().size());
        for (Op.ReturnedLog l : v.logs()) {
            logs.add(l.unresolved() ? parser.resolve(l.block(), l.index(), l.fingerprint()) : l);
        }
        Op c = q.completion();
        return new Pair(q.invoke(), new Op(c.index(), c.time(), c.process(), c.type(), c.f(), new Op.Query(v.from(),
                v.to(), v.addresses(), v.topics(), v.head(), List.copyOf(logs), v.error(), v.finalRead())));
    }

    // ------------------------------------------------------------------ the chain

    /** Applies a change to block {@code number}, noting it when a judged query already read that block. */
    private void changing(long number, Runnable change) {
        if (number > judgedHi || inexact != null) {
            change.run();
            return;
        }
        BlockInfo before = blocks.get(number);
        List<Object> was = before == null ? null : signature(before);
        change.run();
        if (before == null || !was.equals(signature(blocks.get(number)))) {
            inexact = "block " + number + " changed at operation " + (opsRead - 1) + " after a query that read it "
                    + "was judged (published again, or its outcome decided later)";
        }
    }

    /** Everything about a block that a judgment reads, other than the logs of its versions. */
    private static List<Object> signature(BlockInfo info) {
        List<Object> s = new ArrayList<>();
        s.add(info.allFailed);
        s.add(info.firstInvoke);
        for (Version v : info.versions) {
            s.add(v.block.hash());
            s.add(v.allFailed);
            Pair ack = v.firstAck();
            s.add(ack == null ? -1 : ack.id());
            s.add(v.publishes.get(0).id());
        }
        return s;
    }

    private void publishInvoked(Op.Block b, Pair placeholder) {
        if (b.number() < 0 || b.number() > MAX_BLOCK || b.logs().size() >= 1 << ORDINAL_BITS) {
            inexact = "block " + b.number() + " is beyond what the streaming checker's keys hold";
            return;
        }
        base = Math.min(base, b.number());
        BlockInfo info = blocks.computeIfAbsent(b.number(), BlockInfo::new);
        info.firstInvoke = Math.min(info.firstInvoke, placeholder.invokeIndex());
        Version v = null;
        for (Version x : info.versions) {
            if (x.block == b) {
                v = x;
                break;
            }
        }
        if (v == null) {
            v = new Version(b);
            info.versions.add(v);
            for (Op.Log l : b.logs()) {
                int ordinal = info.ordinalLog.size();
                if (ordinal >= 1 << ORDINAL_BITS) {
                    inexact = "block " + b.number() + " has more logs than the streaming checker's keys hold";
                    return;
                }
                info.ordinalLog.add(l);
                info.ordinalVersion.add(v);
                long key = (b.number() << ORDINAL_BITS) | ordinal;
                post(0, l.address(), key);
                for (int t = 0; t < l.topics().size(); t++) {
                    post(t + 1, l.topics().get(t), key);
                }
            }
        }
        v.publishes.add(placeholder);
        v.allFailed = false; // an open publish is not (yet) a failed one
        info.allFailed = false;
        failedBlocks.remove(b.number());
    }

    private void publishCompleted(Op.Block b, Pair placeholder, Pair done) {
        BlockInfo info = blocks.get(b.number());
        if (info == null) {
            return;
        }
        boolean blockFailed = true;
        for (Version v : info.versions) {
            boolean failed = true;
            for (int i = 0; i < v.publishes.size(); i++) {
                if (v.publishes.get(i) == placeholder) {
                    v.publishes.set(i, done);
                }
                failed &= v.publishes.get(i).outcome() == Op.Type.FAIL;
            }
            v.allFailed = failed;
            blockFailed &= failed;
        }
        info.allFailed = blockFailed;
        if (blockFailed) {
            failedBlocks.add(b.number());
        } else {
            failedBlocks.remove(b.number());
        }
    }

    private void post(int position, String value, long key) {
        while (postings.size() <= position) {
            postings.add(new HashMap<>());
        }
        postings.get(position).computeIfAbsent(value, k -> new Postings()).add(key);
    }

    /** A term's keys, appended in publish order and sorted when read after an out-of-order append. */
    private static final class Postings {
        long[] a = new long[2];
        int n;
        boolean sorted = true;

        void add(long key) {
            if (n == a.length) {
                a = Arrays.copyOf(a, n * 2);
            }
            if (n > 0 && a[n - 1] > key) {
                sorted = false;
            }
            a[n++] = key;
        }

        /** Keys in {@code [lo, hi]} appended to {@code into}. */
        void range(long lo, long hi, LongList into) {
            if (!sorted) {
                Arrays.sort(a, 0, n);
                sorted = true;
            }
            int i = lowerBound(lo);
            for (; i < n && a[i] <= hi; i++) {
                into.add(a[i]);
            }
        }

        private int lowerBound(long key) {
            int lo = 0;
            int hi = n;
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
    }

    // ------------------------------------------------------------------ Facts

    @Override
    public long base() {
        return base;
    }

    @Override
    public BlockInfo block(long number) {
        return blocks.get(number);
    }

    @Override
    public long firstFailedBlock() {
        return failedBlocks.isEmpty() ? Long.MAX_VALUE : failedBlocks.first();
    }

    @Override
    public boolean crashBetween(int after, int before) {
        int i = Arrays.binarySearch(crashes, 0, crashCount, after + 1);
        if (i < 0) {
            i = -i - 1;
        }
        return i < crashCount && crashes[i] < before;
    }

    @Override
    public int damageBefore(int index) {
        return firstDamage >= 0 && firstDamage < index ? firstDamage : -1;
    }

    @Override
    public List<Match> expected(long lo, long hi, List<String> addresses, List<List<String>> topics) {
        List<Match> found = new ArrayList<>();
        if (blocks.isEmpty()) {
            return found;
        }
        hi = Math.min(hi, blocks.lastKey());
        if (lo > hi || hi < base) {
            return found;
        }
        long from = Math.max(lo, base);
        long keyLo = from << ORDINAL_BITS;
        long keyHi = (hi << ORDINAL_BITS) | ((1L << ORDINAL_BITS) - 1);
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
            for (BlockInfo info : blocks.subMap(from, true, hi, true).values()) {
                for (int o = 0; o < info.ordinalLog.size(); o++) {
                    found.add(new Match(info, info.ordinalVersion.get(o), info.ordinalLog.get(o)));
                }
            }
            return found;
        }
        clauses.sort((x, y) -> Integer.compare(x.length, y.length));
        long[] acc = clauses.get(0);
        for (int c = 1; c < clauses.size() && acc.length > 0; c++) {
            acc = intersect(acc, clauses.get(c));
        }
        for (long key : acc) {
            BlockInfo info = blocks.get(key >>> ORDINAL_BITS);
            int o = (int) (key & ((1L << ORDINAL_BITS) - 1));
            found.add(new Match(info, info.ordinalVersion.get(o), info.ordinalLog.get(o)));
        }
        return found;
    }

    private long[] union(int position, List<String> values, long keyLo, long keyHi) {
        if (position >= postings.size()) {
            return new long[0];
        }
        Map<String, Postings> m = postings.get(position);
        LongList all = new LongList();
        int lists = 0;
        for (String v : values) {
            Postings p = m.get(v);
            if (p == null) {
                continue;
            }
            p.range(keyLo, keyHi, all);
            lists++;
        }
        long[] keys = Arrays.copyOf(all.a, all.n);
        if (lists > 1) {
            Arrays.sort(keys);
            int w = 0;
            for (int i = 0; i < keys.length; i++) {
                if (i == 0 || keys[i] != keys[i - 1]) {
                    keys[w++] = keys[i];
                }
            }
            keys = Arrays.copyOf(keys, w);
        }
        return keys;
    }

    private static long[] intersect(long[] a, long[] b) {
        long[] r = new long[Math.min(a.length, b.length)];
        int i = 0;
        int j = 0;
        int w = 0;
        while (i < a.length && j < b.length) {
            if (a[i] < b[j]) {
                i++;
            } else if (a[i] > b[j]) {
                j++;
            } else {
                r[w++] = a[i];
                i++;
                j++;
            }
        }
        return Arrays.copyOf(r, w);
    }

    /** Commits as the batch checker decides them: the first acknowledgement of a block, else the query that showed it. */
    private final class Commits implements Detectors.Commits {
        private final Map<Long, Version> shown = new HashMap<>();
        private final Map<Long, Integer> shownBy = new HashMap<>();

        @Override
        public Version version(long b) {
            BlockInfo info = blocks.get(b);
            Pair ack = info == null ? null : Detectors.firstAck(info);
            return ack != null ? Detectors.versionOf(info, ack) : shown.get(b);
        }

        @Override
        public int by(long b) {
            BlockInfo info = blocks.get(b);
            Pair ack = info == null ? null : Detectors.firstAck(info);
            return ack != null ? ack.id() : shownBy.get(b);
        }

        @Override
        public boolean byAck(long b) {
            BlockInfo info = blocks.get(b);
            return info != null && Detectors.firstAck(info) != null;
        }

        @Override
        public void shownBy(long b, Version v, int q) {
            shown.put(b, v);
            shownBy.put(b, q);
        }
    }

    // ------------------------------------------------------------------ what it found

    /** Why the verdict must come from the batch checker, or null when this checker's verdict is the batch one. */
    public String inexact() {
        return inexact;
    }

    public long opsRead() {
        return opsRead;
    }

    /** Queries judged so far. */
    public long judged() {
        return judged;
    }

    /** Completed queries waiting for a publish they depend on to complete. */
    public int waiting() {
        return waiting.size();
    }

    /** The most queries that ever waited at once. */
    public int maxWaiting() {
        return maxWaiting;
    }

    /** Blocks in the chain. */
    public int blocks() {
        return blocks.size();
    }

    /** Per f, per type, the operations read. */
    public Map<String, long[]> counts() {
        return counts;
    }

    /** The number of anomalies found so far for an invariant. */
    public long count(Invariant inv) {
        return out.count(inv);
    }
}
