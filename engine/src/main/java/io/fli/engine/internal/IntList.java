package io.fli.engine.internal;

import java.util.Arrays;

/** A growable list of ints, for posting lists built in increasing id order. */
final class IntList {
    int[] a = new int[2];
    int n;

    void add(int v) {
        if (n == a.length) {
            a = Arrays.copyOf(a, n * 2);
        }
        a[n++] = v;
    }

    int[] toArray() {
        return Arrays.copyOf(a, n);
    }
}
