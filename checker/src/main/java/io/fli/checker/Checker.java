package io.fli.checker;

import io.fli.checker.internal.Analysis;
import io.fli.checker.internal.Detectors;
import io.fli.checker.internal.Emitter;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.BiConsumer;

/** Checks a history against the six invariants: a pure function from a {@link History} to a {@link CheckResult}. */
public final class Checker {
    /** Anomalies kept per invariant; the verdict still counts all of them. */
    public static final int MAX_ANOMALIES_PER_INVARIANT = 1_000;

    private Checker() {
    }

    /** A detector and the invariants it decides. */
    record Detector(List<Invariant> covers, BiConsumer<Analysis, Emitter> run) {
    }

    static final List<Detector> DETECTORS = List.of(
            new Detector(List.of(Invariant.SINGLE_WRITER), Detectors::singleWriter),
            new Detector(List.of(Invariant.VISIBILITY_BARRIER), Detectors::visibilityBarrier),
            new Detector(List.of(Invariant.NO_DUPLICATE_OR_MISSING), Detectors::noDuplicateOrMissing),
            new Detector(List.of(Invariant.RESTART_IDEMPOTENT, Invariant.SNAPSHOT_CONSISTENT),
                    Detectors::headRegressions),
            new Detector(List.of(Invariant.FAIL_CLOSED), Detectors::failClosed));

    /** The order of a result's anomalies: by invariant, then by the last operation each names. */
    public static final java.util.Comparator<Anomaly> REPORT_ORDER = java.util.Comparator
            .comparing(Anomaly::invariant).thenComparing(Emitter.ORDER);

    public static CheckResult check(History history) {
        return check(history, DETECTORS);
    }

    static CheckResult check(History history, List<Detector> detectors) {
        Map<Invariant, CheckResult.Verdict> verdicts = new EnumMap<>(Invariant.class);
        List<Anomaly> anomalies = new ArrayList<>();
        Analysis analysis;
        try {
            analysis = new Analysis(history);
        } catch (RuntimeException e) {
            for (Invariant inv : Invariant.values()) {
                verdicts.put(inv, new CheckResult.Verdict(Validity.UNKNOWN, 0, describe(e)));
            }
            return new CheckResult(Validity.UNKNOWN, anomalies, verdicts, stats(history), history.test());
        }
        // Detectors are independent: run them on all cores, then combine their findings in a fixed order.
        Analysis shared = analysis;
        List<Object[]> runs = detectors.parallelStream().map(d -> {
            Emitter out = new Emitter(MAX_ANOMALIES_PER_INVARIANT);
            try {
                d.run().accept(shared, out);
                return new Object[]{d, out, null};
            } catch (RuntimeException e) {
                return new Object[]{d, out, e};
            }
        }).toList();
        for (Object[] run : runs) {
            Detector d = (Detector) run[0];
            Emitter out = (Emitter) run[1];
            RuntimeException failure = (RuntimeException) run[2];
            for (Invariant inv : d.covers()) {
                long n = out.count(inv);
                verdicts.put(inv, failure != null ? new CheckResult.Verdict(Validity.UNKNOWN, n, describe(failure))
                        : new CheckResult.Verdict(n == 0 ? Validity.VALID : Validity.INVALID, n, null));
                anomalies.addAll(out.anomalies(inv));
            }
        }
        Validity valid = Validity.VALID;
        for (CheckResult.Verdict v : verdicts.values()) {
            valid = valid.merge(v.valid());
        }
        anomalies.sort(REPORT_ORDER);
        return new CheckResult(valid, anomalies, verdicts, stats(history), history.test());
    }

    static String describe(RuntimeException e) {
        StackTraceElement at = e.getStackTrace().length > 0 ? e.getStackTrace()[0] : null;
        return e.getClass().getSimpleName() + ": " + e.getMessage() + (at == null ? "" : " at " + at);
    }

    private static boolean isNemesisF(String f) {
        return !f.equals("acquire") && !f.equals("publish") && !f.equals("query");
    }

    static CheckResult.Stats stats(History h) {
        Map<String, long[]> counts = new java.util.HashMap<>();
        for (Op op : h.ops()) {
            long[] c = counts.computeIfAbsent(op.f(), k -> new long[Op.Type.values().length]);
            c[op.type().ordinal()]++;
        }
        return stats(h.ops().size(), counts);
    }

    /** Stats from the number of operation lines and, per f, the lines of each type. */
    static CheckResult.Stats stats(long ops, Map<String, long[]> counts) {
        Map<String, Map<String, Long>> byF = new TreeMap<>();
        counts.forEach((f, c) -> {
            Map<String, Long> m = new TreeMap<>();
            long completions = 0;
            for (Op.Type t : Op.Type.values()) {
                if (t != Op.Type.INVOKE && c[t.ordinal()] > 0) {
                    m.put(t.wire(), c[t.ordinal()]);
                    completions += c[t.ordinal()];
                }
            }
            // Client invokes are completed at most once; nemesis invokes are followed by an info or stand alone.
            long incomplete = c[Op.Type.INVOKE.ordinal()] - completions;
            if (incomplete > 0 && !isNemesisF(f)) {
                m.put("incomplete", incomplete);
            }
            byF.put(f, m);
        });
        return new CheckResult.Stats(ops, byF);
    }
}
