package io.fli.checker.internal;

import io.fli.checker.Op;
import io.fli.checker.internal.Analysis.BlockInfo;
import io.fli.checker.internal.Analysis.Pair;
import io.fli.checker.internal.Analysis.Version;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.rocksdb.BlockBasedTableConfig;
import org.rocksdb.CompressionType;
import org.rocksdb.LRUCache;
import org.rocksdb.WriteBufferManager;
import org.rocksdb.Options;
import org.rocksdb.ReadOptions;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.WriteBatch;
import org.rocksdb.WriteOptions;

/**
 * The settled part of the streaming checker's chain, on disk (RocksDB in a temporary folder deleted on close), so
 * that the checker's memory does not grow with the chain: each block (its versions, their logs and the outcomes of
 * their publishes) under its number, and an inverted index — per filter position, a 64-bit hash of the term, then
 * the log's key (block number and ordinal) — read by range. A hash collision only adds candidates: the caller
 * keeps the logs that match the filter.
 */
final class ColdChain implements AutoCloseable {
    private static final byte BLOCK = 'B';
    private static final byte POSTING = 'P';

    static {
        RocksDB.loadLibrary();
    }

    private final Path dir;
    private final Options options;
    private final LRUCache cache;
    private final WriteBufferManager writeBuffers;
    private final RocksDB db;
    private final WriteOptions writes;
    private final ReadOptions reads;
    private long blocks;
    private long bytes;

    ColdChain(Path parent) {
        try {
            dir = parent == null ? Files.createTempDirectory("fli-check-chain")
                    : Files.createTempDirectory(parent, "fli-check-chain");
            // Native memory bounded: one 64 MB cache holds data, index and filter blocks, and is charged for the
            // memtables too, so the store's footprint does not grow with the files it holds.
            cache = new LRUCache(64L << 20);
            writeBuffers = new WriteBufferManager(32L << 20, cache);
            options = new Options().setCreateIfMissing(true).setCompressionType(CompressionType.LZ4_COMPRESSION)
                    .setWriteBufferSize(8L << 20).setMaxWriteBufferNumber(2).setMaxOpenFiles(256)
                    .setWriteBufferManager(writeBuffers)
                    .setTableFormatConfig(new BlockBasedTableConfig().setBlockCache(cache)
                            .setCacheIndexAndFilterBlocks(true).setPinL0FilterAndIndexBlocksInCache(true));
            db = RocksDB.open(options, dir.toString());
            writes = new WriteOptions().setDisableWAL(true); // scratch data: lost with the process anyway
            reads = new ReadOptions();
        } catch (IOException e) {
            throw new UncheckedIOException("creating the streaming checker's chain folder", e);
        } catch (RocksDBException e) {
            throw new IllegalStateException("opening the streaming checker's chain store: " + e.getMessage(), e);
        }
    }

    /** Keeps a settled block: its versions and logs, and the postings of its logs. */
    void put(BlockInfo info) {
        try (WriteBatch batch = new WriteBatch()) {
            byte[] value = encode(info);
            batch.put(blockKey(info.number), value);
            bytes += value.length;
            byte[] empty = new byte[0];
            for (int o = 0; o < info.ordinalLog.size(); o++) {
                Op.Log l = info.ordinalLog.get(o);
                long key = Streaming.key(info.number, o);
                batch.put(postingKey(0, l.address(), key), empty);
                for (int t = 0; t < l.topics().size(); t++) {
                    batch.put(postingKey(t + 1, l.topics().get(t), key), empty);
                }
                bytes += 21L * (1 + l.topics().size());
            }
            db.write(writes, batch);
            blocks++;
        } catch (RocksDBException e) {
            throw new IllegalStateException("writing block " + info.number + " to the checker's chain store", e);
        }
    }

    /** The block, read back as a new instance, or null. */
    BlockInfo get(long number) {
        try {
            byte[] v = db.get(reads, blockKey(number));
            return v == null ? null : decode(number, v);
        } catch (RocksDBException e) {
            throw new IllegalStateException("reading block " + number + " from the checker's chain store", e);
        }
    }

    /** Appends to {@code into} the keys in {@code [keyLo, keyHi]} of logs whose term at {@code position} hashes as {@code value}'s. */
    void postings(int position, String value, long keyLo, long keyHi, LongList into) {
        byte[] from = postingKey(position, value, keyLo);
        try (RocksIterator it = db.newIterator(reads)) {
            for (it.seek(from); it.isValid(); it.next()) {
                byte[] k = it.key();
                if (k.length != from.length || !samePrefix(k, from, 10)) {
                    return;
                }
                long key = ByteBuffer.wrap(k, 10, 8).getLong();
                if (key > keyHi) {
                    return;
                }
                into.add(key);
            }
        }
    }

    /** Every kept block numbered {@code lo..hi}, in order. */
    void forEach(long lo, long hi, Consumer<Long> numbers) {
        try (RocksIterator it = db.newIterator(reads)) {
            for (it.seek(blockKey(lo)); it.isValid(); it.next()) {
                byte[] k = it.key();
                if (k[0] != BLOCK) {
                    return;
                }
                long n = ByteBuffer.wrap(k, 1, 8).getLong();
                if (n > hi) {
                    return;
                }
                numbers.accept(n);
            }
        }
    }

    long blocks() {
        return blocks;
    }

    /** Bytes written (before compression). */
    long bytes() {
        return bytes;
    }

    @Override
    public void close() {
        reads.close();
        writes.close();
        db.close();
        options.close();
        writeBuffers.close();
        cache.close();
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            // a temporary folder left behind
        }
    }

    // ------------------------------------------------------------------ keys

    private static byte[] blockKey(long number) {
        return ByteBuffer.allocate(9).put(BLOCK).putLong(number).array();
    }

    private static byte[] postingKey(int position, String value, long key) {
        return ByteBuffer.allocate(18).put(POSTING).put((byte) position).putLong(hash(value)).putLong(key).array();
    }

    private static boolean samePrefix(byte[] a, byte[] b, int n) {
        for (int i = 0; i < n; i++) {
            if (a[i] != b[i]) {
                return false;
            }
        }
        return true;
    }

    /** FNV-1a over the UTF-16 units, then a finalizer (murmur3's fmix64) to spread it. */
    static long hash(String s) {
        long h = 0xcbf29ce484222325L;
        for (int i = 0; i < s.length(); i++) {
            h ^= s.charAt(i);
            h *= 0x100000001b3L;
        }
        h ^= h >>> 33;
        h *= 0xff51afd7ed558ccdL;
        h ^= h >>> 33;
        h *= 0xc4ceb9fe1a85ec53L;
        h ^= h >>> 33;
        return h;
    }

    // ------------------------------------------------------------------ blocks

    private static byte[] encode(BlockInfo info) {
        ByteArrayOutputStream buf = new ByteArrayOutputStream(256 + 200 * info.ordinalLog.size());
        try (DataOutputStream out = new DataOutputStream(buf)) {
            out.writeInt(info.firstInvoke);
            out.writeBoolean(info.allFailed);
            out.writeInt(info.versions.size());
            for (Version v : info.versions) {
                str(out, v.block.hash());
                out.writeBoolean(v.allFailed);
                out.writeInt(v.publishes.size());
                for (Pair p : v.publishes) {
                    op(out, p.invoke());
                    out.writeBoolean(p.completion() != null);
                    if (p.completion() != null) {
                        op(out, p.completion());
                    }
                }
                out.writeInt(v.block.logs().size());
                for (Op.Log l : v.block.logs()) {
                    out.writeInt(l.index());
                    out.writeBoolean(l.tx() != null);
                    if (l.tx() != null) {
                        out.writeLong(l.tx());
                    }
                    str(out, l.txHash());
                    str(out, l.address());
                    out.writeInt(l.topics().size());
                    for (String t : l.topics()) {
                        str(out, t);
                    }
                    str(out, l.data());
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return buf.toByteArray();
    }

    /** A publish operation without its blocks (the block being kept is the only one read back). */
    private static void op(DataOutputStream out, Op op) throws IOException {
        Op.Publish p = (Op.Publish) op.value();
        out.writeInt(op.index());
        out.writeLong(op.time());
        out.writeInt(op.process());
        out.writeByte(op.type().ordinal());
        str(out, p.writer());
        out.writeLong(p.epoch());
        out.writeBoolean(p.head() != null);
        if (p.head() != null) {
            out.writeLong(p.head());
        }
        str(out, p.error());
    }

    private static Op op(DataInputStream in) throws IOException {
        int index = in.readInt();
        long time = in.readLong();
        int process = in.readInt();
        Op.Type type = Op.Type.values()[in.readByte()];
        String writer = str(in);
        long epoch = in.readLong();
        Long head = in.readBoolean() ? in.readLong() : null;
        String error = str(in);
        return new Op(index, time, process, type, "publish", new Op.Publish(writer, epoch, List.of(), head, error));
    }

    private static BlockInfo decode(long number, byte[] bytes) {
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes))) {
            BlockInfo info = new BlockInfo(number);
            info.firstInvoke = in.readInt();
            info.allFailed = in.readBoolean();
            int versions = in.readInt();
            for (int i = 0; i < versions; i++) {
                String hash = str(in);
                boolean allFailed = in.readBoolean();
                int n = in.readInt();
                List<Pair> publishes = new ArrayList<>(n);
                for (int j = 0; j < n; j++) {
                    Op invoke = op(in);
                    publishes.add(new Pair(invoke, in.readBoolean() ? op(in) : null));
                }
                int logs = in.readInt();
                List<Op.Log> list = new ArrayList<>(logs);
                for (int j = 0; j < logs; j++) {
                    int index = in.readInt();
                    Long tx = in.readBoolean() ? in.readLong() : null;
                    String txHash = str(in);
                    String address = str(in);
                    int topics = in.readInt();
                    List<String> t = new ArrayList<>(topics);
                    for (int k = 0; k < topics; k++) {
                        t.add(str(in));
                    }
                    list.add(new Op.Log(index, tx, txHash, address, List.copyOf(t), str(in)));
                }
                Version v = new Version(new Op.Block(number, hash, List.copyOf(list)));
                v.allFailed = allFailed;
                v.publishes.addAll(publishes);
                info.versions.add(v);
                for (Op.Log l : v.block.logs()) {
                    info.ordinalLog.add(l);
                    info.ordinalVersion.add(v);
                }
            }
            return info;
        } catch (IOException e) {
            throw new UncheckedIOException("decoding block " + number + " of the checker's chain store", e);
        }
    }

    private static void str(DataOutputStream out, String s) throws IOException {
        if (s == null) {
            out.writeInt(-1);
            return;
        }
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        out.writeInt(b.length);
        out.write(b);
    }

    private static String str(DataInputStream in) throws IOException {
        int n = in.readInt();
        if (n < 0) {
            return null;
        }
        byte[] b = in.readNBytes(n);
        return new String(b, StandardCharsets.UTF_8);
    }
}
