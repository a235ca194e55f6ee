package io.fli.checker.internal;

import java.util.Arrays;

/** A growable list of longs. */
final class LongList {
    long[] a = new long[4];
    int n;

    void add(long v) {
        if (n == a.length) {
            a = Arrays.copyOf(a, n * 2);
        }
        a[n++] = v;
    }

    long[] sortedArray() {
        long[] out = Arrays.copyOf(a, n);
        Arrays.sort(out);
        return out;
    }
}
