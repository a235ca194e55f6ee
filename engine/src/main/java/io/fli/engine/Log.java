package io.fli.engine;

import java.util.List;
import java.util.Objects;

/**
 * One EVM log as handed to the index.
 *
 * @param index   the log's position within its block, unique in the block, {@code >= 0}
 * @param tx      the transaction index within the block, or {@code null} when unknown
 * @param txHash  the hash of the transaction that emitted it (opaque, non-empty), or {@code null} when unknown
 * @param address the emitting contract's address (an opaque, non-empty string compared exactly)
 * @param topics  0 to 4 topics, each a non-empty opaque string
 * @param data    the log data, or {@code null}
 */
public record Log(int index, Integer tx, String txHash, String address, List<String> topics, String data) {
    public Log {
        topics = topics == null ? List.of() : List.copyOf(topics);
    }

    /** A log whose transaction hash is not known. */
    public Log(int index, Integer tx, String address, List<String> topics, String data) {
        this(index, tx, null, address, topics, data);
    }

    /** Whether this log matches an address OR-list and per-position topic OR-lists, with eth_getLogs semantics. */
    public boolean matches(List<String> addresses, List<List<String>> topicFilter) {
        if (addresses != null && !addresses.isEmpty() && !addresses.contains(address)) {
            return false;
        }
        if (topicFilter != null) {
            for (int i = 0; i < topicFilter.size(); i++) {
                List<String> allowed = topicFilter.get(i);
                if (allowed == null || allowed.isEmpty()) {
                    continue;
                }
                if (i >= topics.size() || !allowed.contains(topics.get(i))) {
                    return false;
                }
            }
        }
        return true;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Log l && index == l.index && Objects.equals(tx, l.tx) && Objects.equals(txHash, l.txHash)
                && address.equals(l.address) && topics.equals(l.topics) && Objects.equals(data, l.data);
    }

    @Override
    public int hashCode() {
        return Objects.hash(index, address, topics);
    }
}
