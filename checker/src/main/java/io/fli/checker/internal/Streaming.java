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

    // ---- the settled part of the chain, on disk
    /** Logs kept in memory before the oldest settled blocks go to disk; 0 keeps everything in memory. */
    private final long hotLogs;
    private final int keepNewest;
    private final java.nio.file.Path spillDir;
    private ColdChain cold;
    /** Blocks below this number are on disk (or were never published). */
    private long coldBelow = Long.MIN_VALUE;
    private long hotLogCount;
    private long maxBlock = Long.MIN_VALUE;
    private String spillError;
    /** Blocks read from disk for the judgment in progress: one instance per block within a judgment. */
    private final Map<Long, BlockInfo> pinned = new HashMap<>();
    private final com.github.benmanes.caffeine.cache.Cache<Long, BlockInfo> recent;

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

    /** A checker that keeps the whole chain in memory. */
    public Streaming(Emitter out) {
        this(out, 0, null);
    }

    /**
     * @param hotLogs  published logs kept in memory; beyond them the oldest settled blocks go to disk (0: never)
     * @param spillDir where the on-disk part goes (a temporary folder in it, deleted by {@link #close}); null for
     *                 the system's temporary folder
     */
    public Streaming(Emitter out, long hotLogs, java.nio.file.Path spillDir) {
        this(out, hotLogs, 16, spillDir);
    }

    /** As above, keeping at least the {@code keepNewest} newest blocks in memory (tests spill everything: 0). */
    public Streaming(Emitter out, long hotLogs, int keepNewest, java.nio.file.Path spillDir) {
        this.out = out;
        this.hotLogs = hotLogs;
        this.keepNewest = keepNewest;
        this.spillDir = spillDir;
        this.recent = com.github.benmanes.caffeine.cache.Caffeine.newBuilder()
                .maximumWeight(Math.max(10_000, hotLogs / 4))
                .<Long, BlockInfo>weigher((k, v) -> 1 + v.ordinalLog.size()).build();
    }

    /** Deletes the on-disk part of the chain. */
    public void close() {
        if (cold != null) {
            cold.close();
            cold = null;
        }
    }

    /** Why the chain could not go to disk (it stayed in memory), or null. */
    public String spillError() {
        return spillError;
    }

    /** Blocks on disk. */
    public long coldBlocks() {
        return cold == null ? 0 : cold.blocks();
    }

    static long key(long block, int ordinal) {
        return (block << ORDINAL_BITS) | ordinal;
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
                    changing(b.number(), info -> publishInvoked(info, b, o.placeholder));
                }
                spill();
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
                    changing(b.number(), info -> publishCompleted(info, pair));
                }
                Detectors.fencing(pair, o.maxGrant, out);
                if (pair.ok()) {
                    acks.acknowledged(pair, out);
                    maxAck = Detectors.maxAck(maxAck, pair);
                }
                spill();
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
        try {
            judgeOne(o);
        } finally {
            pinned.clear();
        }
    }

    private void judgeOne(Open o) {
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
        if (!q.ok()) {
            return q;
        }
        Op.Query v = (Op.Query) q.completion().value();
        if (v.logs().stream().noneMatch(Op.ReturnedLog::unresolved)) {
            return q;
        }
        List<Op.ReturnedLog> logs = new ArrayList<>(v.logs().size());
        for (Op.ReturnedLog l : v.logs()) {
            logs.add(l.unresolved() ? resolve(l) : l);
        }
        Op c = q.completion();
        return new Pair(q.invoke(), new Op(c.index(), c.time(), c.process(), c.type(), c.f(), new Op.Query(v.from(),
                v.to(), v.addresses(), v.topics(), v.head(), List.copyOf(logs), v.error(), v.finalRead())));
    }

    /**
     * A compactly recorded log: the published version of its block whose log at its index has its fingerprint, else
     * the log as it is (unresolved) — as the parser resolves it, but against the whole chain, on disk too.
     */
    private Op.ReturnedLog resolve(Op.ReturnedLog l) {
        BlockInfo info = lookup(l.block());
        if (info != null) {
            for (Version v : info.versions) {
                Op.Log p = HistoryParser.logAt(v.block, l.index());
                if (p != null && l.fingerprint().equals(io.fli.checker.Fingerprint.of(p.address(), p.topics(),
                        p.data(), p.tx(), p.txHash(), v.block.hash()))) {
                    return new Op.ReturnedLog(l.block(), l.index(), p.tx(), p.txHash(), v.block.hash(), p.address(),
                            p.topics(), p.data(), l.fingerprint());
                }
            }
        }
        return l;
    }

    // ------------------------------------------------------------------ the chain

    /** The block, in memory or read from disk (the same instance for the rest of the judgment in progress). */
    private BlockInfo lookup(long number) {
        if (number >= coldBelow) {
            return blocks.get(number);
        }
        BlockInfo info = pinned.get(number);
        if (info != null) {
            return info;
        }
        info = recent.getIfPresent(number);
        if (info == null && cold != null) {
            info = cold.get(number);
            if (info != null) {
                recent.put(number, info);
            }
        }
        if (info != null) {
            pinned.put(number, info);
        }
        return info;
    }

    /**
     * Moves the oldest settled blocks to disk once {@link #hotLogs} logs are in memory: blocks that no
     * open publish carries, below the newest ones.
     */
    private void spill() {
        if (hotLogs <= 0 || hotLogCount < hotLogs || spillError != null) {
            return;
        }
        long limit = maxBlock - keepNewest + 1;
        for (Open o : open.values()) {
            if (o.placeholder != null) {
                for (Op.Block b : ((Op.Publish) o.invoke.value()).blocks()) {
                    limit = Math.min(limit, b.number());
                }
            }
        }
        if (cold == null) {
            try {
                cold = new ColdChain(spillDir);
            } catch (RuntimeException | LinkageError e) {
                spillError = "the chain stays in memory: its on-disk store did not open (" + e + ")";
                return;
            }
        }
        long target = Math.max(1, hotLogCount - hotLogs * 3 / 4); // a quarter of the budget at a time
        long moved = 0;
        long newBelow = coldBelow;
        while (!blocks.isEmpty() && moved < target && blocks.firstKey() < limit) {
            BlockInfo info = blocks.pollFirstEntry().getValue();
            cold.put(info);
            if (parser != null) {
                parser.forget(info.number);
            }
            moved += info.ordinalLog.size();
            newBelow = info.number + 1;
        }
        if (newBelow == coldBelow) {
            return;
        }
        hotLogCount -= moved;
        coldBelow = newBelow;
        long keyBelow = key(coldBelow, 0);
        for (Map<String, Postings> m : postings) {
            m.values().removeIf(p -> p.dropBelow(keyBelow));
        }
    }

    /**
     * Applies a change to block {@code number} — in memory, or read from disk, changed and written back — noting it
     * when a judged query already read that block.
     */
    private void changing(long number, java.util.function.Consumer<BlockInfo> change) {
        if (number < 0 || number > MAX_BLOCK) {
            inexact = "block " + number + " is beyond what the streaming checker's keys hold";
            return;
        }
        boolean onDisk = number < coldBelow;
        BlockInfo info = onDisk ? (cold == null ? null : cold.get(number)) : blocks.get(number);
        boolean created = info == null;
        if (created) {
            info = new BlockInfo(number);
        }
        boolean watched = number <= judgedHi && inexact == null;
        List<Object> was = watched && !created ? signature(info) : null;
        change.accept(info);
        if (onDisk) {
            if (!info.versions.isEmpty()) {
                cold.put(info);
            }
            recent.invalidate(number);
        } else if (created && !info.versions.isEmpty()) {
            blocks.put(number, info);
        }
        if (watched && (created || !was.equals(signature(info)))) {
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

    private void publishInvoked(BlockInfo info, Op.Block b, Pair placeholder) {
        base = Math.min(base, b.number());
        maxBlock = Math.max(maxBlock, b.number());
        info.firstInvoke = Math.min(info.firstInvoke, placeholder.invokeIndex());
        Version v = info.version(b.hash());
        if (v == null) {
            if (info.ordinalLog.size() + b.logs().size() >= 1 << ORDINAL_BITS) {
                inexact = "block " + b.number() + " has more logs than the streaming checker's keys hold";
                return;
            }
            v = new Version(b);
            info.versions.add(v);
            boolean hot = b.number() >= coldBelow;
            if (hot) {
                hotLogCount += b.logs().size();
            }
            for (Op.Log l : b.logs()) {
                int ordinal = info.ordinalLog.size();
                info.ordinalLog.add(l);
                info.ordinalVersion.add(v);
                if (hot) { // a block on disk is written back with the postings of all its logs
                    long key = key(b.number(), ordinal);
                    post(0, l.address(), key);
                    for (int t = 0; t < l.topics().size(); t++) {
                        post(t + 1, l.topics().get(t), key);
                    }
                }
            }
        }
        v.publishes.add(placeholder);
        v.allFailed = false; // an open publish is not (yet) a failed one
        info.allFailed = false;
        failedBlocks.remove(b.number());
    }

    /** A publish carrying the block completed: its outcome replaces the open one (matched by invoke). */
    private void publishCompleted(BlockInfo info, Pair done) {
        if (info.versions.isEmpty()) {
            return;
        }
        boolean blockFailed = true;
        for (Version v : info.versions) {
            boolean failed = true;
            for (int i = 0; i < v.publishes.size(); i++) {
                if (v.publishes.get(i).invokeIndex() == done.invokeIndex()) {
                    v.publishes.set(i, done);
                }
                failed &= v.publishes.get(i).outcome() == Op.Type.FAIL;
            }
            v.allFailed = failed;
            blockFailed &= failed;
        }
        info.allFailed = blockFailed;
        if (blockFailed) {
            failedBlocks.add(info.number);
        } else {
            failedBlocks.remove(info.number);
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

        /** Drops the keys below {@code key}; true when none is left. */
        boolean dropBelow(long key) {
            if (!sorted) {
                Arrays.sort(a, 0, n);
                sorted = true;
            }
            int from = lowerBound(key);
            if (from > 0) {
                System.arraycopy(a, from, a, 0, n - from);
                n -= from;
                if (a.length > 16 && n < a.length / 4) {
                    a = Arrays.copyOf(a, Math.max(2, n * 2));
                }
            }
            return n == 0;
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
        return lookup(number);
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
        if (maxBlock == Long.MIN_VALUE) {
            return found;
        }
        hi = Math.min(hi, maxBlock);
        if (lo > hi || hi < base) {
            return found;
        }
        long from = Math.max(lo, base);
        long keyLo = key(from, 0);
        long keyHi = key(hi, (1 << ORDINAL_BITS) - 1);
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
            if (from < coldBelow && cold != null) {
                cold.forEach(from, Math.min(hi, coldBelow - 1), n -> {
                    BlockInfo info = lookup(n);
                    for (int o = 0; o < info.ordinalLog.size(); o++) {
                        found.add(new Match(info, info.ordinalVersion.get(o), info.ordinalLog.get(o)));
                    }
                });
            }
            long hotFrom = Math.max(from, coldBelow);
            for (BlockInfo info : hotFrom > hi ? List.<BlockInfo>of()
                    : blocks.subMap(hotFrom, true, hi, true).values()) {
                for (int o = 0; o < info.ordinalLog.size(); o++) {
                    found.add(new Match(info, info.ordinalVersion.get(o), info.ordinalLog.get(o)));
                }
            }
            return found;
        }
        clauses.sort((x, y) -> Integer.compare(x.length, y.length));
        long[] acc = clauses.get(0);
        for (int c = 1; c < clauses.size() && acc.length > 0; c++) {
            acc = Analysis.intersect(acc, clauses.get(c));
        }
        for (long key : acc) {
            BlockInfo info = lookup(key >>> ORDINAL_BITS);
            int o = (int) (key & ((1L << ORDINAL_BITS) - 1));
            Op.Log l = info.ordinalLog.get(o);
            // Keys from disk are found by a hash of the term: keep only the logs that do match.
            if (key >= key(coldBelow, 0) || Analysis.matches(l.address(), l.topics(), addresses, topics)) {
                found.add(new Match(info, info.ordinalVersion.get(o), l));
            }
        }
        return found;
    }

    private long[] union(int position, List<String> values, long keyLo, long keyHi) {
        Map<String, Postings> m = position < postings.size() ? postings.get(position) : Map.of();
        LongList all = new LongList();
        long hotLo = Math.max(keyLo, key(coldBelow, 0));
        int lists = 0;
        for (String v : values) {
            int before = all.n;
            if (cold != null && keyLo < key(coldBelow, 0)) {
                cold.postings(position, v, keyLo, Math.min(keyHi, key(coldBelow, 0) - 1), all);
            }
            Postings p = m.get(v);
            if (p != null) {
                p.range(hotLo, keyHi, all);
            }
            if (all.n > before || p != null) {
                lists++;
            }
        }
        return Analysis.union(all, lists);
    }

    /** Commits as the batch checker decides them: the first acknowledgement of a block, else the query that showed it. */
    private final class Commits implements Detectors.Commits {
        /** By hash: a block read from disk is a new instance in each judgment. */
        private final Map<Long, String> shown = new HashMap<>();
        private final Map<Long, Integer> shownBy = new HashMap<>();

        @Override
        public Version version(long b) {
            BlockInfo info = lookup(b);
            Pair ack = info == null ? null : Detectors.firstAck(info);
            if (ack != null) {
                return Detectors.versionOf(info, ack);
            }
            String hash = shown.get(b);
            return hash == null || info == null ? null : info.version(hash);
        }

        @Override
        public int by(long b) {
            BlockInfo info = lookup(b);
            Pair ack = info == null ? null : Detectors.firstAck(info);
            return ack != null ? ack.id() : shownBy.get(b);
        }

        @Override
        public boolean byAck(long b) {
            BlockInfo info = lookup(b);
            return info != null && Detectors.firstAck(info) != null;
        }

        @Override
        public void shownBy(long b, Version v, int q) {
            shown.put(b, v.block.hash());
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

    /** Blocks in the chain (in memory and on disk). */
    public int blocks() {
        return (int) (blocks.size() + coldBlocks());
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
