package io.fli.engine.internal;

import io.fli.engine.CorruptionException;
import java.util.zip.CRC32C;

/**
 * The paged blob layout (segment format 2, pack format 3): the usual {@link Frame} header whose length and CRC cover
 * only a small <em>head</em>, then the head, then the <em>body</em>: pages, each with its own offset, length and
 * CRC32C recorded in the head (or in a page the head leads to). A reader fetches the head with one ranged GET and then
 * only the pages a query needs, each verified on its own — so a query's cost depends on what it reads, not on the size
 * of the blob.
 */
public final class Paged {
    /** How many leading bytes a reader fetches first: the frame header and, for almost every blob, the whole head. */
    public static final int PREFIX = 16 * 1024;

    private Paged() {
    }

    /** Where a page lies in the body, and its checksum. */
    public record Ref(long offset, int length, int crc) {
        void write(ByteWriter w) {
            w.varLong(offset).varInt(length).i32(crc);
        }

        static Ref read(ByteReader r, long bodyLength) {
            long off = r.varLong();
            int len = r.varInt(Integer.MAX_VALUE);
            int crc = r.i32();
            if (off + len > bodyLength) {
                throw new CorruptionException("page at " + off + "+" + len + " lies beyond the " + bodyLength
                        + "-byte body");
            }
            return new Ref(off, len, crc);
        }
    }

    /**
     * The body being written: pages appended in order, each returning its {@link Ref}. Held as a list of chunks of at
     * most {@link #CHUNK} bytes, so a body of unknown final size (a merged segment of millions of logs) is never
     * copied to grow: each byte is copied once into a chunk and once into the frame.
     */
    public static final class Body {
        static final int CHUNK = 1 << 20;
        private final java.util.ArrayList<byte[]> full = new java.util.ArrayList<>();
        private byte[] cur;
        private int used;
        private long length;

        /** @param sizeHint expected body bytes: the first chunk's size (up to {@link #CHUNK}) */
        public Body(int sizeHint) {
            cur = new byte[Math.max(256, Math.min(CHUNK, sizeHint))];
        }

        public Ref add(ByteWriter page) {
            return add(page.buffer(), 0, page.length());
        }

        public Ref add(byte[] b, int off, int len) {
            long at = length;
            int crc = crc(b, off, len);
            int done = 0;
            while (done < len) {
                if (used == cur.length) {
                    full.add(cur);
                    cur = new byte[CHUNK];
                    used = 0;
                }
                int n = Math.min(len - done, cur.length - used);
                System.arraycopy(b, off + done, cur, used, n);
                used += n;
                done += n;
            }
            length += len;
            return new Ref(at, len, crc);
        }

        public long length() {
            return length;
        }

        int copyTo(byte[] dst, int at) {
            for (byte[] c : full) {
                System.arraycopy(c, 0, dst, at, c.length);
                at += c.length;
            }
            System.arraycopy(cur, 0, dst, at, used);
            return at + used;
        }
    }

    /** Header (length and CRC of the head), head, body. */
    public static byte[] frame(byte kind, int version, ByteWriter head, Body body) {
        byte[] h = head.toByteArray();
        long size = Frame.HEADER + h.length + body.length();
        if (size > Integer.MAX_VALUE - 8) {
            throw new IllegalStateException("a blob of " + size + " bytes is beyond what one array holds");
        }
        byte[] out = new byte[(int) size];
        ByteWriter hdr = new ByteWriter(Frame.HEADER);
        hdr.u8('F').u8('L').u8('I').u8(kind).u8(version).i32(h.length).i32(crc(h, 0, h.length));
        hdr.copyTo(out, 0);
        System.arraycopy(h, 0, out, Frame.HEADER, h.length);
        body.copyTo(out, Frame.HEADER + h.length);
        return out;
    }

    static int crc(byte[] b, int off, int len) {
        CRC32C c = new CRC32C();
        c.update(b, off, len);
        return (int) c.getValue();
    }

    /** The offset where the body starts (header + head), read from a prefix that holds at least the header. */
    public static int bodyStart(byte[] prefix, String what) {
        if (prefix == null || prefix.length < Frame.HEADER) {
            throw new CorruptionException(what + ": " + (prefix == null ? 0 : prefix.length)
                    + " bytes is shorter than the " + Frame.HEADER + "-byte header");
        }
        int len = new ByteReader(prefix, 5, Frame.HEADER, what).i32();
        if (len < 0 || len > Integer.MAX_VALUE - Frame.HEADER) {
            throw new CorruptionException(what + ": head length " + len + " is impossible");
        }
        return Frame.HEADER + len;
    }

    /**
     * Verifies the frame header and the head's CRC in {@code prefix} (which must hold the whole head) and returns a
     * reader over the head.
     */
    public static ByteReader head(byte[] prefix, byte kind, int version, String what) {
        return head(prefix, kind, version, version, what);
    }

    /** As {@link #head(byte[], byte, int, String)}, for any format version in {@code [minVersion, maxVersion]}. */
    public static ByteReader head(byte[] prefix, byte kind, int minVersion, int maxVersion, String what) {
        Frame.checkKindAndVersion(prefix, kind, minVersion, maxVersion, what);
        int end = bodyStart(prefix, what);
        if (prefix.length < end) {
            throw new CorruptionException(what + ": the head ends at " + end + " but the blob has " + prefix.length
                    + " bytes");
        }
        int stored = new ByteReader(prefix, 9, Frame.HEADER, what).i32();
        int computed = crc(prefix, Frame.HEADER, end - Frame.HEADER);
        if (stored != computed) {
            throw new CorruptionException(what + ": head checksum mismatch (stored " + Integer.toHexString(stored)
                    + ", computed " + Integer.toHexString(computed) + ")");
        }
        return new ByteReader(prefix, Frame.HEADER, end, what);
    }

    /**
     * Verifies a fetched page against its ref ({@code checkCrc} is false only in the bug zoo's no-checksum variant)
     * and returns a reader over it.
     */
    public static ByteReader page(byte[] bytes, int off, Ref ref, boolean checkCrc, String what) {
        if (bytes == null || bytes.length - off < ref.length()) {
            throw new CorruptionException(what + ": page at " + ref.offset() + " should have " + ref.length()
                    + " bytes, the blob ends after " + (bytes == null ? 0 : bytes.length - off));
        }
        if (checkCrc) {
            int computed = crc(bytes, off, ref.length());
            if (computed != ref.crc()) {
                throw new CorruptionException(what + ": page at " + ref.offset() + " checksum mismatch (stored "
                        + Integer.toHexString(ref.crc()) + ", computed " + Integer.toHexString(computed) + ")");
            }
        }
        return new ByteReader(bytes, off, off + ref.length(), what);
    }
}
