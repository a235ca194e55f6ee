package io.fli.workloads;

import java.util.SplittableRandom;

/**
 * A Zipf distribution over ranks {@code 0..n-1}: rank {@code k} has weight {@code 1/(k+1)^s}. Sampling finds the
 * smallest rank whose cumulative weight reaches a uniform draw from the caller's random source (so runs replay from a
 * seed): a guide table of {@code n / 2} buckets narrows the search to the few ranks of the draw's bucket, so a sample
 * touches two or three cache lines instead of a binary search's twenty-odd over the whole CDF (the generator of a
 * 50M-log chain draws three samples per log). The rank drawn is exactly the binary search's.
 */
public final class Zipf {
    private final double[] cdf;
    /** {@code guide[j]}: the smallest rank whose cumulative weight reaches {@code j / buckets}. */
    private final int[] guide;

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
        int buckets = Math.max(1, n / 2);
        guide = new int[buckets + 1];
        int k = 0;
        for (int j = 0; j <= buckets; j++) {
            double u = j / (double) buckets;
            while (k < n - 1 && cdf[k] < u) {
                k++;
            }
            guide[j] = k;
        }
    }

    public int size() {
        return cdf.length;
    }

    public int sample(SplittableRandom r) {
        return rankOf(r.nextDouble());
    }

    /** The smallest rank whose cumulative weight is at least {@code u} (the last rank if none). */
    int rankOf(double u) {
        int buckets = guide.length - 1;
        int j = (int) (u * buckets);
        // Rounding of u * buckets can put u an ulp outside bucket j: moved by comparing with the bucket's bounds as the
        // constructor computed them, so the answer lies between guide[j] and guide[j + 1] without reading the CDF
        // to check (a draw among the popular ranks, most draws, finds both the same and reads nothing else: a
        // CDF read is a cache miss when the tables are MBs).
        if (j > 0 && u < j / (double) buckets) {
            j--;
        }
        if (j >= buckets) {
            j = buckets - 1;
        } else if (j < buckets - 1 && u >= (j + 1) / (double) buckets) {
            j++;
        }
        return search(u, guide[j], guide[j + 1]);
    }

    /** The same rank by a binary search of the whole CDF: the reference {@link #rankOf} is tested against. */
    int rankByBinarySearch(double u) {
        return search(u, 0, cdf.length - 1);
    }

    /** The smallest rank in {@code lo..hi} whose cumulative weight is at least {@code u} ({@code hi} if none). */
    private int search(double u, int lo, int hi) {
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
