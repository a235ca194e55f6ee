package io.fli.checker;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import java.util.Map;

/**
 * The checker's answer.
 *
 * @param valid      the merged verdict
 * @param anomalies  every anomaly found (at most {@link Checker#MAX_ANOMALIES_PER_INVARIANT} per invariant)
 * @param invariants per invariant: its verdict, the number of anomalies, and the error when it is unknown
 * @param stats      operation counts
 * @param test       the header's {@code test} object
 */
public record CheckResult(Validity valid, List<Anomaly> anomalies, Map<Invariant, Verdict> invariants, Stats stats,
                          JsonNode test) {

    /**
     * One invariant's verdict.
     *
     * @param valid     valid, invalid, or unknown (its check failed with {@code error})
     * @param anomalies anomalies found, including any beyond the reported cap
     * @param error     the internal error when unknown, else null
     */
    public record Verdict(Validity valid, long anomalies, String error) {
    }

    /**
     * Counts.
     *
     * @param ops  operation lines
     * @param byF  per {@code f}, per completion type ({@code ok}, {@code fail}, {@code info}, and
     *             {@code incomplete} for invokes never completed), the number of operations
     */
    public record Stats(long ops, Map<String, Map<String, Long>> byF) {
    }
}
