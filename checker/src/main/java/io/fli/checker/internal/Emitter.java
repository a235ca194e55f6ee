package io.fli.checker.internal;

import io.fli.checker.Anomaly;
import io.fli.checker.Invariant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/** Collects anomalies, keeping at most {@code cap} per invariant but counting all. */
public final class Emitter {
    private final int cap;
    private final Map<Invariant, List<Anomaly>> kept = new EnumMap<>(Invariant.class);
    private final Map<Invariant, Long> counts = new EnumMap<>(Invariant.class);

    public Emitter(int cap) {
        this.cap = cap;
    }

    public void emit(Invariant inv, String explanation, int... ops) {
        long n = counts.merge(inv, 1L, Long::sum);
        if (n <= cap) {
            List<Integer> list = new ArrayList<>(ops.length);
            for (int o : ops) {
                list.add(o);
            }
            list.sort(Integer::compare);
            kept.computeIfAbsent(inv, k -> new ArrayList<>()).add(new Anomaly(inv, list, explanation));
        }
    }

    public List<Anomaly> anomalies(Invariant inv) {
        return kept.getOrDefault(inv, List.of());
    }

    public long count(Invariant inv) {
        return counts.getOrDefault(inv, 0L);
    }
}
