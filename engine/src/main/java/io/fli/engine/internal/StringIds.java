package io.fli.engine.internal;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Dense ids for the distinct strings of a batch: an open-addressing table without boxing. Ingest spends most of its
 * time mapping addresses and topics to streams; doing it once per value, for the pack and the segment together,
 * halves that work.
 */
final class StringIds {
    private String[] keys;
    private int[] vals;
    private int mask;
    private String[] byId;
    private int size;

    StringIds(int expected) {
        int cap = Integer.highestOneBit(Math.max(16, expected * 2 - 1)) << 1;
        keys = new String[cap];
        vals = new int[cap];
        mask = cap - 1;
        byId = new String[Math.max(16, expected)];
    }

    private static int spread(int h) {
        return (h ^ (h >>> 16)) * 0x9E3779B1;
    }

    int id(String s) {
        int i = spread(s.hashCode()) & mask;
        while (true) {
            String k = keys[i];
            if (k == null) {
                break;
            }
            if (k == s || k.equals(s)) {
                return vals[i];
            }
            i = (i + 1) & mask;
        }
        keys[i] = s;
        vals[i] = size;
        if (size == byId.length) {
            byId = Arrays.copyOf(byId, size * 2);
        }
        byId[size] = s;
        size++;
        if (size * 2 > keys.length) {
            grow();
        }
        return size - 1;
    }

    private void grow() {
        String[] oldKeys = keys;
        int[] oldVals = vals;
        keys = new String[oldKeys.length * 2];
        vals = new int[oldKeys.length * 2];
        mask = keys.length - 1;
        for (int j = 0; j < oldKeys.length; j++) {
            if (oldKeys[j] != null) {
                int i = spread(oldKeys[j].hashCode()) & mask;
                while (keys[i] != null) {
                    i = (i + 1) & mask;
                }
                keys[i] = oldKeys[j];
                vals[i] = oldVals[j];
            }
        }
    }

    int size() {
        return size;
    }

    String get(int id) {
        return byId[id];
    }

    byte[][] utf8() {
        byte[][] out = new byte[size][];
        for (int i = 0; i < size; i++) {
            out[i] = byId[i].getBytes(StandardCharsets.UTF_8);
        }
        return out;
    }
}
