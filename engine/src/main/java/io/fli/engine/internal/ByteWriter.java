package io.fli.engine.internal;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/** A growable little buffer with varint encoding; the writing half of {@link ByteReader}. */
public final class ByteWriter {
    private byte[] buf;
    private int len;

    public ByteWriter(int initialCapacity) {
        buf = new byte[Math.max(16, initialCapacity)];
    }

    private void ensure(int extra) {
        if (len + extra > buf.length) {
            buf = Arrays.copyOf(buf, Math.max(buf.length * 2, len + extra));
        }
    }

    public ByteWriter u8(int v) {
        ensure(1);
        buf[len++] = (byte) v;
        return this;
    }

    public ByteWriter i32(int v) {
        ensure(4);
        buf[len++] = (byte) (v >>> 24);
        buf[len++] = (byte) (v >>> 16);
        buf[len++] = (byte) (v >>> 8);
        buf[len++] = (byte) v;
        return this;
    }

    public ByteWriter i64(long v) {
        i32((int) (v >>> 32));
        return i32((int) v);
    }

    /** Unsigned LEB128 of a non-negative long. */
    public ByteWriter varLong(long v) {
        if (v < 0) {
            throw new IllegalArgumentException("varLong needs a non-negative value, got " + v);
        }
        if (v < 0x80) {
            ensure(1);
            buf[len++] = (byte) v;
            return this;
        }
        ensure(10);
        while ((v & ~0x7FL) != 0) {
            buf[len++] = (byte) ((v & 0x7F) | 0x80);
            v >>>= 7;
        }
        buf[len++] = (byte) v;
        return this;
    }

    public ByteWriter varInt(int v) {
        return varLong(v);
    }

    public ByteWriter bytes(byte[] b) {
        return bytes(b, 0, b.length);
    }

    public ByteWriter bytes(byte[] b, int off, int n) {
        ensure(n);
        System.arraycopy(b, off, buf, len, n);
        len += n;
        return this;
    }

    /** The chars of an all-ASCII string, one byte each (the caller has checked). */
    @SuppressWarnings("deprecation")
    public ByteWriter ascii(String s) {
        ensure(s.length());
        s.getBytes(0, s.length(), buf, len);
        len += s.length();
        return this;
    }

    /**
     * Writes {@code 2n + 1} and the {@code n} bytes that {@code ascii[from, from + 2n)} spells as lowercase hex
     * digits, if every one of them is one; else writes nothing and returns false.
     */
    boolean packedHex(byte[] ascii, int from, int digits) {
        int n = digits / 2;
        ensure(10 + n);
        int mark = len;
        varLong(2L * n + 1);
        for (int i = 0; i < n; i++) {
            int hi = NIBBLE[ascii[from + 2 * i] & 0xFF];
            int lo = NIBBLE[ascii[from + 2 * i + 1] & 0xFF];
            if ((hi | lo) < 0) {
                len = mark;
                return false;
            }
            buf[len++] = (byte) ((hi << 4) | lo);
        }
        return true;
    }

    /** The value of each lowercase hex digit; -1 for every other byte. */
    private static final int[] NIBBLE = new int[256];

    static {
        Arrays.fill(NIBBLE, -1);
        for (int c = '0'; c <= '9'; c++) {
            NIBBLE[c] = c - '0';
        }
        for (int c = 'a'; c <= 'f'; c++) {
            NIBBLE[c] = c - 'a' + 10;
        }
    }

    /** A length-prefixed UTF-8 string; {@code null} is written as length 0 with a marker bit. */
    public ByteWriter string(String s) {
        if (s == null) {
            return varLong(0);
        }
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        varLong(b.length + 1L);
        return bytes(b);
    }

    public int length() {
        return len;
    }

    /** Copies the written bytes into {@code dst} at {@code at}; returns the offset after them. */
    public int copyTo(byte[] dst, int at) {
        System.arraycopy(buf, 0, dst, at, len);
        return at + len;
    }

    /** Appends what {@code other} holds. */
    public ByteWriter bytes(ByteWriter other) {
        return bytes(other.buf, 0, other.len);
    }

    /** Forgets what was written, keeping the buffer. */
    public void reset() {
        len = 0;
    }

    /** The backing array (valid up to {@link #length()}), for checksums over what was written. */
    byte[] buffer() {
        return buf;
    }

    public byte[] toByteArray() {
        return Arrays.copyOf(buf, len);
    }
}
