package io.fli.engine;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * An {@code eth_getLogs} filter.
 *
 * <p>Either a block range ({@code fromBlock}/{@code toBlock}, each {@code null} for "the first indexed block" and
 * "the finalized head") or a single {@code blockHash}. {@code addresses} is an OR-list (empty: any address).
 * {@code topics.get(i)} is an OR-list for topic position {@code i} ({@code null} or empty: any value), positions are
 * ANDed, and there are at most 4 positions.
 */
public record LogQuery(Long fromBlock, Long toBlock, String blockHash, List<String> addresses,
                       List<List<String>> topics) {
    public LogQuery {
        addresses = addresses == null ? List.of() : List.copyOf(addresses);
        if (topics == null) {
            topics = List.of();
        } else {
            List<List<String>> copy = new ArrayList<>(topics.size());
            for (List<String> t : topics) {
                copy.add(t == null ? null : List.copyOf(t));
            }
            topics = Collections.unmodifiableList(copy);
        }
    }

    /** A range query; {@code null} bounds mean the first indexed block and the head. */
    public static LogQuery range(Long from, Long to, List<String> addresses, List<List<String>> topics) {
        return new LogQuery(from, to, null, addresses, topics);
    }

    /** A query of the single block with this hash. */
    public static LogQuery byHash(String blockHash, List<String> addresses, List<List<String>> topics) {
        return new LogQuery(null, null, blockHash, addresses, topics);
    }
}
