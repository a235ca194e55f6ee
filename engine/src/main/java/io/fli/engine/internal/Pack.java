package io.fli.engine.internal;

import io.fli.engine.Log;
import java.util.Arrays;

/**
 * A log pack: the logs of one publish batch in global log-id order; addresses and topics go through a string
 * dictionary (they repeat), data is stored inline (it rarely does). Version 2 adds each log's transaction hash
 * after its data (inline too: it is shared only by the logs of one transaction); version 1 packs are still read.
 * Decoded once (checksum verified) and then served from memory; {@link #log(long)} is O(1).
 */
public final class Pack {
    static final int VERSION = 2;

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

    public static Pack decode(byte[] bytes, String key) {
        int version = bytes != null && bytes.length >= Frame.HEADER ? Frame.version(bytes) : VERSION;
        ByteReader r = Frame.open(bytes, Frame.PACK, VERSION, key);
        long firstLogId = r.varLong();
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
            if (version >= 2) {
                txHash[i] = r.string();
            }
        }
        topicStart[n] = tp;
        r.expectEnd();
        return new Pack(firstLogId, block, logIndex, tx, address, topicStart, topics, data, txHash, dict);
    }
}
