package io.fli.engine.internal;

import io.fli.engine.CorruptionException;
import java.nio.charset.StandardCharsets;

/**
 * Reads what {@link ByteWriter} wrote. Every length is checked against the bytes that remain, so garbage input
 * gives a {@link CorruptionException} naming the object and offset — never an unbounded allocation.
 */
public final class ByteReader {
    private final byte[] buf;
    private int pos;
    private final int end;
    private final String what;

    public ByteReader(byte[] buf, int off, int end, String what) {
        this.buf = buf;
        this.pos = off;
        this.end = end;
        this.what = what;
    }

    private CorruptionException bad(String msg) {
        return new CorruptionException(what + ": " + msg + " at offset " + pos);
    }

    private void need(long n) {
        if (n < 0 || n > end - pos) {
            throw bad("needs " + n + " bytes but only " + (end - pos) + " remain");
        }
    }

    public int u8() {
        need(1);
        return buf[pos++] & 0xFF;
    }

    public int i32() {
        need(4);
        int v = ((buf[pos] & 0xFF) << 24) | ((buf[pos + 1] & 0xFF) << 16) | ((buf[pos + 2] & 0xFF) << 8)
                | (buf[pos + 3] & 0xFF);
        pos += 4;
        return v;
    }

    public long i64() {
        long hi = i32() & 0xFFFFFFFFL;
        long lo = i32() & 0xFFFFFFFFL;
        return (hi << 32) | lo;
    }

    public long varLong() {
        long v = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            need(1);
            byte b = buf[pos++];
            v |= (long) (b & 0x7F) << shift;
            if (b >= 0) {
                if (v < 0) {
                    throw bad("varint out of range");
                }
                return v;
            }
        }
        throw bad("varint longer than 10 bytes");
    }

    /** A varint that must fit {@code [0, max]}. */
    public int varInt(int max) {
        long v = varLong();
        if (v > max) {
            throw bad("value " + v + " exceeds its bound " + max);
        }
        return (int) v;
    }

    /** A count of items each at least {@code minItemBytes} long: bounded by what remains, so no huge allocation. */
    public int count(int minItemBytes) {
        long v = varLong();
        if (v > (long) (end - pos) / Math.max(1, minItemBytes)) {
            throw bad("count " + v + " cannot fit in the " + (end - pos) + " bytes that remain");
        }
        return (int) v;
    }

    public String string() {
        long n = varLong();
        if (n == 0) {
            return null;
        }
        need(n - 1);
        String s = new String(buf, pos, (int) (n - 1), StandardCharsets.UTF_8);
        pos += (int) (n - 1);
        return s;
    }

    public int position() {
        return pos;
    }

    public void skip(int n) {
        need(n);
        pos += n;
    }

    public byte[] array() {
        return buf;
    }

    public void expectEnd() {
        if (pos != end) {
            throw bad((end - pos) + " unexpected trailing bytes");
        }
    }
}
