package io.fli.engine.internal;

import io.fli.engine.Block;
import io.fli.engine.Log;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * Encodes one publish batch into its log pack and its tier-0 index segment in a single pass over the logs: every
 * address and topic is mapped to a batch-dense id once, then the pack is written from the ids and the posting lists
 * are laid out by a counting sort over (position, id) — no per-stream objects.
 */
public final class BatchEncoder {
    /** The two blobs of a batch. */
    public record Encoded(byte[] pack, byte[] segment, long logs) {
    }

    private BatchEncoder() {
    }

    /** The batch's pack and segment in the newest formats. */
    public static Encoded encode(long firstLogId, List<Block> blocks, String packKey) {
        return encode(firstLogId, blocks, packKey, Pack.VERSION, SegmentWriter.VERSION);
    }

    /** As {@link #encode(long, List, String)} with the segment in format {@code segmentVersion} (2 to 5). */
    public static Encoded encode(long firstLogId, List<Block> blocks, String packKey, int segmentVersion) {
        return encode(firstLogId, blocks, packKey, Pack.VERSION, segmentVersion);
    }

    /** As {@link #encode(long, List, String)} with the pack in format {@code packVersion} (3 or 4; tests read 3). */
    static Encoded encode(long firstLogId, List<Block> blocks, String packKey, int packVersion, int segmentVersion) {
        if (packVersion < Pack.FIRST_PAGED || packVersion > Pack.VERSION) {
            throw new IllegalArgumentException("pack format " + packVersion + " is not written");
        }
        int n = 0;
        for (Block b : blocks) {
            n += b.logs().size();
        }
        StringIds ids = new StringIds(Math.max(16, n));
        int[] address = new int[n];
        int[] topicStart = new int[n + 1];
        int[] topic = new int[n * 4];
        int tp = 0;
        int i = 0;
        for (Block b : blocks) {
            for (Log l : b.logs()) {
                address[i] = ids.id(l.address());
                topicStart[i] = tp;
                List<String> t = l.topics();
                for (int k = 0; k < t.size(); k++) {
                    topic[tp++] = ids.id(t.get(k));
                }
                i++;
            }
        }
        topicStart[n] = tp;
        byte[][] utf8 = ids.utf8();
        int logs = n;
        // The pack and the segment are independent once the ids exist: write them on both cores.
        CompletableFuture<byte[]> pack = CompletableFuture.supplyAsync(
                () -> pack(firstLogId, blocks, logs, address, topicStart, topic, utf8, packVersion));
        int[] hash = new int[utf8.length];
        for (int id = 0; id < hash.length; id++) {
            hash[id] = IndexSegment.hash(ids.get(id));
        }
        byte[] segment = segment(firstLogId, blocks, n, address, topicStart, topic, utf8, hash, packKey,
                segmentVersion);
        try {
            return new Encoded(pack.join(), segment, n);
        } catch (CompletionException e) {
            throw e.getCause() instanceof RuntimeException re ? re : e;
        }
    }

    /**
     * The pack in format 4 (or 3): the logs in chunks of {@link Pack#CHUNK} (by log id), each a page with a
     * dictionary of its own, so a query that needs one log fetches and decodes one chunk. Format 4 writes strings
     * with {@link HexText}, format 3 as UTF-8.
     */
    private static byte[] pack(long firstLogId, List<Block> blocks, int n, int[] address, int[] topicStart,
                               int[] topic, byte[][] dict, int version) {
        boolean hex = version >= 4;
        long[] blockOf = new long[n];
        Log[] logOf = new Log[n];
        int i = 0;
        for (Block b : blocks) {
            for (Log l : b.logs()) {
                blockOf[i] = b.number();
                logOf[i++] = l;
            }
        }
        int chunks = (n + Pack.CHUNK - 1) / Pack.CHUNK;
        ByteWriter head = new ByteWriter(32 + chunks * 12);
        head.varLong(firstLogId).varInt(n).varInt(Pack.CHUNK).varInt(chunks);
        Paged.Body body = new Paged.Body(n * 100 + 64);
        int[] local = new int[dict.length];
        java.util.Arrays.fill(local, -1);
        int[] used = new int[Math.min(dict.length, Pack.CHUNK * 5)];
        ByteWriter w = new ByteWriter(Pack.CHUNK * 120);
        for (int c = 0; c < chunks; c++) {
            int from = c * Pack.CHUNK;
            int to = Math.min(n, from + Pack.CHUNK);
            int d = 0;
            for (int j = from; j < to; j++) {
                if (local[address[j]] < 0) {
                    local[address[j]] = d;
                    used[d++] = address[j];
                }
                for (int k = topicStart[j]; k < topicStart[j + 1]; k++) {
                    if (local[topic[k]] < 0) {
                        local[topic[k]] = d;
                        used[d++] = topic[k];
                    }
                }
            }
            w.reset();
            w.varInt(to - from).varInt(d);
            for (int k = 0; k < d; k++) {
                if (hex) {
                    HexText.write(w, dict[used[k]]);
                } else {
                    w.varLong(dict[used[k]].length + 1L).bytes(dict[used[k]]);
                }
            }
            long prevBlock = blockOf[from];
            w.varLong(prevBlock);
            for (int j = from; j < to; j++) {
                Log l = logOf[j];
                w.varLong(blockOf[j] - prevBlock);
                prevBlock = blockOf[j];
                w.varInt(l.index()).varInt(l.tx() == null ? 0 : l.tx() + 1).varInt(local[address[j]]);
                w.varInt(topicStart[j + 1] - topicStart[j]);
                for (int k = topicStart[j]; k < topicStart[j + 1]; k++) {
                    w.varInt(local[topic[k]]);
                }
                if (hex) {
                    HexText.write(w, l.data());
                    HexText.write(w, l.txHash());
                } else {
                    writeString(w, l.data());
                    writeString(w, l.txHash());
                }
            }
            for (int k = 0; k < d; k++) {
                local[used[k]] = -1;
            }
            body.add(w).write(head);
        }
        return Paged.frame(Frame.PACK, version, head, body);
    }

    /** Format 3's strings: {@link ByteWriter#string} without the per-string allocation for ASCII. */
    private static void writeString(ByteWriter w, String s) {
        if (s == null) {
            w.varLong(0);
            return;
        }
        int len = s.length();
        for (int i = 0; i < len; i++) {
            if (s.charAt(i) >= 0x80) {
                w.string(s);
                return;
            }
        }
        w.varLong(len + 1L).ascii(s);
    }

    private static byte[] segment(long firstLogId, List<Block> blocks, int n, int[] address, int[] topicStart,
                                  int[] topic, byte[][] dict, int[] hash, String packKey, int segmentVersion) {
        int d = dict.length;
        int positions = IndexSegment.POSITIONS;
        // Counting sort of (position, id) -> local log ids, ascending by construction.
        int[] count = new int[positions * d];
        for (int i = 0; i < n; i++) {
            count[address[i]]++;
            for (int k = topicStart[i]; k < topicStart[i + 1]; k++) {
                count[(k - topicStart[i] + 1) * d + topic[k]]++;
            }
        }
        int[] start = new int[positions * d + 1];
        for (int s = 0; s < count.length; s++) {
            start[s + 1] = start[s] + count[s];
        }
        int[] fill = start.clone();
        int[] postings = new int[start[count.length]];
        for (int i = 0; i < n; i++) {
            postings[fill[address[i]]++] = i;
            for (int k = topicStart[i]; k < topicStart[i + 1]; k++) {
                postings[fill[(k - topicStart[i] + 1) * d + topic[k]]++] = i;
            }
        }
        int[] order = directoryOrder(dict, hash);
        String[] hashes = new String[blocks.size()];
        String[] parents = new String[blocks.size()];
        int[] counts = new int[blocks.size()];
        for (int b = 0; b < blocks.size(); b++) {
            hashes[b] = blocks.get(b).hash();
            parents[b] = blocks.get(b).parentHash();
            counts[b] = blocks.get(b).logs().size();
        }
        SegmentWriter out = new SegmentWriter(0, blocks.get(0).number(), firstLogId, n, hashes, parents, counts,
                new String[]{packKey}, new long[]{firstLogId}, postings.length * 2 + 64, segmentVersion);
        for (int p = 0; p < positions; p++) {
            out.position(p);
            for (int id : order) {
                int s = p * d + id;
                if (count[s] > 0) {
                    out.entry(hash[id], dict[id], 0, dict[id].length, postings, start[s], count[s]);
                }
            }
        }
        return out.finish();
    }

    /** Dictionary ids in directory order: by hash (a primitive sort), ties by value bytes. */
    private static int[] directoryOrder(byte[][] dict, int[] hash) {
        int d = dict.length;
        long[] keyed = new long[d];
        for (int id = 0; id < d; id++) {
            keyed[id] = ((long) hash[id] << 32) | id;
        }
        java.util.Arrays.sort(keyed);
        int[] order = new int[d];
        for (int i = 0; i < d; i++) {
            order[i] = (int) keyed[i];
        }
        for (int i = 0; i < d; ) {
            int j = i + 1;
            while (j < d && hash[order[j]] == hash[order[i]]) {
                j++;
            }
            if (j - i > 1) {
                Integer[] run = new Integer[j - i];
                for (int k = i; k < j; k++) {
                    run[k - i] = order[k];
                }
                java.util.Arrays.sort(run, (a, b) -> java.util.Arrays.compareUnsigned(dict[a], dict[b]));
                for (int k = i; k < j; k++) {
                    order[k] = run[k - i];
                }
            }
            i = j;
        }
        return order;
    }

}
