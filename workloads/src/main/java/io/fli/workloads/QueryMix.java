package io.fli.workloads;

import io.fli.engine.LogQuery;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Seeded eth_getLogs queries over a {@link ChainGenerator}'s value pools: selective filters, broad OR-lists,
 * topic-only filters, wide ranges and block-hash queries.
 */
public final class QueryMix {
    /** The query classes. */
    public enum Kind {
        /** One address of a uniformly drawn rank (mostly rare): few results. */
        SELECTIVE_ADDRESS,
        /** Four addresses, uniformly drawn ranks. */
        ADDRESS_OR4,
        /** A broad OR-list of uniformly drawn addresses, as long as the limit allows (up to 256). */
        BROAD_OR,
        /** A topic0 and a topic1 filter with no address. */
        TOPIC_ONLY,
        /** A popular address and a topic0, ANDed. */
        ADDRESS_AND_TOPIC,
        /** The whole indexed range, filtered by one uniformly drawn topic0. */
        WIDE_RANGE,
        /** All logs of one block, by hash. */
        BLOCK_HASH
    }

    private final ChainGenerator gen;
    private final java.util.Map<String, Long> hashed = new java.util.concurrent.ConcurrentHashMap<>();
    private final int maxOrTerms;
    private final Zipf popular;

    private final long broadSpan;

    public QueryMix(ChainGenerator gen, int maxOrTerms) {
        this(gen, maxOrTerms, Long.MAX_VALUE);
    }

    /**
     * @param broadSpan at most this many blocks for the broad OR-list (which matches most logs): a harness
     *                  recording every answer keeps its histories to a size a disk and a checker can take
     */
    public QueryMix(ChainGenerator gen, int maxOrTerms, long broadSpan) {
        this.gen = gen;
        this.maxOrTerms = maxOrTerms;
        this.broadSpan = broadSpan;
        this.popular = new Zipf(gen.shape().addresses(), gen.shape().zipfExponent());
    }

    /** A query of a uniformly drawn class over blocks {@code first..head}. */
    public LogQuery next(SplittableRandom r, long first, long head) {
        Kind[] kinds = Kind.values();
        return of(kinds[r.nextInt(kinds.length)], r, first, head);
    }

    public LogQuery of(Kind kind, SplittableRandom r, long first, long head) {
        ChainGenerator.Shape s = gen.shape();
        long span = Math.max(1, head - first + 1);
        long from = first + r.nextLong(span);
        long to = Math.min(head, from + r.nextLong(Math.min(span, 2_000)));
        return switch (kind) {
            case SELECTIVE_ADDRESS -> LogQuery.range(from, to, List.of(gen.address(r.nextInt(s.addresses()))), null);
            case ADDRESS_OR4 -> LogQuery.range(from, to, uniformAddresses(r, 4), null);
            case BROAD_OR -> LogQuery.range(Math.max(first, head - broadSpan + 1), null,
                    uniformAddresses(r, Math.min(256, maxOrTerms)), null);
            case TOPIC_ONLY -> LogQuery.range(from, to, null, List.of(List.of(gen.topic0(r.nextInt(s.topic0s()))),
                    List.of(gen.topicValue(r.nextInt(s.topicValues())), gen.topicValue(r.nextInt(s.topicValues())))));
            case ADDRESS_AND_TOPIC -> LogQuery.range(from, to, List.of(gen.address(popular.sample(r))),
                    Arrays.asList(List.of(gen.topic0(r.nextInt(Math.min(20, s.topic0s())))), null));
            case WIDE_RANGE -> LogQuery.range(null, null, null,
                    List.of(List.of(gen.topic0(s.topic0s() / 2 + r.nextInt(Math.max(1, s.topic0s() / 2))))));
            case BLOCK_HASH -> {
                String h = gen.hash(from);
                if (hashed.size() > 100_000) {
                    hashed.clear();
                }
                hashed.put(h, from);
                yield LogQuery.byHash(h, null, null);
            }
        };
    }

    /** The number of the block whose hash a recent {@link Kind#BLOCK_HASH} query asked for, or null. */
    public Long blockOfHash(String hash) {
        return hashed.get(hash);
    }

    /** {@code n} addresses of uniformly drawn ranks. */
    public List<String> uniformAddresses(SplittableRandom r, int n) {
        List<String> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            out.add(gen.address(r.nextInt(gen.shape().addresses())));
        }
        return out;
    }
}
