package io.fli.checker;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.List;

/**
 * The content fingerprint of a log, for compact query answers ({@code logRefs}, {@code docs/history-format.md}):
 * the first 8 bytes of SHA-256, as 16 lowercase hex digits, over an unambiguous encoding of the log's address,
 * topics, data, transaction index, transaction hash and block hash.
 *
 * <p>The encoding: for each of {@code address}, every topic, {@code data}, {@code tx}, {@code txHash} and
 * {@code blockHash} in that order, {@code -} when the field is absent (null), otherwise the length of its UTF-8 bytes
 * in decimal, {@code :}, and the bytes; the topics are preceded by their count in decimal and {@code ;}; {@code tx}
 * is written in decimal. For example address {@code 0xab}, topics {@code [0x01]}, no data, tx 3, no txHash and block
 * hash {@code 0x9f} encode as {@code 4:0xab1;4:0x01-1:3-4:0x9f}.
 */
public final class Fingerprint {
    private static final char[] HEX = "0123456789abcdef".toCharArray();
    private static final ThreadLocal<MessageDigest> SHA = ThreadLocal.withInitial(() -> {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every Java platform", e);
        }
    });

    private Fingerprint() {
    }

    /** The fingerprint of a log with these fields (any of {@code data}, {@code tx}, {@code txHash} may be null). */
    public static String of(String address, List<String> topics, String data, Long tx, String txHash,
                            String blockHash) {
        StringBuilder s = new StringBuilder(64 + 70 * topics.size());
        field(s, address);
        s.append(topics.size()).append(';');
        for (String t : topics) {
            field(s, t);
        }
        field(s, data);
        field(s, tx == null ? null : Long.toString(tx));
        field(s, txHash);
        field(s, blockHash);
        byte[] d = SHA.get().digest(s.toString().getBytes(StandardCharsets.UTF_8));
        char[] out = new char[16];
        for (int i = 0; i < 8; i++) {
            out[2 * i] = HEX[(d[i] >> 4) & 0xf];
            out[2 * i + 1] = HEX[d[i] & 0xf];
        }
        return new String(out);
    }

    /** The encoding of one field (exposed for the format document's example and its test). */
    static void field(StringBuilder s, String v) {
        if (v == null) {
            s.append('-');
        } else {
            s.append(v.getBytes(StandardCharsets.UTF_8).length).append(':').append(v);
        }
    }

    /** Whether {@code s} has the form of a fingerprint: 16 lowercase hex digits. */
    public static boolean wellFormed(String s) {
        if (s == null || s.length() != 16) {
            return false;
        }
        for (int i = 0; i < 16; i++) {
            char c = s.charAt(i);
            if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
                return false;
            }
        }
        return true;
    }
}
