package io.fli.engine.internal;

import io.fli.engine.CorruptionException;

/**
 * A Bloom filter over the 32-bit hashes a segment files its terms (or block hashes) under, stored in segment format 4
 * next to the directory it guards. A lookup of a term the segment does not hold — almost every lookup of a selective
 * query at scale: an address or topic appears in few of the segments a range covers — is answered from the filter
 * (one cached page per position) instead of fetching the directory page whose hash span the term falls in.
 *
 * <p>Besides each term's hash it holds a {@link #bucketKey} per bucket of 65,536 segment-local ids the term has
 * postings in: a range query tests the buckets its range overlaps, so a term the segment holds only elsewhere costs
 * nothing either (at 50M logs most addresses appear a few times in the whole chain, so in a large segment, but
 * rarely in a query's 2,000 blocks).
 *
 * <p>Never a false negative: every hash the writer added tests true (a whole decode checks every directory entry
 * against its filter). False positives cost only the directory page they would have cost anyway: about 1% at
 * {@link #BITS_PER_KEY} bits per key and {@link #HASHES} probes.
 *
 * <p>Stored form: {@code u8 probes, bits...} (bit {@code i} is bit {@code i % 8} of byte {@code 1 + i / 8}); the
 * probes for a hash are the Kirsch–Mitzenmacher sequence {@code h1 + i·h2} of a 64-bit mix of the hash.
 */
final class TermFilter {
    static final int BITS_PER_KEY = 10;
    static final int HASHES = 7;
    /** Segment-local ids per bucket: a roaring container's span, so a bitmap's buckets are its container keys. */
    static final int BUCKET_BITS = 16;
    /** A range over more buckets than this is tested by the term's own key only. */
    static final int MAX_BUCKETS_TESTED = 8;
    /**
     * Format 5: segment-local ids per fine bucket of a short posting list (8,192: about 160 blocks of 50 logs). At 50M
     * logs a selective query's address is mostly one that appears a few dozen times in the whole chain: present in
     * the bucket of 65,536 ids (about 1,300 blocks) its range overlaps far more often than in the range itself,
     * and each such lookup read a directory page only to find nothing in range.
     */
    static final int FINE_BITS = 13;
    /** A range over more fine buckets than this is not tested by them (each test is a chance of a false positive). */
    static final int MAX_FINE_TESTED = 32;
    /**
     * Format 5: a posting list of at most this many ids has its fine buckets in the filter; a longer one is
     * {@link #longKey marked} instead. Inline lists (16 ids) alone were not enough: an address drawn uniformly from
     * 100,000 Zipf ranks has a few dozen logs in a 4M-log segment, and those were the directory pages read.
     */
    static final int FINE_MAX_IDS = 512;

    /**
     * The key of a term (by its directory hash) having a posting in bucket {@code bucket} (ids {@code bucket << 16}
     * up to the next bucket's): stored next to the term's own key, so that a range query asks whether the term has a
     * posting in the buckets its range overlaps, not merely in the segment.
     */
    static int bucketKey(int hash, int bucket) {
        return (int) mix(hash ^ ((long) (bucket + 1) * 0x9E3779B97F4A7C15L >>> 17));
    }

    /**
     * Format 5: the key of a term with a short posting list ({@link #FINE_MAX_IDS}) having a posting in fine bucket
     * {@code fine}.
     */
    static int fineKey(int hash, int fine) {
        return (int) mix(hash ^ ((long) (fine + 2) * 0xC2B2AE3D27D4EB4FL >>> 13));
    }

    /**
     * Format 5: the key that marks a term whose posting list is long (more than {@link #FINE_MAX_IDS} ids): its fine
     * buckets are not in the filter, so a range test of it stops at the {@link #bucketKey buckets}.
     */
    static int longKey(int hash) {
        return fineKey(hash, -1);
    }

    /**
     * Gives {@code out} each fine bucket ({@link #FINE_BITS}) of the ascending {@code ids}, once: what the writer files
     * a short list's fine keys under and what the whole decode checks them against.
     */
    static void fineBuckets(org.roaringbitmap.IntIterator ids, java.util.function.IntConsumer out) {
        int last = -1;
        while (ids.hasNext()) {
            int f = ids.next() >>> FINE_BITS;
            if (f != last) {
                out.accept(f);
                last = f;
            }
        }
    }

    private final byte[] bytes;
    private final int off;
    private final long bits;
    private final int probes;

    private TermFilter(byte[] bytes, int off, int len, int probes) {
        this.bytes = bytes;
        this.off = off;
        this.bits = (long) len * 8;
        this.probes = probes;
    }

    /** The stored filter of {@code hashes[0..n)} (at least 8 bytes of bits, so an empty one tests false for all). */
    static byte[] build(int[] hashes, int n) {
        int len = (int) Math.max(8, ((long) n * BITS_PER_KEY + 7) / 8);
        byte[] out = new byte[1 + len];
        out[0] = (byte) HASHES;
        TermFilter f = new TermFilter(out, 1, len, HASHES);
        for (int i = 0; i < n; i++) {
            f.add(hashes[i]);
        }
        return out;
    }

    /** Reads a stored filter from {@code r} up to {@code end}; the bytes are copied (a filter outlives its page). */
    static TermFilter read(ByteReader r, int end, String key) {
        int probes = r.u8();
        int len = end - r.position();
        if (probes < 1 || probes > 30 || len < 8) {
            throw new CorruptionException(key + ": a term filter with " + probes + " probes over " + len
                    + " bytes is impossible");
        }
        byte[] b = java.util.Arrays.copyOfRange(r.array(), r.position(), end);
        return new TermFilter(b, 0, len, probes);
    }

    private void add(int hash) {
        long h = mix(hash);
        int h1 = (int) h;
        int h2 = (int) (h >>> 32);
        for (int i = 0; i < probes; i++) {
            long bit = ((h1 + i * h2) & 0xFFFFFFFFL) % bits;
            bytes[off + (int) (bit >>> 3)] |= (byte) (1 << (bit & 7));
        }
    }

    /** False only if no hash equal to {@code hash} was added. */
    boolean mightContain(int hash) {
        long h = mix(hash);
        int h1 = (int) h;
        int h2 = (int) (h >>> 32);
        for (int i = 0; i < probes; i++) {
            long bit = ((h1 + i * h2) & 0xFFFFFFFFL) % bits;
            if ((bytes[off + (int) (bit >>> 3)] & (1 << (bit & 7))) == 0) {
                return false;
            }
        }
        return true;
    }

    /** The 64-bit finalizer of MurmurHash3 over the hash (the directory's 32-bit hashes are weakly mixed). */
    private static long mix(long hash) {
        long k = hash * 0x9E3779B97F4A7C15L;
        k ^= k >>> 33;
        k *= 0xFF51AFD7ED558CCDL;
        k ^= k >>> 33;
        k *= 0xC4CEB9FE1A85EC53L;
        k ^= k >>> 33;
        return k;
    }
}
