package io.fli.workloads;

import static org.assertj.core.api.Assertions.assertThat;

import io.fli.engine.Block;
import io.fli.engine.Log;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class ChainGeneratorTest {
    private final ChainGenerator gen = new ChainGenerator(ChainGenerator.Shape.defaults(42).withCardinality(1000, 50, 2000));

    @Test
    void aBlockIsAPureFunctionOfSeedAndNumber() {
        ChainGenerator other = new ChainGenerator(ChainGenerator.Shape.defaults(42).withCardinality(1000, 50, 2000));
        assertThat(other.block(777)).isEqualTo(gen.block(777));
        assertThat(other.blocks(10, 5)).isEqualTo(gen.blocks(10, 5));
        ChainGenerator seed43 = new ChainGenerator(ChainGenerator.Shape.defaults(43).withCardinality(1000, 50, 2000));
        assertThat(seed43.block(777).hash()).isNotEqualTo(gen.block(777).hash());
    }

    @Test
    void blocksChainByParentHashAndAreWellFormed() {
        List<Block> blocks = gen.blocks(0, 300);
        int empty = 0;
        for (int i = 1; i < blocks.size(); i++) {
            assertThat(blocks.get(i).parentHash()).isEqualTo(blocks.get(i - 1).hash());
            empty += blocks.get(i).logs().isEmpty() ? 1 : 0;
            int tx = 0;
            for (int j = 0; j < blocks.get(i).logs().size(); j++) {
                Log l = blocks.get(i).logs().get(j);
                assertThat(l.index()).isEqualTo(j);
                assertThat(l.tx()).isGreaterThanOrEqualTo(tx);
                tx = l.tx();
                assertThat(l.topics().size()).isBetween(0, 4);
            }
        }
        assertThat(empty).isBetween(3, 40);
    }

    @Test
    void addressesAreZipfSkewed() {
        Map<String, Integer> counts = new HashMap<>();
        for (Block b : gen.blocks(0, 400)) {
            for (Log l : b.logs()) {
                counts.merge(l.address(), 1, Integer::sum);
            }
        }
        int top = counts.getOrDefault(gen.address(0), 0);
        int mid = counts.getOrDefault(gen.address(500), 0);
        assertThat(top).isGreaterThan(20 * Math.max(1, mid));
        assertThat(counts.size()).isGreaterThan(500);
    }

    @Test
    void zipfWithExponentZeroIsUniform() {
        Zipf z = new Zipf(4, 0);
        int[] c = new int[4];
        SplittableRandom r = new SplittableRandom(1);
        for (int i = 0; i < 40_000; i++) {
            c[z.sample(r)]++;
        }
        for (int x : c) {
            assertThat(x).isBetween(9_000, 11_000);
        }
    }

    @Test
    void theGuideTableDrawsExactlyTheRanksOfABinarySearch() {
        SplittableRandom r = new SplittableRandom(5);
        for (int n : new int[]{1, 2, 3, 17, 1_000, 200_000}) {
            for (double s : new double[]{0, 0.5, 1.1, 3}) {
                Zipf z = new Zipf(n, s);
                for (int i = 0; i < 20_000; i++) {
                    double u = r.nextDouble();
                    assertThat(z.rankOf(u)).as("n=%d s=%s u=%s", n, s, u).isEqualTo(z.rankByBinarySearch(u));
                }
                int buckets = Math.max(1, n / 2);
                for (int j = 0; j <= buckets; j += Math.max(1, buckets / 500)) {
                    double edge = j / (double) buckets;
                    for (double u : new double[]{edge, Math.nextDown(edge), Math.nextUp(edge)}) {
                        if (u >= 0 && u < 1) {
                            assertThat(z.rankOf(u)).as("n=%d s=%s u=%s", n, s, u).isEqualTo(z.rankByBinarySearch(u));
                        }
                    }
                }
                assertThat(z.rankOf(Math.nextDown(1.0))).isEqualTo(z.rankByBinarySearch(Math.nextDown(1.0)));
            }
        }
    }

    @Test
    void theGeneratedChainIsTheOneRecordedRunsWereMadeFrom() throws Exception {
        // Saved histories, goldens and replays name blocks by seed: a faster generator must generate the same blocks.
        java.security.MessageDigest md = java.security.MessageDigest.getInstance("SHA-256");
        for (Block b : gen.blocks(0, 300)) {
            md.update(b.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8));
        }
        ChainGenerator big = new ChainGenerator(ChainGenerator.Shape.defaults(7)
                .withCardinality(1_000_000, 20_000, 2_000_000));
        for (Block b : big.blocks(5_000, 100)) {
            md.update(b.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8));
        }
        assertThat(java.util.HexFormat.of().formatHex(md.digest()))
                .isEqualTo("ea2e0daafff5f9da10ef6aa700df2457bcc3672358bf4ef3c4d973c9c4615395");
    }
}
