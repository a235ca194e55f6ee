package io.fli.engine;

/**
 * The query classes of the SLOs ({@code slo.json}), told from the shape of a query alone, so that a process serving
 * arbitrary {@code eth_getLogs} calls can label its latency metrics the way the SLO suite and the soak measure them.
 */
public enum QueryClass {
    /** All logs of one block, by {@code blockHash}. */
    BLOCK_HASH("block-hash"),
    /** One address and at least one topic position. */
    ADDRESS_AND_TOPIC0("address-and-topic0"),
    /** One address, no topic. */
    SELECTIVE_ADDRESS("selective-address"),
    /** An OR-list of 2 to {@value #SMALL_OR} addresses. */
    OR_SMALL("or-4"),
    /** An OR-list of more than {@value #SMALL_OR} addresses. */
    OR_LARGE("or-256"),
    /** No address, both bounds open (the whole chain), filtered by topics. */
    WIDE_RANGE("wide-range"),
    /** No address, a bounded range, filtered by topics. */
    TOPIC_ONLY("topic-only"),
    /** No address and no topic: every log of a range. */
    UNFILTERED("unfiltered");

    /** The largest address OR-list counted as {@link #OR_SMALL}. */
    public static final int SMALL_OR = 16;

    private final String label;

    QueryClass(String label) {
        this.label = label;
    }

    /** The class's name in {@code slo.json}, metrics labels and soak files. */
    public String label() {
        return label;
    }

    public static QueryClass of(LogQuery q) {
        if (q.blockHash() != null) {
            return BLOCK_HASH;
        }
        boolean topics = q.topics().stream().anyMatch(t -> t != null && !t.isEmpty());
        int addresses = q.addresses().size();
        if (addresses == 1) {
            return topics ? ADDRESS_AND_TOPIC0 : SELECTIVE_ADDRESS;
        }
        if (addresses > 1) {
            return addresses <= SMALL_OR ? OR_SMALL : OR_LARGE;
        }
        if (!topics) {
            return UNFILTERED;
        }
        return q.fromBlock() == null && q.toBlock() == null ? WIDE_RANGE : TOPIC_ONLY;
    }
}
