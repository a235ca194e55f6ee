package io.fli.soak;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;
import org.junit.jupiter.api.Test;

class TrendTest {
    @Test
    void anExactLineHasItsSlopeAndNoUncertainty() {
        Trend t = Trend.of(new double[]{0, 1, 2, 3, 4}, new double[]{10, 12, 14, 16, 18});
        assertThat(t.slope()).isEqualTo(2.0);
        assertThat(t.halfWidth()).isEqualTo(0.0);
        assertThat(t.exceeds(1.9)).isTrue();
        assertThat(t.exceeds(2.0)).isFalse();
    }

    @Test
    void noiseWithoutATrendDoesNotExceedAPositiveLimitButARealTrendDoes() {
        Random r = new Random(5);
        int n = 40;
        double[] x = new double[n];
        double[] flat = new double[n];
        double[] rising = new double[n];
        for (int i = 0; i < n; i++) {
            x[i] = i / 360.0; // hours, one sample every 10 s
            flat[i] = 500 + r.nextGaussian() * 20;
            rising[i] = 500 + 1_000 * x[i] + r.nextGaussian() * 2;
        }
        Trend a = Trend.of(x, flat);
        assertThat(a.lower()).isLessThan(0).as("the interval of pure noise straddles zero");
        assertThat(a.upper()).isGreaterThan(0);
        assertThat(a.exceeds(100)).isFalse();
        Trend b = Trend.of(x, rising);
        assertThat(b.slope()).isBetween(900.0, 1_100.0);
        assertThat(b.exceeds(500)).isTrue();
    }

    @Test
    void tooFewPointsHaveNoIntervalAndNeverExceed() {
        assertThat(Trend.of(new double[]{1, 2}, new double[]{1, 100}).exceeds(0)).isFalse();
        assertThat(Double.isNaN(Trend.of(new double[]{1}, new double[]{1}).slope())).isTrue();
        assertThat(Double.isNaN(Trend.of(new double[]{1, 1, 1}, new double[]{1, 2, 3}).slope())).isTrue();
    }
}
