package io.fli.engine.internal;

import io.fli.engine.CorruptionException;
import io.fli.engine.Log;
import java.util.Arrays;

/**
 * A log pack: the logs of one publish batch in global log-id order; addresses and topics go through a string
 * dictionary (they repeat), data is stored inline (it rarely does). Version 2 adds each log's transaction hash
 * after its data (inline too: it is shared only by the logs of one transaction); version 1 packs are still read.
 * Decoded once (checksum verified) and then served from memory; {@link #log(long)} is O(1).
 */
public final class Pack {
    /** Format 3 is paged: chunks of {@link #CHUNK} logs, each with its own dictionary. Formats 1 and 2 are read whole. */
    static final int VERSION = 3;
    /** Logs per chunk of a format-3 pack. */
    static final int CHUNK = 128;

    /** The head of a format-3 pack: where each chunk lies. */
    record Head(long firstLogId, int count, int chunk, Paged.Ref[] chunks, int headBytes) {
        static Head read(ByteReader r, long bodyLength, int headBytes, String key) {
            long first = r.varLong();
            int n = r.varInt(Integer.MAX_VALUE);
            int chunk = r.varInt(1 << 20);
            int nc = r.count(6);
            if (chunk < 1 || nc != (n + (long) chunk - 1) / chunk) {
                throw new CorruptionException(key + ": " + nc + " chunks of " + chunk + " cannot hold " + n + " logs");
            }
            Paged.Ref[] refs = new Paged.Ref[nc];
            for (int i = 0; i < nc; i++) {
                refs[i] = Paged.Ref.read(r, bodyLength);
            }
            r.expectEnd();
            return new Head(first, n, chunk, refs, headBytes);
        }

        boolean contains(long logId) {
            return logId >= firstLogId && logId < firstLogId + count;
        }

        int chunkOf(long logId) {
            return (int) ((logId - firstLogId) / chunk);
        }

        /** The decoded chunk {@code i} (read from {@code r}, a verified page). */
        Pack chunk(int i, ByteReader r, String key) {
            Pack p = body(r, firstLogId + (long) i * chunk, true, key);
            int expected = (int) Math.min(chunk, count - (long) i * chunk);
            if (p.count() != expected) {
                throw new CorruptionException(key + ": chunk " + i + " holds " + p.count() + " logs, expected "
                        + expected);
            }
            return p;
        }
    }

    /** Heap bytes a decoded pack holds, roughly (its cache weight). */
    int weight() {
        int w = 64 + block.length * 40;
        for (String d : data) {
            w += d == null ? 0 : d.length() + 40;
        }
        for (String t : txHash) {
            w += t == null ? 0 : t.length() + 40;
        }
        for (String d : dict) {
            w += d.length() + 40;
        }
        return w;
    }

    final long firstLogId;
    private final long[] block;
    private final int[] logIndex;
    private final int[] tx; // tx + 1, 0 = absent
    private final int[] address;
    private final int[] topicStart; // count + 1 entries
    private final int[] topics;
    private final String[] data;
    private final String[] txHash;
    private final String[] dict;

    private Pack(long firstLogId, long[] block, int[] logIndex, int[] tx, int[] address, int[] topicStart,
                 int[] topics, String[] data, String[] txHash, String[] dict) {
        this.firstLogId = firstLogId;
        this.block = block;
        this.logIndex = logIndex;
        this.tx = tx;
        this.address = address;
        this.topicStart = topicStart;
        this.topics = topics;
        this.data = data;
        this.txHash = txHash;
        this.dict = dict;
    }

    public int count() {
        return block.length;
    }

    public boolean contains(long logId) {
        return logId >= firstLogId && logId < firstLogId + block.length;
    }

    public long blockOf(long logId) {
        return block[(int) (logId - firstLogId)];
    }

    public Log log(long logId) {
        int i = (int) (logId - firstLogId);
        int ts = topicStart[i];
        int te = topicStart[i + 1];
        String[] t = new String[te - ts];
        for (int j = ts; j < te; j++) {
            t[j - ts] = dict[topics[j]];
        }
        return new Log(logIndex[i], tx[i] == 0 ? null : tx[i] - 1, txHash[i], dict[address[i]], Arrays.asList(t),
                data[i]);
    }

    /** Decodes a whole pack blob of any format (format 3: every chunk checked and joined). */
    public static Pack decode(byte[] bytes, String key) {
        return decode(bytes, key, true);
    }

    /** As {@link #decode(byte[], String)}; {@code checkPages} is false only in the bug zoo's no-checksum variant. */
    static Pack decode(byte[] bytes, String key, boolean checkPages) {
        Frame.checkKindAndVersion(bytes, Frame.PACK, 1, VERSION, key);
        if (bytes != null && bytes.length >= Frame.HEADER && bytes[3] == Frame.PACK && Frame.version(bytes) == VERSION) {
            int bodyStart = Paged.bodyStart(bytes, key);
            Head h = Head.read(Paged.head(bytes, Frame.PACK, VERSION, key), bytes.length - (long) bodyStart,
                    bodyStart, key);
            java.util.List<Pack> parts = new java.util.ArrayList<>(h.chunks().length);
            for (int i = 0; i < h.chunks().length; i++) {
                Paged.Ref ref = h.chunks()[i];
                parts.add(h.chunk(i, Paged.page(bytes, bodyStart + (int) ref.offset(), ref, checkPages, key), key));
            }
            return concat(h.firstLogId(), parts);
        }
        int version = bytes != null && bytes.length >= Frame.HEADER ? Frame.version(bytes) : VERSION;
        ByteReader r = Frame.open(bytes, Frame.PACK, 2, key);
        return body(r, r.varLong(), version >= 2, key);
    }

    /** The part of formats 1 and 2 after the first log id, which is also a format-3 chunk. */
    private static Pack body(ByteReader r, long firstLogId, boolean txHashes, String key) {
        int n = r.count(6);
        int d = r.count(1);
        String[] dict = new String[d];
        for (int i = 0; i < d; i++) {
            dict[i] = r.string();
        }
        long[] block = new long[n];
        int[] logIndex = new int[n];
        int[] tx = new int[n];
        int[] address = new int[n];
        int[] topicStart = new int[n + 1];
        String[] data = new String[n];
        String[] txHash = new String[n];
        int[] topics = new int[n * 4];
        int tp = 0;
        long prev = r.varLong();
        for (int i = 0; i < n; i++) {
            prev += r.varLong();
            block[i] = prev;
            logIndex[i] = r.varInt(Integer.MAX_VALUE);
            tx[i] = r.varInt(Integer.MAX_VALUE);
            address[i] = r.varInt(d - 1);
            int nt = r.varInt(4);
            topicStart[i] = tp;
            for (int j = 0; j < nt; j++) {
                topics[tp++] = r.varInt(d - 1);
            }
            data[i] = r.string();
            if (txHashes) {
                txHash[i] = r.string();
            }
        }
        topicStart[n] = tp;
        r.expectEnd();
        return new Pack(firstLogId, block, logIndex, tx, address, topicStart, topics, data, txHash, dict);
    }

    /** Consecutive chunks as one pack (their dictionaries appended). */
    private static Pack concat(long firstLogId, java.util.List<Pack> parts) {
        if (parts.size() == 1) {
            return parts.get(0);
        }
        int n = 0;
        int nt = 0;
        int nd = 0;
        for (Pack p : parts) {
            n += p.count();
            nt += p.topicStart[p.count()];
            nd += p.dict.length;
        }
        long[] block = new long[n];
        int[] logIndex = new int[n];
        int[] tx = new int[n];
        int[] address = new int[n];
        int[] topicStart = new int[n + 1];
        int[] topics = new int[nt];
        String[] data = new String[n];
        String[] txHash = new String[n];
        String[] dict = new String[nd];
        int at = 0;
        int tp = 0;
        int dp = 0;
        for (Pack p : parts) {
            int c = p.count();
            System.arraycopy(p.block, 0, block, at, c);
            System.arraycopy(p.logIndex, 0, logIndex, at, c);
            System.arraycopy(p.tx, 0, tx, at, c);
            System.arraycopy(p.data, 0, data, at, c);
            System.arraycopy(p.txHash, 0, txHash, at, c);
            System.arraycopy(p.dict, 0, dict, dp, p.dict.length);
            for (int i = 0; i < c; i++) {
                address[at + i] = p.address[i] + dp;
                topicStart[at + i] = p.topicStart[i] + tp;
            }
            for (int k = 0; k < p.topicStart[c]; k++) {
                topics[tp + k] = p.topics[k] + dp;
            }
            at += c;
            tp += p.topicStart[c];
            dp += p.dict.length;
        }
        topicStart[n] = tp;
        return new Pack(firstLogId, block, logIndex, tx, address, topicStart, topics, data, txHash, dict);
    }
}
