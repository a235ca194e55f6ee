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
        Map<Long, Pair> byEpoch = new HashMap<>();
        for (Pair p : a.acquires) {
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
                Pair c = okAcquires.get(i++);
                if (max == null || epochOf(c) > epochOf(max)) {
                    max = c;
                }
            }
            if (max == null) {
                continue;
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
        Map<Long, Pair> ackedBy = new HashMap<>();
        Map<Long, String> ackedHash = new HashMap<>();
        Set<Long> reported = new HashSet<>();
        for (Pair p : a.publishes.stream().filter(Pair::ok)
                .sorted((x, y) -> Integer.compare(x.completeIndex(), y.completeIndex())).toList()) {
            for (Op.Block b : pub(p).blocks()) {
                String prev = ackedHash.putIfAbsent(b.number(), b.hash());
                if (prev != null && !prev.equals(b.hash()) && reported.add(b.number())) {
                    Pair first = ackedBy.get(b.number());
                    out.emit(Invariant.SINGLE_WRITER, "publish " + first.id() + " and publish " + p.id()
                            + " were both acknowledged with block " + b.number() + " but different hashes ("
                            + prev + " and " + b.hash() + ")", first.id(), p.id());
                }
                ackedBy.putIfAbsent(b.number(), p);
            }
        }
    }

    // ------------------------------------------------------------------ 2. visibility-barrier

    public static void visibilityBarrier(Analysis a, Emitter out) {
        Set<Long> reportedFailed = new HashSet<>();
        for (Pair q : a.queries) {
            if (!q.ok()) {
                continue;
            }
            Op.Query v = query(q);
            Long h = v.head();
            if (h != null && h >= a.base) {
                BlockInfo info = a.block(h);
                if (info == null || info.firstInvoke > q.completeIndex()) {
                    out.emit(Invariant.VISIBILITY_BARRIER, "query " + q.id() + " returned head " + h
                            + " but no publish carrying block " + h + " was invoked before it completed"
                            + (info == null ? " (no publish in the history carries it)"
                            : " (the first is invoked at " + info.firstInvoke + ")"), q.id());
                }
            }
            if (h != null && a.failedBlocks.length > 0 && a.failedBlocks[0] <= h
                    && reportedFailed.add(a.failedBlocks[0])) {
                long b = a.failedBlocks[0];
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

    static Kind classify(Analysis a, Op.ReturnedLog l) {
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
        for (Pair q : a.queries) {
            if (!q.ok()) {
                continue;
            }
            for (Op.ReturnedLog l : query(q).logs()) {
                if (l.block() < a.base || classify(a, l) != Kind.DAMAGED) {
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

    public static void noDuplicateOrMissing(Analysis a, Emitter out) {
        unreadable(a, out);
        Map<Long, Version> committed = new HashMap<>();
        Map<Long, Integer> committedBy = new HashMap<>();
        Map<Long, Boolean> committedByAck = new HashMap<>();
        for (BlockInfo info : a.blocks.values()) {
            Pair best = null;
            Version bv = null;
            for (Version v : info.versions) {
                Pair ack = v.firstAck();
                if (ack != null && (best == null || ack.completeIndex() < best.completeIndex())) {
                    best = ack;
                    bv = v;
                }
            }
            if (bv != null) {
                committed.put(info.number, bv);
                committedBy.put(info.number, best.id());
                committedByAck.put(info.number, true);
            }
        }
        List<Pair> oks = a.queries.stream().filter(Pair::ok)
                .sorted((x, y) -> Integer.compare(x.completeIndex(), y.completeIndex())).toList();
        for (Pair q : oks) {
            Op.Query v = query(q);
            if (matchesExactly(a, v)) {
                continue;
            }
            Set<BlockLog> seen = new HashSet<>();
            // Returned logs per block in the judged range, by index: present (clean matching or damaged).
            TreeMap<Long, Map<Integer, Op.ReturnedLog>> returned = new TreeMap<>();
            Long h = v.head();
            for (Op.ReturnedLog l : v.logs()) {
                if (l.block() < a.base) {
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
                continue;
            }
            long lo = Math.max(v.from() == null ? a.base : v.from(), a.base);
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
                Version c = committed.get(b);
                if (c != null) {
                    if (consistent.contains(c)) {
                        continue;
                    }
                    Set<Integer> want = e.getOrDefault(c, Set.of());
                    String by = committedByAck.getOrDefault(b, false) ? "acknowledged by publish " + committedBy.get(b)
                            : "shown by query " + committedBy.get(b);
                    if (!consistent.isEmpty()) {
                        out.emit(Invariant.NO_DUPLICATE_OR_MISSING, "query " + q.id() + " shows version "
                                + consistent.get(0).block.hash() + " of block " + b + " but version "
                                + c.block.hash() + " was " + by + " (two versions of one block are visible)",
                                q.id(), committedBy.get(b));
                    } else {
                        emitDiff(out, q, b, c, want, r, by, committedBy.get(b));
                    }
                    continue;
                }
                if (consistent.isEmpty()) {
                    Version closest = candidates.get(0);
                    emitDiff(out, q, b, closest, e.getOrDefault(closest, Set.of()), r,
                            "published by publish " + closest.publishes.get(0).id(), closest.publishes.get(0).id());
                } else if (consistent.size() == 1) {
                    committed.put(b, consistent.get(0));
                    committedBy.put(b, q.id());
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
     * expected logs, every one the same published log (the parser shares strings with it) of a block that has a
     * single version.
     */
    private static boolean matchesExactly(Analysis a, Op.Query v) {
        Long h = v.head();
        if (h == null) {
            return v.logs().isEmpty();
        }
        long lo = Math.max(v.from() == null ? a.base : v.from(), a.base);
        long hi = v.to() == null ? h : Math.min(v.to(), h);
        List<Analysis.Match> expected = a.expected(lo, hi, v.addresses(), v.topics());
        List<Op.ReturnedLog> got = v.logs();
        if (expected.size() != got.size()) {
            return false;
        }
        for (int i = 0; i < got.size(); i++) {
            Analysis.Match m = expected.get(i);
            Op.ReturnedLog l = got.get(i);
            if (m.block().number != l.block() || m.log().index() != l.index() || m.log().address() != l.address()
                    || m.log().topics() != l.topics() || m.log().data() != l.data()
                    || m.block().versions.size() != 1 || !Analysis.identityAgrees(m.log(), m.version().block.hash(), l)) {
                return false;
            }
        }
        return true;
    }

    private static boolean consistent(Analysis a, Version v, Set<Integer> want, Map<Integer, Op.ReturnedLog> got) {
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
                Pair p = ackedPublishes.get(pi++);
                if (maxAck == null || pub(p).head() > pub(maxAck).head()) {
                    maxAck = p;
                }
            }
            while (qi < okQueries.size() && okQueries.get(qi).completeIndex() < q.invokeIndex()) {
                Pair p = okQueries.get(qi++);
                if (maxQuery == null || headValue(p) > headValue(maxQuery)) {
                    maxQuery = p;
                }
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
    }

    private static long headValue(Pair q) {
        Long h = query(q).head();
        return h == null ? Long.MIN_VALUE : h;
    }
}
