package io.fli.workloads;

import java.util.SplittableRandom;

/**
 * A Zipf distribution over ranks {@code 0..n-1}: rank {@code k} has weight {@code 1/(k+1)^s}. Sampling is a binary
 * search of a precomputed CDF, O(log n), and draws from the caller's random source so runs replay from a seed.
 */
public final class Zipf {
    private final double[] cdf;

    /**
     * @param n number of ranks, {@code >= 1}
     * @param s exponent, {@code >= 0} (0 is uniform; ~1 is typical of address and topic popularity)
     */
    public Zipf(int n, double s) {
        if (n < 1 || s < 0) {
            throw new IllegalArgumentException("Zipf needs n >= 1 and s >= 0, got n=" + n + " s=" + s);
        }
        cdf = new double[n];
        double sum = 0;
        for (int k = 0; k < n; k++) {
            sum += 1.0 / Math.pow(k + 1, s);
            cdf[k] = sum;
        }
        for (int k = 0; k < n; k++) {
            cdf[k] /= sum;
        }
    }

    public int size() {
        return cdf.length;
    }

    public int sample(SplittableRandom r) {
        double u = r.nextDouble();
        int lo = 0;
        int hi = cdf.length - 1;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (cdf[mid] < u) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        return lo;
    }
}
