package io.fli.checker;

import java.util.List;

/**
 * One violation: the invariant, the operations (by index) that show it, and a sentence a person can act on.
 *
 * @param invariant   which invariant
 * @param ops         operation indexes, earliest first
 * @param explanation what happened, naming the operations and the values that disagree
 */
public record Anomaly(Invariant invariant, List<Integer> ops, String explanation) {
    public Anomaly {
        ops = List.copyOf(ops);
    }
}
