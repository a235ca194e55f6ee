package io.fli.engine.internal;

import io.fli.engine.Block;
import io.fli.engine.Log;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A log pack: the logs of one publish batch in global log-id order, stored column-wise over a string dictionary.
 * Decoded once (checksum verified) and then served from memory; {@link #log(long)} is O(1).
 */
public final class Pack {
    static final int VERSION = 1;

    final long firstLogId;
    private final long[] block;
    private final int[] logIndex;
    private final int[] tx; // tx + 1, 0 = absent
    private final int[] address;
    private final int[] topicStart; // count + 1 entries
    private final int[] topics;
    private final int[] data; // dict id + 1, 0 = absent
    private final String[] dict;

    private Pack(long firstLogId, long[] block, int[] logIndex, int[] tx, int[] address, int[] topicStart,
                 int[] topics, int[] data, String[] dict) {
        this.firstLogId = firstLogId;
        this.block = block;
        this.logIndex = logIndex;
        this.tx = tx;
        this.address = address;
        this.topicStart = topicStart;
        this.topics = topics;
        this.data = data;
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
        return new Log(logIndex[i], tx[i] == 0 ? null : tx[i] - 1, dict[address[i]], Arrays.asList(t),
                data[i] == 0 ? null : dict[data[i] - 1]);
    }

    /** Encodes the logs of {@code blocks} (each block's logs already in log-index order). */
    public static byte[] encode(long firstLogId, List<Block> blocks) {
        Map<String, Integer> ids = new HashMap<>();
        List<String> dict = new ArrayList<>();
        int n = 0;
        for (Block b : blocks) {
            n += b.logs().size();
        }
        ByteWriter body = new ByteWriter(n * 16 + 64);
        long prevBlock = blocks.isEmpty() ? 0 : blocks.get(0).number();
        body.varLong(prevBlock);
        for (Block b : blocks) {
            for (Log l : b.logs()) {
                body.varLong(b.number() - prevBlock);
                prevBlock = b.number();
                body.varInt(l.index()).varInt(l.tx() == null ? 0 : l.tx() + 1);
                body.varInt(intern(ids, dict, l.address()));
                body.varInt(l.topics().size());
                for (String t : l.topics()) {
                    body.varInt(intern(ids, dict, t));
                }
                body.varInt(l.data() == null ? 0 : intern(ids, dict, l.data()) + 1);
            }
        }
        ByteWriter w = new ByteWriter(body.length() + dict.size() * 40 + 32);
        w.varLong(firstLogId).varInt(n).varInt(dict.size());
        for (String s : dict) {
            w.string(s);
        }
        w.bytes(body.toByteArray());
        return Frame.wrap(Frame.PACK, VERSION, w);
    }

    private static int intern(Map<String, Integer> ids, List<String> dict, String s) {
        Integer id = ids.get(s);
        if (id == null) {
            id = dict.size();
            ids.put(s, id);
            dict.add(s);
        }
        return id;
    }

    public static Pack decode(byte[] bytes, String key) {
        ByteReader r = Frame.open(bytes, Frame.PACK, VERSION, key);
        long firstLogId = r.varLong();
        int n = r.count(5);
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
        int[] data = new int[n];
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
            data[i] = r.varInt(d);
        }
        topicStart[n] = tp;
        r.expectEnd();
        return new Pack(firstLogId, block, logIndex, tx, address, topicStart, topics, data, dict);
    }
}
