package io.fli.engine.internal;

import java.nio.charset.StandardCharsets;

/**
 * The string encoding of pack format 4: EVM values travel as lowercase {@code 0x}-hex text, which this stores as
 * the bytes it spells (half the size), and anything else as UTF-8. A varint tag leads: {@code 0} is null, an odd tag
 * {@code 2n + 1} is {@code 0x} followed by {@code n} bytes (lowercase hex, so the text round-trips exactly), an even
 * tag {@code 2n + 2} is {@code n} bytes of UTF-8.
 */
final class HexText {
    private static final byte[] DIGITS = "0123456789abcdef".getBytes(StandardCharsets.ISO_8859_1);

    private HexText() {
    }

    /** Whether {@code s} is {@code 0x} and an even number of lowercase hex digits. */
    static boolean compactable(CharSequence s) {
        int len = s.length();
        if (len < 2 || (len & 1) != 0 || s.charAt(0) != '0' || s.charAt(1) != 'x') {
            return false;
        }
        for (int i = 2; i < len; i++) {
            char c = s.charAt(i);
            if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
                return false;
            }
        }
        return true;
    }

    /** Room for the chars of short strings (hex values are 2 + 64 chars), one per thread. */
    private static final ThreadLocal<byte[]> SCRATCH = ThreadLocal.withInitial(() -> new byte[256]);

    @SuppressWarnings("deprecation")
    static void write(ByteWriter w, String s) {
        if (s == null) {
            w.varLong(0);
            return;
        }
        int len = s.length();
        if (len >= 2 && (len & 1) == 0 && len <= 256 && s.charAt(0) == '0' && s.charAt(1) == 'x') {
            byte[] chars = SCRATCH.get();
            s.getBytes(2, len, chars, 0); // the low byte of each char: any non-ASCII char fails the digit check
            if (allAscii(s, len) && w.packedHex(chars, 0, len - 2)) {
                return;
            }
        }
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        w.varLong(2L * b.length + 2).bytes(b);
    }

    /** Whether every char is below 0x80 (so its low byte, checked as a digit, is the char itself). */
    private static boolean allAscii(String s, int len) {
        for (int i = 2; i < len; i++) {
            if (s.charAt(i) >= 0x80) {
                return false;
            }
        }
        return true;
    }

    /** {@link #write} for a string given as its UTF-8 bytes. */
    static void write(ByteWriter w, byte[] utf8) {
        int len = utf8.length;
        if (len >= 2 && (len & 1) == 0 && utf8[0] == '0' && utf8[1] == 'x' && w.packedHex(utf8, 2, len - 2)) {
            return;
        }
        w.varLong(2L * utf8.length + 2).bytes(utf8);
    }

    /** Checks the bounds of the string at the reader's position and skips it. */
    static void skip(ByteReader r) {
        skip(r, true);
    }

    /** {@link #skip(ByteReader)} in this encoding ({@code hex}) or in the one of pack formats 1 to 3. */
    static void skip(ByteReader r, boolean hex) {
        long tag = r.varLong();
        if (tag > 0) {
            long n = hex ? (tag - 1) / 2 : tag - 1;
            r.skip((int) Math.min(n, Integer.MAX_VALUE));
        }
    }

    /** The string whose tag starts at {@code at} in {@code buf}, whose bounds {@link #skip} has checked. */
    static String read(byte[] buf, int at) {
        return read(buf, at, true);
    }

    /**
     * The string at {@code at}: in this encoding ({@code hex}), or in the one of pack formats 1 to 3 (a varint of
     * length + 1, 0 = null, then UTF-8). Its bounds were checked when the pack was read.
     */
    static String read(byte[] buf, int at, boolean hex) {
        long tag = 0;
        int p = at;
        for (int shift = 0; ; shift += 7) {
            byte b = buf[p++];
            tag |= (long) (b & 0x7F) << shift;
            if (b >= 0) {
                break;
            }
        }
        if (!hex) {
            return tag == 0 ? null : new String(buf, p, (int) (tag - 1), StandardCharsets.UTF_8);
        }
        if (tag == 0) {
            return null;
        }
        int n = (int) ((tag - 1) / 2);
        if ((tag & 1) == 0) {
            return new String(buf, p, n, StandardCharsets.UTF_8);
        }
        byte[] text = new byte[2 + 2 * n];
        text[0] = '0';
        text[1] = 'x';
        for (int i = 0; i < n; i++) {
            int v = buf[p + i] & 0xFF;
            text[2 + 2 * i] = DIGITS[v >>> 4];
            text[3 + 2 * i] = DIGITS[v & 0xF];
        }
        return new String(text, StandardCharsets.ISO_8859_1);
    }
}
