package io.fli.engine.internal;

import io.fli.engine.CorruptionException;
import io.fli.engine.Log;
import java.util.Arrays;
import java.util.List;

/**
 * A log pack: the logs of one publish batch in global log-id order; addresses and topics go through a string
 * dictionary (they repeat), data is stored inline (it rarely does). Version 2 adds each log's transaction hash
 * after its data (inline too: it is shared only by the logs of one transaction); version 1 packs are still read.
 * Read once (checksum verified, every bound checked) and then served from memory; {@link #log(long)} is O(1) and
 * decodes only that log's strings.
 */
public final class Pack {
    /**
     * Format 3 is paged: chunks of {@link #CHUNK} logs, each with its own dictionary. Format 4 stores hex text as the
     * bytes it spells ({@link HexText}). Formats 1 and 2 are read whole.
     */
    static final int VERSION = 4;
    /** The first paged format. */
    static final int FIRST_PAGED = 3;
    /** Logs per chunk of a format-3 pack. */
    static final int CHUNK = 128;

    /** The head of a format-3 pack: where each chunk lies. */
    record Head(long firstLogId, int count, int chunk, Paged.Ref[] chunks, int headBytes, int version) {
        static Head read(ByteReader r, long bodyLength, int headBytes, int version, String key) {
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
            return new Head(first, n, chunk, refs, headBytes, version);
        }

        boolean contains(long logId) {
            return logId >= firstLogId && logId < firstLogId + count;
        }

        int chunkOf(long logId) {
            return (int) ((logId - firstLogId) / chunk);
        }

        /** The decoded chunk {@code i} (read from {@code r}, a verified page). */
        Pack chunk(int i, ByteReader r, String key) {
            Pack p = body(r, firstLogId + (long) i * chunk, true, version >= 4, key);
            int expected = (int) Math.min(chunk, count - (long) i * chunk);
            if (p.count() != expected) {
                throw new CorruptionException(key + ": chunk " + i + " holds " + p.count() + " logs, expected "
                        + expected);
            }
            return p;
        }
    }

    /**
     * The cache weight of a chunk not decoded yet, from its page's size: the page itself and about half as much again
     * for the per-log arrays {@link #weight} counts once it is decoded.
     */
    static int chunkWeight(int pageBytes) {
        return 128 + pageBytes + pageBytes / 2;
    }

    /** Heap bytes a decoded pack holds, roughly (its cache weight): the page it reads strings from and its arrays. */
    int weight() {
        if (parts != null) {
            int w = 64;
            for (Pack p : parts) {
                w += p.weight();
            }
            return w;
        }
        return 128 + span + block.length * 36 + topics.length * 4 + dictAt.length * 12;
    }

    final long firstLogId;
    private final int count;
    /** Consecutive chunks joined by {@link #concat}, or null: this pack holds its logs itself. */
    private final Pack[] parts;
    private final long[] block;
    private final int[] logIndex;
    private final int[] tx; // tx + 1, 0 = absent
    private final int[] address;
    private final int[] topicStart; // count + 1 entries
    private final int[] topics;
    /**
     * The verified bytes the strings are read from, lazily: a query that needs one log of a chunk decodes that log's
     * strings only. Every string's bounds were checked when the pack was read, so a later read cannot fail.
     */
    private final byte[] buf;
    private final int[] dataAt; // offset of each log's data (its length varint)
    private final int[] txHashAt; // -1: no transaction hash (format 1)
    private final int[] dictAt;
    private final String[] dict; // decoded on first use
    private final int span; // the bytes of buf this pack reads
    private final boolean hex; // strings in the format-4 encoding (HexText)

    private Pack(long firstLogId, long[] block, int[] logIndex, int[] tx, int[] address, int[] topicStart,
                 int[] topics, byte[] buf, int span, boolean hex, int[] dataAt, int[] txHashAt, int[] dictAt) {
        this.firstLogId = firstLogId;
        this.hex = hex;
        this.span = span;
        this.count = block.length;
        this.parts = null;
        this.block = block;
        this.logIndex = logIndex;
        this.tx = tx;
        this.address = address;
        this.topicStart = topicStart;
        this.topics = topics;
        this.buf = buf;
        this.dataAt = dataAt;
        this.txHashAt = txHashAt;
        this.dictAt = dictAt;
        this.dict = new String[dictAt.length];
    }

    private Pack(long firstLogId, Pack[] parts) {
        this.firstLogId = firstLogId;
        int n = 0;
        for (Pack p : parts) {
            n += p.count;
        }
        this.count = n;
        this.parts = parts;
        this.span = 0;
        this.hex = false;
        this.block = null;
        this.logIndex = null;
        this.tx = null;
        this.address = null;
        this.topicStart = null;
        this.topics = null;
        this.buf = null;
        this.dataAt = null;
        this.txHashAt = null;
        this.dictAt = null;
        this.dict = null;
    }

    public int count() {
        return count;
    }

    public boolean contains(long logId) {
        return logId >= firstLogId && logId < firstLogId + count;
    }

    public long blockOf(long logId) {
        if (parts != null) {
            return part(logId).blockOf(logId);
        }
        return block[(int) (logId - firstLogId)];
    }

    private Pack part(long logId) {
        return parts[(int) ((logId - firstLogId) / parts[0].count)];
    }

    public Log log(long logId) {
        if (parts != null) {
            return part(logId).log(logId);
        }
        int i = (int) (logId - firstLogId);
        int ts = topicStart[i];
        List<String> t = switch (topicStart[i + 1] - ts) { // no varargs array to copy
            case 0 -> List.of();
            case 1 -> List.of(dict(topics[ts]));
            case 2 -> List.of(dict(topics[ts]), dict(topics[ts + 1]));
            case 3 -> List.of(dict(topics[ts]), dict(topics[ts + 1]), dict(topics[ts + 2]));
            default -> List.of(dict(topics[ts]), dict(topics[ts + 1]), dict(topics[ts + 2]), dict(topics[ts + 3]));
        };
        return new Log(logIndex[i], tx[i] == 0 ? null : tx[i] - 1, txHashAt[i] < 0 ? null : string(txHashAt[i]),
                dict(address[i]), t, string(dataAt[i]));
    }

    private String dict(int d) {
        String s = dict[d];
        if (s == null) {
            s = string(dictAt[d]);
            dict[d] = s; // a benign race: every thread decodes the same immutable string
        }
        return s;
    }

    /** The string whose length varint (length + 1; 0 = null) starts at {@code at}; its bounds were checked. */
    private String string(int at) {
        return HexText.read(buf, at, hex);
    }

    /** Decodes a whole pack blob of any format (format 3: every chunk checked and joined). */
    public static Pack decode(byte[] bytes, String key) {
        return decode(bytes, key, true);
    }

    /** As {@link #decode(byte[], String)}; {@code checkPages} is false only in the bug zoo's no-checksum variant. */
    static Pack decode(byte[] bytes, String key, boolean checkPages) {
        Frame.checkKindAndVersion(bytes, Frame.PACK, 1, VERSION, key);
        if (Frame.isPaged(bytes)) {
            int bodyStart = Paged.bodyStart(bytes, key);
            int version = Frame.version(bytes);
            Head h = Head.read(Paged.head(bytes, Frame.PACK, version, key), bytes.length - (long) bodyStart,
                    bodyStart, version, key);
            java.util.List<Pack> parts = new java.util.ArrayList<>(h.chunks().length);
            for (int i = 0; i < h.chunks().length; i++) {
                Paged.Ref ref = h.chunks()[i];
                parts.add(h.chunk(i, Paged.page(bytes, bodyStart + (int) ref.offset(), ref, checkPages, key), key));
            }
            return concat(h.firstLogId(), parts);
        }
        int version = bytes != null && bytes.length >= Frame.HEADER ? Frame.version(bytes) : VERSION;
        ByteReader r = Frame.open(bytes, Frame.PACK, 2, key);
        return body(r, r.varLong(), version >= 2, false, key);
    }

    /**
     * The part of formats 1 and 2 after the first log id, which is also a format-3 chunk. Strings are not decoded
     * here: their bounds are checked and their offsets kept (see {@link #buf}).
     */
    private static Pack body(ByteReader r, long firstLogId, boolean txHashes, boolean hex, String key) {
        int start = r.position();
        int n = r.count(6);
        int d = r.count(1);
        int[] dictAt = new int[d];
        for (int i = 0; i < d; i++) {
            dictAt[i] = skipString(r, hex);
        }
        long[] block = new long[n];
        int[] logIndex = new int[n];
        int[] tx = new int[n];
        int[] address = new int[n];
        int[] topicStart = new int[n + 1];
        int[] dataAt = new int[n];
        int[] txHashAt = new int[n];
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
            dataAt[i] = skipString(r, hex);
            txHashAt[i] = txHashes ? skipString(r, hex) : -1;
        }
        topicStart[n] = tp;
        r.expectEnd();
        return new Pack(firstLogId, block, logIndex, tx, address, topicStart, Arrays.copyOf(topics, tp), r.array(),
                r.position() - start, hex, dataAt, txHashAt, dictAt);
    }

    /** Checks the bounds of the string at the reader's position, skips it and returns where it started. */
    private static int skipString(ByteReader r, boolean hex) {
        int at = r.position();
        HexText.skip(r, hex);
        return at;
    }

    /** Consecutive chunks as one pack (each keeps its own dictionary and bytes). */
    private static Pack concat(long firstLogId, java.util.List<Pack> parts) {
        if (parts.size() == 1) {
            return parts.get(0);
        }
        return new Pack(firstLogId, parts.toArray(new Pack[0]));
    }
}
