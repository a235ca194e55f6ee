package io.fli.engine.internal;

import io.fli.engine.CorruptionException;
import java.util.zip.CRC32C;

/**
 * The envelope of every stored record and blob: magic {@code FLI}, a kind byte, a format version, the payload
 * length and a CRC32C of the payload. Decoding checks all of them before any payload byte is interpreted.
 */
public final class Frame {
    public static final int HEADER = 3 + 1 + 1 + 4 + 4;
    /** Kinds of framed objects. */
    public static final byte STATE = 'S';
    public static final byte PACK = 'P';
    public static final byte SEGMENT = 'X';

    private Frame() {
    }

    /** Frames the concatenation of {@code parts} as the payload, copying each byte once. */
    public static byte[] wrap(byte kind, int version, ByteWriter... parts) {
        int len = 0;
        for (ByteWriter p : parts) {
            len += p.length();
        }
        byte[] out = new byte[HEADER + len];
        int at = HEADER;
        for (ByteWriter p : parts) {
            at = p.copyTo(out, at);
        }
        CRC32C crc = new CRC32C();
        crc.update(out, HEADER, len);
        ByteWriter h = new ByteWriter(HEADER);
        h.u8('F').u8('L').u8('I').u8(kind).u8(version).i32(len).i32((int) crc.getValue());
        h.copyTo(out, 0);
        return out;
    }

    /** Verifies the envelope and returns a reader positioned at the payload. */
    public static ByteReader open(byte[] data, byte kind, int maxVersion, String what) {
        checkKindAndVersion(data, kind, 1, maxVersion, what);
        ByteReader header = new ByteReader(data, 5, HEADER, what);
        int len = header.i32();
        int crc = header.i32();
        if (len != data.length - HEADER) {
            throw new CorruptionException(what + ": header says " + len + " payload bytes, found "
                    + (data.length - HEADER));
        }
        CRC32C c = new CRC32C();
        c.update(data, HEADER, len);
        if ((int) c.getValue() != crc) {
            throw new CorruptionException(what + ": checksum mismatch (stored " + Integer.toHexString(crc)
                    + ", computed " + Integer.toHexString((int) c.getValue()) + ")");
        }
        return new ByteReader(data, HEADER, data.length, what);
    }

    /** Checks length, magic, kind and that the format version is in {@code [minVersion, maxVersion]}. */
    public static void checkKindAndVersion(byte[] data, byte kind, int minVersion, int maxVersion, String what) {
        if (data == null || data.length < HEADER) {
            throw new CorruptionException(what + ": " + (data == null ? 0 : data.length)
                    + " bytes is shorter than the " + HEADER + "-byte header");
        }
        if (data[0] != 'F' || data[1] != 'L' || data[2] != 'I') {
            throw new CorruptionException(what + ": bad magic, not an fli object");
        }
        if (data[3] != kind) {
            throw new CorruptionException(what + ": kind '" + (char) data[3] + "' where '" + (char) kind
                    + "' was expected");
        }
        int version = data[4] & 0xFF;
        if (version > maxVersion) {
            // Never guess at a layout this build does not know: fail closed, and say what to do.
            throw new CorruptionException("upgrade required: " + what + " has format version " + version
                    + ", written by a newer fli; this build reads versions " + minVersion + ".." + maxVersion
                    + " (docs/upgrade.md)");
        }
        if (version < minVersion) {
            throw new CorruptionException(what + ": format version " + version + " is older than this build reads ("
                    + minVersion + ".." + maxVersion + "); upgrade through a release that reads both (docs/upgrade.md)");
        }
    }

    /**
     * Whether {@code data} starts a paged blob (segment format 2 to 4, pack format 3 or 4): its header covers only the
     * head.
     */
    public static boolean isPaged(byte[] data) {
        return data != null && data.length >= HEADER && data[0] == 'F' && data[1] == 'L' && data[2] == 'I'
                && ((data[3] == SEGMENT && version(data) >= SegmentWriter.FIRST_PAGED
                && version(data) <= SegmentWriter.VERSION)
                || (data[3] == PACK && version(data) >= Pack.FIRST_PAGED && version(data) <= Pack.VERSION));
    }

    public static int version(byte[] data) {
        return data[4] & 0xFF;
    }
}
