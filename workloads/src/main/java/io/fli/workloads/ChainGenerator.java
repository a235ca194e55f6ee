package io.fli.workloads;

import io.fli.engine.Block;
import io.fli.engine.Log;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * A seeded finalized chain with high-cardinality, Zipf-distributed addresses and topics, occasional empty blocks
 * and occasional huge blocks. {@link #block(long)} is a pure function of the seed and the number.
 */
public final class ChainGenerator {

    /**
     * The shape of a generated chain.
     *
     * @param seed            the seed everything derives from
     * @param addresses       distinct addresses (Zipf ranks)
     * @param topic0s         distinct event signatures (topic0)
     * @param topicValues     distinct values for topic1..3
     * @param zipfExponent    popularity skew, e.g. 1.1
     * @param logsPerBlock    mean logs in an ordinary block
     * @param emptyBlockRate  probability that a block has no logs
     * @param hugeBlockRate   probability that a block has 20× the mean
     */
    public record Shape(long seed, int addresses, int topic0s, int topicValues, double zipfExponent,
                        int logsPerBlock, double emptyBlockRate, double hugeBlockRate) {
        public static Shape defaults(long seed) {
            return new Shape(seed, 100_000, 2_000, 200_000, 1.1, 50, 0.05, 0.002);
        }

        public Shape withLogsPerBlock(int n) {
            return new Shape(seed, addresses, topic0s, topicValues, zipfExponent, n, emptyBlockRate, hugeBlockRate);
        }

        public Shape withCardinality(int addresses, int topic0s, int topicValues) {
            return new Shape(seed, addresses, topic0s, topicValues, zipfExponent, logsPerBlock, emptyBlockRate,
                    hugeBlockRate);
        }
    }

    private final Shape shape;
    private final Zipf addressRank;
    private final Zipf topic0Rank;
    private final Zipf topicRank;
    private final String[] addresses;
    private final String[] topic0s;
    private final String[] topics;

    public ChainGenerator(Shape shape) {
        this.shape = shape;
        this.addressRank = new Zipf(shape.addresses(), shape.zipfExponent());
        this.topic0Rank = new Zipf(shape.topic0s(), shape.zipfExponent());
        this.topicRank = new Zipf(shape.topicValues(), shape.zipfExponent());
        this.addresses = pool(shape.seed() ^ 0xA11CEL, shape.addresses(), 40);
        this.topic0s = pool(shape.seed() ^ 0x70910L, shape.topic0s(), 64);
        this.topics = pool(shape.seed() ^ 0x7091CL, shape.topicValues(), 64);
    }

    public Shape shape() {
        return shape;
    }

    private static String[] pool(long seed, int n, int hexDigits) {
        SplittableRandom r = new SplittableRandom(seed);
        String[] out = new String[n];
        for (int i = 0; i < n; i++) {
            out[i] = hex(r, hexDigits);
        }
        return out;
    }

    private static final char[] HEX = "0123456789abcdef".toCharArray();

    static String hex(SplittableRandom r, int digits) {
        char[] c = new char[digits + 2];
        c[0] = '0';
        c[1] = 'x';
        for (int i = 0; i < digits; i++) {
            c[i + 2] = HEX[r.nextInt(16)];
        }
        return new String(c);
    }

    /** The address of Zipf rank {@code k} (0 is the most popular). */
    public String address(int rank) {
        return addresses[rank];
    }

    /** The topic0 (event signature) of Zipf rank {@code k}. */
    public String topic0(int rank) {
        return topic0s[rank];
    }

    /** The topic1..3 value of Zipf rank {@code k}. */
    public String topicValue(int rank) {
        return topics[rank];
    }

    private SplittableRandom randomFor(long number) {
        return new SplittableRandom(shape.seed() * 0x9E3779B97F4A7C15L + number * 0xBF58476D1CE4E5B9L);
    }

    /** The hash of block {@code number}. */
    public String hash(long number) {
        return hex(new SplittableRandom(shape.seed() ^ (number * 0x94D049BB133111EBL) ^ 0x5EED), 64);
    }

    /** Block {@code number}, with its parent hash. */
    public Block block(long number) {
        return block(number, randomFor(number), hash(number), 0);
    }

    /**
     * A different block at {@code number}: another hash and other logs, the same parent — what a source that
     * violates finality (a reorg below the finalized head) would hand over.
     */
    public Block forked(long number) {
        long salt = 0xF02CL;
        return block(number, new SplittableRandom(shape.seed() * 0x9E3779B97F4A7C15L + number * 0xBF58476D1CE4E5B9L
                + salt), hex(new SplittableRandom(shape.seed() ^ (number * 0x94D049BB133111EBL) ^ salt), 64), salt);
    }

    /** The hash of transaction {@code tx} of block {@code number} (forks salted apart). */
    private String txHash(long number, int tx, long salt) {
        return hex(new SplittableRandom(shape.seed() * 31 + number * 0x2545F4914F6CDD1DL + tx * 0x9E3779B9L + salt), 64);
    }

    private Block block(long number, SplittableRandom r, String hash, long salt) {
        int n;
        double u = r.nextDouble();
        if (u < shape.emptyBlockRate()) {
            n = 0;
        } else if (u < shape.emptyBlockRate() + shape.hugeBlockRate()) {
            n = shape.logsPerBlock() * 20;
        } else {
            n = shape.logsPerBlock() <= 1 ? shape.logsPerBlock() : 1 + r.nextInt(shape.logsPerBlock() * 2 - 1);
        }
        List<Log> logs = new ArrayList<>(n);
        int tx = 0;
        String txHash = n == 0 ? null : txHash(number, 0, salt);
        for (int i = 0; i < n; i++) {
            if (i > 0 && r.nextInt(3) == 0) {
                tx++;
                txHash = txHash(number, tx, salt);
            }
            int nt = r.nextInt(5);
            List<String> t = new ArrayList<>(nt);
            if (nt > 0) {
                t.add(topic0s[topic0Rank.sample(r)]);
            }
            for (int k = 1; k < nt; k++) {
                t.add(topics[topicRank.sample(r)]);
            }
            logs.add(new Log(i, tx, txHash, addresses[addressRank.sample(r)], t, hex(r, 16)));
        }
        return new Block(number, hash, number == 0 ? null : hash(number - 1), logs);
    }

    /** Blocks {@code 0, 1, ...} up to the first that brings the logs to at least {@code logs}. */
    public List<Block> blocksHolding(long logs) {
        List<Block> out = new ArrayList<>();
        long total = 0;
        for (long n = 0; total < logs; n++) {
            Block b = block(n);
            out.add(b);
            total += b.logs().size();
        }
        return out;
    }

    /** Blocks {@code first..first+count-1}. */
    public List<Block> blocks(long first, int count) {
        List<Block> out = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            out.add(block(first + i));
        }
        return out;
    }
}
