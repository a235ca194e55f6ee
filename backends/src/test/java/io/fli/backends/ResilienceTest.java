package io.fli.backends;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.resilience4j.core.IntervalFunction;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Retry jitter: reproducible from a seed, different between processes. */
class ResilienceTest {
    private static List<Long> waits(IntervalFunction f) {
        List<Long> out = new ArrayList<>();
        for (int attempt = 1; attempt <= 8; attempt++) {
            out.add(f.apply(attempt));
        }
        return out;
    }

    @Test
    void theSameSeedGivesTheSameWaitsSoARunReplaysExactly() {
        assertThat(waits(Resilience.backoff(Duration.ofMillis(50), 7)))
                .isEqualTo(waits(Resilience.backoff(Duration.ofMillis(50), 7)));
    }

    @Test
    void twoProcessesDoNotRetryInLockstep() {
        long a = Resilience.processSeed();
        long b = Resilience.processSeed();
        assertThat(a).isNotEqualTo(b);
        assertThat(waits(Resilience.backoff(Duration.ofMillis(50), a)))
                .isNotEqualTo(waits(Resilience.backoff(Duration.ofMillis(50), b)));
    }

    @Test
    void everyWaitIsTheExponentialStepWithinHalfOfItEitherWay() {
        List<Long> w = waits(Resilience.backoff(Duration.ofMillis(50), 99));
        for (int i = 0; i < w.size(); i++) {
            long step = 50L << i;
            assertThat(w.get(i)).isBetween(step / 2, step + step / 2);
        }
    }
}
