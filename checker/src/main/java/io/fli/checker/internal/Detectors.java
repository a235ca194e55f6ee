package io.fli.checker.internal;

import io.fli.checker.Invariant;
import io.fli.checker.Op;
import io.fli.checker.internal.Analysis.BlockInfo;
import io.fli.checker.internal.Analysis.Pair;
import io.fli.checker.internal.Analysis.Version;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * One detector per invariant. Each reads the shared {@link Analysis} and emits anomalies naming operations by index;
 * the sentences say which values disagree. Detectors are independent: one failing does not stop the others.
 */
public final class Detectors {
    private Detectors() {
    }

    private static Op.Publish pub(Pair p) {
        return (Op.Publish) p.completion().value();
    }

    private static Op.Query query(Pair p) {
        return (Op.Query) p.completion().value();
    }

    private static long epochOf(Pair acquire) {
        return ((Op.Acquire) acquire.completion().value()).epoch();
    }

    private static String head(Long h) {
        return h == null ? "null" : Long.toString(h);
    }

    // ------------------------------------------------------------------ 1. single-writer

    public static void singleWriter(Analysis a, Emitter out) {
        sameEpochs(a.acquires, out);
        // Sweep in line order: the highest epoch granted by an acquire that completed before each invoke.
        List<Pair> okAcquires = a.acquires.stream().filter(Pair::ok)
                .sorted((x, y) -> Integer.compare(x.completeIndex(), y.completeIndex())).toList();
        List<Pair> judged = new ArrayList<>();
        a.acquires.stream().filter(Pair::ok).forEach(judged::add);
        a.publishes.stream().filter(Pair::ok).forEach(judged::add);
        judged.sort((x, y) -> Integer.compare(x.invokeIndex(), y.invokeIndex()));
        int i = 0;
        Pair max = null;
        for (Pair p : judged) {
            while (i < okAcquires.size() && okAcquires.get(i).completeIndex() < p.invokeIndex()) {
                max = maxGrant(max, okAcquires.get(i++));
            }
            fencing(p, max, out);
        }
        Acks acks = new Acks();
        for (Pair p : a.publishes.stream().filter(Pair::ok)
                .sorted((x, y) -> Integer.compare(x.completeIndex(), y.completeIndex())).toList()) {
            acks.acknowledged(p, out);
        }
    }

    /** Acquires granted the same epoch: the first invoked against each other one. */
    public static void sameEpochs(List<Pair> acquires, Emitter out) {
        List<Pair> byInvoke = new ArrayList<>(acquires);
        byInvoke.sort((x, y) -> Integer.compare(x.invokeIndex(), y.invokeIndex()));
        Map<Long, Pair> byEpoch = new HashMap<>();
        for (Pair p : byInvoke) {
            if (!p.ok()) {
                continue;
            }
            long e = epochOf(p);
            Pair first = byEpoch.putIfAbsent(e, p);
            if (first != null) {
                out.emit(Invariant.SINGLE_WRITER, "acquire " + first.id() + " (writer "
                        + ((Op.Acquire) first.invoke().value()).writer() + ") and acquire " + p.id() + " (writer "
                        + ((Op.Acquire) p.invoke().value()).writer() + ") were both granted epoch " + e,
                        first.id(), p.id());
            }
        }
    }

    /** The acquire granting the larger epoch of {@code max} and the ok acquire {@code c} (the earlier on ties). */
    public static Pair maxGrant(Pair max, Pair c) {
        return max == null || epochOf(c) > epochOf(max) ? c : max;
    }

    /**
     * An ok acquire or publish judged against {@code max}, the acquire that granted the highest epoch among those
     * completed before it was invoked.
     */
    public static void fencing(Pair p, Pair max, Emitter out) {
        if (max == null || !p.ok()) {
            return;
        }
        if (p.invoke().f().equals("acquire")) {
            // Equal epochs are the rule above; here: a later grant with a smaller epoch.
            if (epochOf(p) < epochOf(max)) {
                out.emit(Invariant.SINGLE_WRITER, "acquire " + p.id() + " was granted epoch " + epochOf(p)
                        + " after acquire " + max.id() + " had already been granted the larger epoch "
                        + epochOf(max) + " (epochs must grow)", max.id(), p.id());
            }
        } else if (pub(p).epoch() < epochOf(max)) {
            out.emit(Invariant.SINGLE_WRITER, "publish " + p.id() + " by writer " + pub(p).writer() + " with epoch "
                    + pub(p).epoch() + " was acknowledged at head " + pub(p).head() + " although acquire "
                    + max.id() + " had already granted epoch " + epochOf(max)
                    + " (a fenced writer advanced the head)", max.id(), p.id());
        }
    }

    /** The first acknowledged hash of every block, fed acknowledged publishes in completion order. */
    public static final class Acks {
        private final Map<Long, Integer> ackedBy = new HashMap<>();
        private final Map<Long, String> ackedHash = new HashMap<>();
        private final Set<Long> reported = new HashSet<>();

        public void acknowledged(Pair p, Emitter out) {
            for (Op.Block b : pub(p).blocks()) {
                String prev = ackedHash.putIfAbsent(b.number(), b.hash());
                if (prev != null && !prev.equals(b.hash()) && reported.add(b.number())) {
                    int first = ackedBy.get(b.number());
                    out.emit(Invariant.SINGLE_WRITER, "publish " + first + " and publish " + p.id()
                            + " were both acknowledged with block " + b.number() + " but different hashes ("
                            + prev + " and " + b.hash() + ")", first, p.id());
                }
                ackedBy.putIfAbsent(b.number(), p.id());
            }
        }
    }

    // ------------------------------------------------------------------ 2. visibility-barrier

    public static void visibilityBarrier(Analysis a, Emitter out) {
        Set<Long> reportedFailed = new HashSet<>();
        for (Pair q : byCompletion(a.queries)) {
            visibility(a, q, reportedFailed, out);
        }
    }

    /** Queries in completion order (incomplete ones last, by invoke). */
    static List<Pair> byCompletion(List<Pair> pairs) {
        List<Pair> out = new ArrayList<>(pairs);
        out.sort((x, y) -> x.completeIndex() != y.completeIndex() ? Integer.compare(x.completeIndex(),
                y.completeIndex()) : Integer.compare(x.invokeIndex(), y.invokeIndex()));
        return out;
    }

    /**
     * One query's visibility: its head and returned logs against what was published. {@code reportedFailed}
     * (blocks whose every publish failed, already reported) is shared across queries judged in completion order.
     */
    public static void visibility(Facts a, Pair q, Set<Long> reportedFailed, Emitter out) {
        {
            if (!q.ok()) {
                return;
            }
            Op.Query v = query(q);
            Long h = v.head();
            if (h != null && h >= a.base()) {
                BlockInfo info = a.block(h);
                if (info == null || info.firstInvoke > q.completeIndex()) {
                    out.emit(Invariant.VISIBILITY_BARRIER, "query " + q.id() + " returned head " + h
                            + " but no publish carrying block " + h + " was invoked before it completed"
                            + (info == null ? " (no publish in the history carries it)"
                            : " (the first is invoked at " + info.firstInvoke + ")"), q.id());
                }
            }
            long firstFailed = a.firstFailedBlock();
            if (h != null && firstFailed <= h && reportedFailed.add(firstFailed)) {
                long b = firstFailed;
                BlockInfo info = a.block(b);
                List<Integer> ops = new ArrayList<>();
                ops.add(q.id());
                info.versions.forEach(ver -> ver.publishes.forEach(p -> ops.add(p.id())));
                out.emit(Invariant.VISIBILITY_BARRIER, "query " + q.id() + " returned head " + h + ", showing block "
                        + b + " as visible, but every publish of block " + b + " failed (" + ids(ops.subList(1,
                        ops.size())) + ")", ops.stream().mapToInt(Integer::intValue).toArray());
            }
            for (Op.ReturnedLog l : v.logs()) {
                String where = null;
                if (h == null || l.block() > h) {
                    where = "above its head " + head(h);
                } else if ((v.from() != null && l.block() < v.from()) || (v.to() != null && l.block() > v.to())) {
                    where = "outside its range [" + head(v.from()) + ", " + head(v.to()) + "]";
                }
                if (where != null) {
                    out.emit(Invariant.VISIBILITY_BARRIER, "query " + q.id() + " returned log " + l.index()
                            + " of block " + l.block() + ", " + where, q.id());
                    break;
                }
                BlockInfo info = a.block(l.block());
                if (info != null && info.allFailed() && reportedFailed.add(l.block())) {
                    out.emit(Invariant.VISIBILITY_BARRIER, "query " + q.id() + " returned log " + l.index()
                            + " of block " + l.block() + " but every publish of that block failed", q.id());
                }
            }
        }
    }

    private static String ids(List<Integer> ops) {
        return ops.size() == 1 ? "operation " + ops.get(0) : "operations " + ops;
    }

    // ------------------------------------------------------------------ 6. fail-closed

    /** How a returned log relates to the published versions of its block. */
    enum Kind { CLEAN, DAMAGED, PHANTOM }

    static Kind classify(Facts a, Op.ReturnedLog l) {
        BlockInfo info = a.block(l.block());
        if (info == null) {
            return Kind.PHANTOM;
        }
        boolean indexExists = false;
        for (Version v : info.versions) {
            Op.Log same = v.byIndex.get(l.index());
            if (same != null && same.address() == l.address() && same.topics() == l.topics()
                    && same.data() == l.data() && Analysis.identityAgrees(same, v.block.hash(), l)) {
                return Kind.CLEAN; // the parser shared the published log's strings: identical by construction
            }
        }
        for (Version v : info.versions) {
            Op.Log p = v.byIndex.get(l.index());
            if (p != null) {
                indexExists = true;
                if (sameContents(p, l) && Analysis.identityAgrees(p, v.block.hash(), l)) {
                    return Kind.CLEAN;
                }
            }
        }
        return indexExists ? Kind.DAMAGED : Kind.PHANTOM;
    }

    private static boolean sameContents(Op.Log p, Op.ReturnedLog l) {
        return p.address().equals(l.address()) && p.topics().equals(l.topics())
                && java.util.Objects.equals(p.data(), l.data());
    }

    /** What differs between a returned log and published log {@code p} of version {@code v}. */
    private static List<String> differences(Version v, Op.Log p, Op.ReturnedLog l) {
        List<String> diffs = new ArrayList<>();
        if (l.unresolved()) {
            diffs.add("content fingerprint " + l.fingerprint() + " instead of " + io.fli.checker.Fingerprint.of(
                    p.address(), p.topics(), p.data(), p.tx(), p.txHash(), v.block.hash()));
            return diffs;
        }
        if (!p.address().equals(l.address())) {
            diffs.add("address " + l.address() + " instead of " + p.address());
        }
        if (!p.topics().equals(l.topics())) {
            diffs.add("topics " + l.topics() + " instead of " + p.topics());
        }
        if (!java.util.Objects.equals(p.data(), l.data())) {
            diffs.add("data " + l.data() + " instead of " + p.data());
        }
        if (l.tx() != null && p.tx() != null && !l.tx().equals(p.tx())) {
            diffs.add("tx " + l.tx() + " instead of " + p.tx());
        }
        if (l.txHash() != null && p.txHash() != null && !l.txHash().equals(p.txHash())) {
            diffs.add("txHash " + l.txHash() + " instead of " + p.txHash());
        }
        if (l.blockHash() != null && !l.blockHash().equals(v.block.hash())) {
            diffs.add("blockHash " + l.blockHash() + " instead of " + v.block.hash());
        }
        return diffs;
    }

    public static void failClosed(Analysis a, Emitter out) {
        for (Pair q : byCompletion(a.queries)) {
            failClosed(a, q, out);
        }
    }

    /** One query's returned logs that differ from every published version of their block. */
    public static void failClosed(Facts a, Pair q, Emitter out) {
        {
            if (!q.ok()) {
                return;
            }
            for (Op.ReturnedLog l : query(q).logs()) {
                if (l.block() < a.base() || classify(a, l) != Kind.DAMAGED) {
                    continue;
                }
                BlockInfo info = a.block(l.block());
                // Compare with the version the log claims (its blockHash), else the first that has its index.
                Version v = info.versions.stream().filter(x -> x.byIndex.containsKey(l.index())
                        && x.block.hash().equals(l.blockHash())).findFirst().orElseGet(() -> info.versions.stream()
                        .filter(x -> x.byIndex.containsKey(l.index())).findFirst().get());
                Op.Log p = v.byIndex.get(l.index());
                List<String> diffs = differences(v, p, l);
                out.emit(Invariant.FAIL_CLOSED, "query " + q.id() + " returned log " + l.index() + " of block "
                        + l.block() + " with " + String.join(", ", diffs) + " (published by publish "
                        + v.publishes.get(0).id() + "): it served damaged data instead of failing with degraded",
                        q.id(), v.publishes.get(0).id());
            }
        }
    }

    // ------------------------------------------------------------------ 3. no-duplicate-or-missing

    private record BlockLog(long block, int index) {
    }

    /**
     * The version of each block taken as committed: the version of its earliest acknowledgement, else the one a
     * query was the first to show unambiguously (judged in completion order).
     */
    public interface Commits {
        /** The committed version of block {@code b}, or null. */
        Version version(long b);

        /** The operation that committed it. */
        int by(long b);

        /** Whether an acknowledgement (not a query) committed it. */
        boolean byAck(long b);

        /** Query {@code q} showed version {@code v} of block {@code b} unambiguously, and nothing committed it yet. */
        void shownBy(long b, Version v, int q);
    }

    /** Commits decided from the whole history: acknowledgements seeded up front, queries added as judged. */
    static final class AllCommits implements Commits {
        private final Map<Long, Version> committed = new HashMap<>();
        private final Map<Long, Integer> committedBy = new HashMap<>();
        private final Set<Long> byAck = new HashSet<>();

        AllCommits(Analysis a) {
            for (BlockInfo info : a.blocks.values()) {
                Pair best = firstAck(info);
                if (best != null) {
                    committed.put(info.number, versionOf(info, best));
                    committedBy.put(info.number, best.id());
                    byAck.add(info.number);
                }
            }
        }

        @Override
        public Version version(long b) {
            return committed.get(b);
        }

        @Override
        public int by(long b) {
            return committedBy.get(b);
        }

        @Override
        public boolean byAck(long b) {
            return byAck.contains(b);
        }

        @Override
        public void shownBy(long b, Version v, int q) {
            committed.put(b, v);
            committedBy.put(b, q);
        }
    }

    /** The earliest acknowledgement of any version of the block, or null. */
    public static Pair firstAck(BlockInfo info) {
        Pair best = null;
        for (Version v : info.versions) {
            Pair ack = v.firstAck();
            if (ack != null && (best == null || ack.completeIndex() < best.completeIndex())) {
                best = ack;
            }
        }
        return best;
    }

    /** The version of the block whose publishes include {@code ack}. */
    public static Version versionOf(BlockInfo info, Pair ack) {
        for (Version v : info.versions) {
            if (v.firstAck() == ack) {
                return v;
            }
        }
        throw new IllegalStateException("no version of block " + info.number + " has acknowledgement " + ack.id());
    }

    public static void noDuplicateOrMissing(Analysis a, Emitter out) {
        unreadable(a, out);
        Commits commits = new AllCommits(a);
        for (Pair q : byCompletion(a.queries)) {
            noDuplicateOrMissing(a, q, commits, out);
        }
    }

    /** One query's answer against the logs published in its range at its head. */
    public static void noDuplicateOrMissing(Facts a, Pair q, Commits commits, Emitter out) {
        {
            if (!q.ok()) {
                return;
            }
            Op.Query v = query(q);
            if (matchesExactly(a, v)) {
                return;
            }
            Set<BlockLog> seen = new HashSet<>();
            // Returned logs per block in the judged range, by index: present (clean matching or damaged).
            TreeMap<Long, Map<Integer, Op.ReturnedLog>> returned = new TreeMap<>();
            Long h = v.head();
            for (Op.ReturnedLog l : v.logs()) {
                if (l.block() < a.base()) {
                    continue;
                }
                if (!seen.add(new BlockLog(l.block(), l.index()))) {
                    out.emit(Invariant.NO_DUPLICATE_OR_MISSING, "query " + q.id() + " returned log " + l.index()
                            + " of block " + l.block() + " more than once", q.id());
                    continue;
                }
                Kind kind = classify(a, l);
                if (kind == Kind.PHANTOM) {
                    out.emit(Invariant.NO_DUPLICATE_OR_MISSING, "query " + q.id() + " returned log " + l.index()
                            + " of block " + l.block() + ", which no published version of block " + l.block()
                            + " contains", q.id());
                    continue;
                }
                if (kind == Kind.CLEAN && !Analysis.matches(l.address(), l.topics(), v.addresses(), v.topics())) {
                    out.emit(Invariant.NO_DUPLICATE_OR_MISSING, "query " + q.id() + " returned log " + l.index()
                            + " of block " + l.block() + " (address " + l.address() + ", topics " + l.topics()
                            + "), which does not match its filter", q.id());
                    continue;
                }
                if (h != null && l.block() <= h && (v.from() == null || l.block() >= v.from())
                        && (v.to() == null || l.block() <= v.to())) {
                    returned.computeIfAbsent(l.block(), k -> new LinkedHashMap<>()).put(l.index(), l);
                }
            }
            if (h == null) {
                return;
            }
            long lo = Math.max(v.from() == null ? a.base() : v.from(), a.base());
            long hi = v.to() == null ? h : Math.min(v.to(), h);
            TreeMap<Long, Map<Version, Set<Integer>>> expected = new TreeMap<>();
            for (Analysis.Match m : a.expected(lo, hi, v.addresses(), v.topics())) {
                expected.computeIfAbsent(m.block().number, k -> new HashMap<>())
                        .computeIfAbsent(m.version(), k -> new TreeSet<>()).add(m.log().index());
            }
            TreeSet<Long> judged = new TreeSet<>(expected.keySet());
            judged.addAll(returned.keySet());
            for (long b : judged) {
                BlockInfo info = a.block(b);
                if (info == null) {
                    continue;
                }
                Map<Integer, Op.ReturnedLog> r = returned.getOrDefault(b, Map.of());
                Map<Version, Set<Integer>> e = expected.getOrDefault(b, Map.of());
                List<Version> candidates = info.versions.stream().filter(x -> !x.allFailed()).toList();
                if (candidates.isEmpty()) {
                    candidates = info.versions;
                }
                List<Version> consistent = new ArrayList<>();
                for (Version c : candidates) {
                    if (consistent(a, c, e.getOrDefault(c, Set.of()), r)) {
                        consistent.add(c);
                    }
                }
                Version c = commits.version(b);
                if (c != null) {
                    if (consistent.contains(c)) {
                        continue;
                    }
                    Set<Integer> want = e.getOrDefault(c, Set.of());
                    String by = commits.byAck(b) ? "acknowledged by publish " + commits.by(b)
                            : "shown by query " + commits.by(b);
                    if (!consistent.isEmpty()) {
                        out.emit(Invariant.NO_DUPLICATE_OR_MISSING, "query " + q.id() + " shows version "
                                + consistent.get(0).block.hash() + " of block " + b + " but version "
                                + c.block.hash() + " was " + by + " (two versions of one block are visible)",
                                q.id(), commits.by(b));
                    } else {
                        emitDiff(out, q, b, c, want, r, by, commits.by(b));
                    }
                    continue;
                }
                if (consistent.isEmpty()) {
                    Version closest = candidates.get(0);
                    emitDiff(out, q, b, closest, e.getOrDefault(closest, Set.of()), r,
                            "published by publish " + closest.publishes.get(0).id(), closest.publishes.get(0).id());
                } else if (consistent.size() == 1) {
                    commits.shownBy(b, consistent.get(0), q.id());
                }
            }
        }
    }

    /**
     * Acknowledged data the index refused to serve: a final read (issued after every fault healed) that did not end
     * ok, unless it failed closed after injected damage; and any client operation that failed with {@code degraded}
     * when no {@code corrupt} or {@code fork} had been injected — the index lost or damaged data by itself.
     */
    static void unreadable(Analysis a, Emitter out) {
        List<Pair> all = new ArrayList<>(a.acquires.size() + a.publishes.size() + a.queries.size());
        all.addAll(a.acquires);
        all.addAll(a.publishes);
        all.addAll(a.queries);
        all.sort((x, y) -> Integer.compare(x.invokeIndex(), y.invokeIndex()));
        for (Pair p : all) {
            unreadable(a, p, out);
        }
    }

    /** One client operation's refusal to serve acknowledged data. */
    public static void unreadable(Facts a, Pair p, Emitter out) {
        {
            String error = p.completion() == null ? null : errorOf(p.completion().value());
            boolean degraded = p.outcome() == Op.Type.FAIL && Analysis.isDegraded(error);
            int cause = a.damageBefore(p.completeIndex());
            String f = p.invoke().f();
            if (p.invoke().value() instanceof Op.Query q && q.finalRead() && !p.ok() && !(degraded && cause >= 0)) {
                out.emit(Invariant.NO_DUPLICATE_OR_MISSING, "final query " + p.id() + " (issued after every fault "
                        + "healed) " + (p.completion() == null ? "never completed"
                        : "ended " + p.outcome().wire() + (error == null ? "" : " with error '" + error + "'"))
                        + (degraded ? " and no corrupt or fork was injected before it" : "")
                        + ": acknowledged blocks are unreadable after healing", p.id());
            } else if (degraded && cause < 0) {
                out.emit(Invariant.NO_DUPLICATE_OR_MISSING, f + " " + p.id() + " failed with '" + error + "' but no "
                        + "corrupt or fork was injected before it: the index refused data it had acknowledged, so "
                        + "it lost or damaged that data itself", p.id());
            }
        }
    }

    private static String errorOf(Op.Value v) {
        if (v instanceof Op.Query q) {
            return q.error();
        }
        if (v instanceof Op.Publish p) {
            return p.error();
        }
        return v instanceof Op.Acquire ac ? ac.error() : null;
    }

    /**
     * The common case, decided without building per-block maps: the returned logs are, in order, exactly the
     * expected logs, every one equal to its published log (cheap: the parser shares the published log's strings, so
     * equal strings are mostly the same instance) of a block that has a single version. Such a query commits no
     * version: it decides the same by contents whether the published logs are in memory or read back from disk.
     */
    private static boolean matchesExactly(Facts a, Op.Query v) {
        Long h = v.head();
        if (h == null) {
            return v.logs().isEmpty();
        }
        long lo = Math.max(v.from() == null ? a.base() : v.from(), a.base());
        long hi = v.to() == null ? h : Math.min(v.to(), h);
        List<Analysis.Match> expected = a.expected(lo, hi, v.addresses(), v.topics());
        List<Op.ReturnedLog> got = v.logs();
        if (expected.size() != got.size()) {
            return false;
        }
        for (int i = 0; i < got.size(); i++) {
            Analysis.Match m = expected.get(i);
            Op.ReturnedLog l = got.get(i);
            if (m.block().number != l.block() || m.log().index() != l.index() || !m.log().address().equals(l.address())
                    || !m.log().topics().equals(l.topics()) || !java.util.Objects.equals(m.log().data(), l.data())
                    || m.block().versions.size() != 1 || !Analysis.identityAgrees(m.log(), m.version().block.hash(), l)) {
                return false;
            }
        }
        return true;
    }

    private static boolean consistent(Facts a, Version v, Set<Integer> want, Map<Integer, Op.ReturnedLog> got) {
        if (!want.equals(got.keySet())) {
            return false;
        }
        for (Op.ReturnedLog l : got.values()) {
            Op.Log p = v.byIndex.get(l.index());
            if (p == null) {
                return false;
            }
            boolean identical = sameContents(p, l) && Analysis.identityAgrees(p, v.block.hash(), l);
            if (!identical && classify(a, l) != Kind.DAMAGED) {
                return false;
            }
        }
        return true;
    }

    private static void emitDiff(Emitter out, Pair q, long b, Version c, Set<Integer> want,
                                 Map<Integer, Op.ReturnedLog> got, String by, int byOp) {
        Set<Integer> missing = new TreeSet<>(want);
        missing.removeAll(got.keySet());
        Set<Integer> extra = new TreeSet<>(got.keySet());
        extra.removeAll(want);
        List<String> parts = new ArrayList<>();
        if (!missing.isEmpty()) {
            parts.add("is missing matching log" + (missing.size() == 1 ? " " : "s ") + missing);
        }
        if (!extra.isEmpty()) {
            parts.add("returned log" + (extra.size() == 1 ? " " : "s ") + extra + " that version " + c.block.hash()
                    + " does not have or that do not match");
        }
        if (parts.isEmpty()) {
            parts.add("returned logs that differ from version " + c.block.hash());
        }
        out.emit(Invariant.NO_DUPLICATE_OR_MISSING, "query " + q.id() + " (head " + query(q).head() + ") "
                + String.join(" and ", parts) + " of block " + b + " (version " + c.block.hash() + ", " + by + ")",
                q.id(), byOp);
    }

    // ------------------------------------------------------------------ 4 and 5: head regressions

    public static void headRegressions(Analysis a, Emitter out) {
        List<Pair> ackedPublishes = a.publishes.stream().filter(Pair::ok)
                .sorted((x, y) -> Integer.compare(x.completeIndex(), y.completeIndex())).toList();
        List<Pair> okQueries = a.queries.stream().filter(Pair::ok)
                .sorted((x, y) -> Integer.compare(x.completeIndex(), y.completeIndex())).toList();
        List<Pair> byInvoke = new ArrayList<>(okQueries);
        byInvoke.sort((x, y) -> Integer.compare(x.invokeIndex(), y.invokeIndex()));
        int pi = 0;
        int qi = 0;
        Pair maxAck = null;
        Pair maxQuery = null;
        for (Pair q : byInvoke) {
            while (pi < ackedPublishes.size() && ackedPublishes.get(pi).completeIndex() < q.invokeIndex()) {
                maxAck = maxAck(maxAck, ackedPublishes.get(pi++));
            }
            while (qi < okQueries.size() && okQueries.get(qi).completeIndex() < q.invokeIndex()) {
                maxQuery = maxQuery(maxQuery, okQueries.get(qi++));
            }
            headRegression(a, q, maxAck, maxQuery, out);
        }
    }

    /** The acknowledged publish with the higher head (the earlier on ties). */
    public static Pair maxAck(Pair max, Pair p) {
        return max == null || pub(p).head() > pub(max).head() ? p : max;
    }

    /** The ok query with the higher head (the earlier on ties). */
    public static Pair maxQuery(Pair max, Pair q) {
        return max == null || headValue(q) > headValue(max) ? q : max;
    }

    /**
     * One ok query's head against the highest acknowledged head and the highest head returned before it was
     * invoked.
     */
    public static void headRegression(Facts a, Pair q, Pair maxAck, Pair maxQuery, Emitter out) {
        if (!q.ok()) {
            return;
        }
        long h = headValue(q);
        if (maxAck != null && h < pub(maxAck).head()) {
            Invariant inv = a.crashBetween(maxAck.invokeIndex(), q.completeIndex()) ? Invariant.RESTART_IDEMPOTENT
                    : Invariant.SNAPSHOT_CONSISTENT;
            out.emit(inv, "query " + q.id() + " returned head " + head(query(q).head()) + " after publish "
                    + maxAck.id() + " was acknowledged at head " + pub(maxAck).head()
                    + (inv == Invariant.RESTART_IDEMPOTENT ? " (a restart, kill or crash happened in between: "
                    + "an acknowledged block was lost)" : " (a stale read)"), maxAck.id(), q.id());
        } else if (maxQuery != null && h < headValue(maxQuery)) {
            Invariant inv = a.crashBetween(maxQuery.invokeIndex(), q.completeIndex())
                    ? Invariant.RESTART_IDEMPOTENT : Invariant.SNAPSHOT_CONSISTENT;
            out.emit(inv, "query " + q.id() + " returned head " + head(query(q).head()) + " after query "
                    + maxQuery.id() + " had already returned head " + head(query(maxQuery).head())
                    + (inv == Invariant.RESTART_IDEMPOTENT ? " (a restart, kill or crash happened in between)"
                    : " (the head went backwards)"), maxQuery.id(), q.id());
        }
    }

    private static long headValue(Pair q) {
        Long h = query(q).head();
        return h == null ? Long.MIN_VALUE : h;
    }
}
