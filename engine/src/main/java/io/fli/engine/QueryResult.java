package io.fli.engine;

import java.util.List;

/**
 * A query's answer: exact and consistent with one finalized head.
 *
 * @param head the finalized head the answer was computed against, {@code null} before the first publish
 * @param logs every matching log of every block in the clipped range, ordered by (block, tx, log index)
 */
public record QueryResult(Long head, List<MatchedLog> logs) {
    public QueryResult {
        logs = List.copyOf(logs);
    }
}
