package io.fli.engine.internal;

import io.fli.engine.BlobStore;
import io.fli.engine.CorruptionException;
import io.fli.engine.IndexConfig;
import io.fli.engine.LogIndex;
import io.fli.engine.MetaStore;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;
import java.util.zip.CRC32C;

/**
 * Deliberately broken engines: the correct engine with one of its package-private {@link Seams} replaced. This class
 * sits in the engine's package only to reach those seams; it ships in module {@code zoo}, which only the test harness
 * links, so no production caller can open a broken engine.
 */
public final class BrokenEngines {
    private BrokenEngines() {
    }

    private static final Map<String, Supplier<Seams>> VARIANTS = Map.ofEntries(
            Map.entry("stale-head-cache", StaleHeadCache::new),
            Map.entry("fence-outside-cas", () -> new Seams() {
                @Override
                boolean fenceOutsideCas() {
                    return true;
                }
            }),
            Map.entry("duplicates-after-reingest", () -> new Seams() {
                @Override
                boolean appendOnReingest() {
                    return true;
                }
            }),
            Map.entry("state-before-blobs", () -> new Seams() {
                @Override
                boolean stateBeforeBlobs() {
                    return true;
                }

                @Override
                boolean missingBlobIsEmpty() {
                    return true;
                }
            }),
            Map.entry("gc-no-grace", () -> new Seams() {
                @Override
                boolean gcWithoutGraceOrFence() {
                    return true;
                }

                @Override
                boolean missingBlobIsEmpty() {
                    return true;
                }
            }),
            Map.entry("no-checksum", () -> new Seams() {
                @Override
                byte[] beforeDecode(byte[] stored) {
                    return resealed(stored);
                }

                @Override
                boolean verifyPageChecksums() {
                    return false;
                }
            }),
            Map.entry("unknown-as-applied", () -> new Seams() {
                @Override
                boolean unknownCasIsApplied() {
                    return true;
                }
            }),
            Map.entry("lease-view-during-cas", () -> new Seams() {
                @Override
                boolean leaseViewDuringCas() {
                    return true;
                }
            }),
            Map.entry("read-lease-not-revoked", () -> new Seams() {
                @Override
                boolean revokeReadLeases() {
                    return false;
                }
            }),
            Map.entry("read-lease-after-revoke", () -> new Seams() {
                @Override
                boolean readLeaseUsable(boolean revoked) {
                    return true;
                }
            }),
            Map.entry("read-lease-from-arrival", () -> new Seams() {
                @Override
                boolean readLeaseFromArrival() {
                    return true;
                }
            }),
            Map.entry("block-hash-of-segment-start", () -> new Seams() {
                @Override
                String blockHash(SegmentReader seg, SegmentRef ref, long block) {
                    return seg.hashOf(ref.firstBlock());
                }
            }),
            Map.entry("fork-accepted", () -> new Seams() {
                @Override
                boolean skipIndexedWithoutHashCheck() {
                    return true;
                }
            }),
            Map.entry("gc-forgets-merged-packs", () -> new Seams() {
                @Override
                List<String> packsReferencedBy(SegmentRef ref, SegmentReader seg) {
                    // Only a tier-0 segment's packs are counted: those a merged segment names are "garbage".
                    return ref.tier() == 0 ? super.packsReferencedBy(ref, seg) : List.of();
                }
            }),
            Map.entry("state-corruption-as-empty", () -> new Seams() {
                @Override
                Optional<DefaultLogIndex.Snapshot> undecodableState(DefaultLogIndex idx, CorruptionException e) {
                    return Optional.empty(); // an unreadable meta/state is taken for "nothing indexed yet"
                }
            }));

    /** An index over the stores with the named variant's broken seam; null for a name that is not engine-level. */
    public static LogIndex open(String variant, MetaStore meta, BlobStore blobs, IndexConfig config) {
        Supplier<Seams> s = VARIANTS.get(variant);
        return s == null ? null : new DefaultLogIndex(meta, blobs, config, s.get());
    }

    /** Queries serve a meta/state cached for up to half a second instead of reading it. */
    private static final class StaleHeadCache extends Seams {
        private volatile Optional<DefaultLogIndex.Snapshot> cached;
        private volatile long cachedAt;

        @Override
        Optional<DefaultLogIndex.Snapshot> queryState(DefaultLogIndex idx) {
            long now = idx.config.clock().millis();
            if (cached == null || now - cachedAt > 500) {
                cached = idx.readState();
                cachedAt = now;
            }
            return cached;
        }
    }

    /** A copy whose stored CRC is recomputed from whatever the payload now is, so damage passes the check. */
    static byte[] resealed(byte[] data) {
        if (data == null || data.length < Frame.HEADER) {
            return data;
        }
        byte[] out = data.clone();
        int end = Frame.isPaged(out) ? Math.min(out.length, Paged.bodyStart(out, "resealed")) : out.length;
        CRC32C c = new CRC32C();
        c.update(out, Frame.HEADER, end - Frame.HEADER);
        int crc = (int) c.getValue();
        out[9] = (byte) (crc >>> 24);
        out[10] = (byte) (crc >>> 16);
        out[11] = (byte) (crc >>> 8);
        out[12] = (byte) crc;
        return out;
    }
}
