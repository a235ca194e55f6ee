package io.fli.engine.internal;

import io.fli.engine.Block;
import java.util.List;
import java.util.zip.CRC32C;

/**
 * Blob keys. Every key embeds the writer epoch and a checksum of its content, so two writers never write the same
 * key with different bytes. Numbers are fixed-width hex, so lexicographic key order is numeric order: listing a
 * prefix returns blobs by (epoch, tier, first block).
 */
public final class Keys {
    public static final String PACKS = "packs/";
    public static final String INDEX = "index/";

    private Keys() {
    }

    public static String hex16(long v) {
        String h = Long.toHexString(v);
        return "0".repeat(16 - h.length()) + h;
    }

    static String crc(byte[] data) {
        CRC32C c = new CRC32C();
        c.update(data);
        String h = Long.toHexString(c.getValue());
        return "0".repeat(8 - h.length()) + h;
    }

    public static String pack(long epoch, long firstBlock, long lastBlock, byte[] data) {
        return PACKS + hex16(epoch) + "/" + hex16(firstBlock) + "-" + hex16(lastBlock) + "-" + crc(data);
    }

    /**
     * The content tag of a publish batch, known before anything is encoded: the batch's content is fixed by its
     * block hashes (the same number and hash mean the same block) and its first log id.
     */
    public static byte[] batchTag(long firstLogId, List<Block> blocks) {
        ByteWriter w = new ByteWriter(blocks.size() * 70 + 10);
        w.varLong(firstLogId);
        for (Block b : blocks) {
            w.string(b.hash());
        }
        return w.toByteArray();
    }

    public static String segment(long epoch, int tier, long firstBlock, long lastBlock, byte[] data) {
        return INDEX + hex16(epoch) + "/" + String.format("%02x", tier) + "-" + hex16(firstBlock) + "-"
                + hex16(lastBlock) + "-" + crc(data);
    }
}
