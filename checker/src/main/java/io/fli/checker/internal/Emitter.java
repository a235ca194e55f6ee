package io.fli.checker.internal;

import io.fli.checker.Anomaly;
import io.fli.checker.Invariant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * Collects anomalies, counting all and keeping at most {@code cap} per invariant: the first ones in {@link #ORDER}
 * (by the last operation they name), so that the kept ones do not depend on the order they were found in — the
 * batch and the streaming checker find the same anomalies in different orders.
 */
public final class Emitter {
    /** Report order within an invariant: by last operation, then the other operations, then the sentence. */
    public static final Comparator<Anomaly> ORDER = Comparator
            .comparingInt((Anomaly a) -> a.ops().get(a.ops().size() - 1))
            .thenComparing(Anomaly::ops, Emitter::compareOps)
            .thenComparing(Anomaly::explanation);

    private final int cap;
    private final Map<Invariant, List<Anomaly>> kept = new EnumMap<>(Invariant.class);
    private final Map<Invariant, Long> counts = new EnumMap<>(Invariant.class);
    private final java.util.function.Consumer<Anomaly> found;

    public Emitter(int cap) {
        this(cap, a -> { });
    }

    /** An emitter that also hands every anomaly to {@code found} as it is emitted. */
    public Emitter(int cap, java.util.function.Consumer<Anomaly> found) {
        this.cap = cap;
        this.found = found;
    }

    public void emit(Invariant inv, String explanation, int... ops) {
        counts.merge(inv, 1L, Long::sum);
        List<Integer> list = new ArrayList<>(ops.length);
        for (int o : ops) {
            list.add(o);
        }
        list.sort(Integer::compare);
        Anomaly a = new Anomaly(inv, list, explanation);
        List<Anomaly> k = kept.computeIfAbsent(inv, x -> new ArrayList<>());
        k.add(a);
        if (k.size() >= 2 * cap) {
            trim(k);
        }
        found.accept(a);
    }

    private void trim(List<Anomaly> k) {
        k.sort(ORDER);
        if (k.size() > cap) {
            k.subList(cap, k.size()).clear();
        }
    }

    /** The kept anomalies of one invariant, in {@link #ORDER}. */
    public List<Anomaly> anomalies(Invariant inv) {
        List<Anomaly> k = kept.getOrDefault(inv, new ArrayList<>());
        trim(k);
        return List.copyOf(k);
    }

    public long count(Invariant inv) {
        return counts.getOrDefault(inv, 0L);
    }

    private static int compareOps(List<Integer> x, List<Integer> y) {
        for (int i = 0; i < Math.min(x.size(), y.size()); i++) {
            int c = Integer.compare(x.get(i), y.get(i));
            if (c != 0) {
                return c;
            }
        }
        return Integer.compare(x.size(), y.size());
    }
}
