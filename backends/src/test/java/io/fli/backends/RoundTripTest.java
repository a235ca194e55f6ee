package io.fli.backends;

import static org.assertj.core.api.Assertions.assertThat;

import io.fli.engine.Block;
import io.fli.engine.IndexConfig;
import io.fli.engine.Log;
import io.fli.engine.LogIndex;
import io.fli.engine.LogQuery;
import io.fli.engine.MatchedLog;
import io.fli.engine.Writer;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** §6.3.1: ingest → query round trip through both real stores. */
class RoundTripTest {

    static List<Block> chain(long seed, int blocks) {
        Random r = new Random(seed);
        List<Block> out = new ArrayList<>();
        String parent = null;
        for (int n = 1; n <= blocks; n++) {
            List<Log> logs = new ArrayList<>();
            for (int i = 0; i < r.nextInt(6); i++) {
                logs.add(new Log(i, i, "0xa" + r.nextInt(5), List.of("0xt" + r.nextInt(3)), "0xd" + n + "_" + i));
            }
            String hash = "0xh" + seed + "_" + n;
            out.add(new Block(n, hash, parent, logs));
            parent = hash;
        }
        return out;
    }

    static List<MatchedLog> expected(List<Block> chain, LogQuery q, long head) {
        List<MatchedLog> out = new ArrayList<>();
        for (Block b : chain) {
            if (b.number() > head || (q.fromBlock() != null && b.number() < q.fromBlock())
                    || (q.toBlock() != null && b.number() > q.toBlock())) {
                continue;
            }
            for (Log l : b.logs()) {
                if (l.matches(q.addresses(), q.topics())) {
                    out.add(new MatchedLog(b.number(), b.hash(), l));
                }
            }
        }
        return out;
    }

    @Test
    void theSchemaMigrationIsSafeToRunTwiceAndRecordsItsVersion() {
        LocalBackends b = SharedBackends.get();
        String ks = "migrate" + Long.toHexString(System.nanoTime());
        try (ScyllaMetaStore first = ScyllaMetaStore.connect(b.cql(ks));
             ScyllaMetaStore second = ScyllaMetaStore.connect(b.cql(ks))) {
            assertThat(first.schemaVersion()).isEqualTo(ScyllaMetaStore.MIGRATIONS.size());
            assertThat(second.schemaVersion()).isEqualTo(ScyllaMetaStore.MIGRATIONS.size());
            assertThat(second.putIfAbsent("k", 1, new byte[]{1})).isInstanceOf(io.fli.engine.CasResult.Applied.class);
            assertThat(first.get("k")).map(io.fli.engine.MetaRecord::version).contains(1L);
        }
    }

    @Test
    void aBlobPutNeverOverwritesAnExistingBlob() {
        LocalBackends b = SharedBackends.get();
        try (MinioBlobStore blobs = MinioBlobStore.connect(b.s3("createonly" + Long.toHexString(System.nanoTime())))) {
            assertThat(blobs.putIfAbsent("packs/x", new byte[]{1, 2, 3})).isEqualTo(io.fli.engine.BlobStore.PutOutcome.CREATED);
            assertThat(blobs.putIfAbsent("packs/x", new byte[]{9})).isEqualTo(io.fli.engine.BlobStore.PutOutcome.ALREADY_EXISTS);
            assertThat(blobs.get("packs/x")).hasValueSatisfying(v -> assertThat(v).containsExactly(1, 2, 3));
            assertThat(blobs.get("packs/missing")).isEmpty();
            assertThat(blobs.list("packs/")).extracting(io.fli.engine.BlobStore.BlobInfo::key).containsExactly("packs/x");
            blobs.delete("packs/x");
            assertThat(blobs.get("packs/x")).isEmpty();
        }
    }

    /**
     * A blob larger than the SDK's 5 MiB part size (a merged index segment is hundreds of MB) goes up whole, and is
     * as create-only as a small one: a second put of the key is refused and the first bytes stay.
     */
    @Test
    void aBlobLargerThanOnePartIsStoredWholeAndNeverOverwritten() {
        LocalBackends b = SharedBackends.get();
        try (MinioBlobStore blobs = MinioBlobStore.connect(b.s3("large" + Long.toHexString(System.nanoTime())))) {
            byte[] data = new byte[12 << 20];
            new Random(5).nextBytes(data);
            assertThat(blobs.putIfAbsent("index/big", data)).isEqualTo(io.fli.engine.BlobStore.PutOutcome.CREATED);
            byte[] other = data.clone();
            other[7] ^= 1;
            assertThat(blobs.putIfAbsent("index/big", other))
                    .isEqualTo(io.fli.engine.BlobStore.PutOutcome.ALREADY_EXISTS);
            assertThat(blobs.get("index/big")).hasValueSatisfying(v -> assertThat(v).isEqualTo(data));
            assertThat(blobs.list("index/")).extracting(io.fli.engine.BlobStore.BlobInfo::size)
                    .containsExactly((long) data.length);
        }
    }

    @Test
    void aRangedGetReturnsExactlyTheBytesAskedForAndClipsAtTheEnd() {
        LocalBackends b = SharedBackends.get();
        try (MinioBlobStore blobs = MinioBlobStore.connect(b.s3("ranged" + Long.toHexString(System.nanoTime())))) {
            byte[] data = new byte[100_000];
            new Random(3).nextBytes(data);
            blobs.putIfAbsent("index/r", data);
            assertThat(blobs.getRange("index/r", 0, 64)).hasValueSatisfying(
                    v -> assertThat(v).isEqualTo(java.util.Arrays.copyOfRange(data, 0, 64)));
            assertThat(blobs.getRange("index/r", 54_321, 777)).hasValueSatisfying(
                    v -> assertThat(v).isEqualTo(java.util.Arrays.copyOfRange(data, 54_321, 55_098)));
            assertThat(blobs.getRange("index/r", 99_990, 65_536)).hasValueSatisfying(
                    v -> assertThat(v).isEqualTo(java.util.Arrays.copyOfRange(data, 99_990, 100_000)));
            assertThat(blobs.getRange("index/r", 200_000, 10)).hasValueSatisfying(v -> assertThat(v).isEmpty());
            assertThat(blobs.getRange("index/missing", 0, 10)).isEmpty();
        }
    }

    @Test
    void aCommittedReadSeesEveryCasThatReturned() {
        LocalBackends b = SharedBackends.get();
        try (ScyllaMetaStore writer = ScyllaMetaStore.connect(b.cql("committed"));
             ScyllaMetaStore reader = ScyllaMetaStore.connect(b.cql("committed"))) {
            String key = "k" + Long.toHexString(System.nanoTime());
            assertThat(reader.getCommitted(key)).isEmpty();
            assertThat(writer.putIfAbsent(key, 1, new byte[]{0})).isInstanceOf(io.fli.engine.CasResult.Applied.class);
            for (int v = 1; v <= 20; v++) {
                assertThat(reader.getCommitted(key)).map(io.fli.engine.MetaRecord::version).contains((long) v);
                assertThat(writer.compareAndSet(key, v, 1, 1, new byte[]{(byte) v}))
                        .isInstanceOf(io.fli.engine.CasResult.Applied.class);
            }
            assertThat(reader.getCommitted(key)).hasValueSatisfying(r -> {
                assertThat(r.version()).isEqualTo(21);
                assertThat(r.value()).containsExactly(20);
            });
        }
    }

    @Test
    void ingestedBlocksAreQueriedExactlyThroughCqlAndS3() {
        LocalBackends b = SharedBackends.get();
        try (ScyllaMetaStore meta = ScyllaMetaStore.connect(b.cql("roundtrip"));
             MinioBlobStore blobs = MinioBlobStore.connect(b.s3("roundtrip"));
             LogIndex index = LogIndex.open(meta, blobs, IndexConfig.defaults().withMergeFanout(3))) {
            assertThat(meta.schemaVersion()).isEqualTo(ScyllaMetaStore.MIGRATIONS.size());
            List<Block> chain = chain(1, 60);
            Writer w = index.writer("w1");
            assertThat(w.acquire()).isEqualTo(1);
            for (int i = 0; i < 60; i += 10) {
                assertThat(w.publish(chain.subList(i, i + 10)).head()).isEqualTo(i + 10);
            }
            w.compact();
            index.dropCaches();
            Random r = new Random(2);
            for (int i = 0; i < 50; i++) {
                LogQuery q = LogQuery.range((long) 1 + r.nextInt(30), (long) 30 + r.nextInt(40),
                        List.of("0xa" + r.nextInt(5)), r.nextBoolean() ? List.of() : List.of(List.of("0xt1")));
                assertThat(index.query(q).logs()).as("query %s", q).isEqualTo(expected(chain, q, 60));
            }
            assertThat(blobs.list("packs/")).hasSize(6);
            assertThat(index.health().status()).isEqualTo(io.fli.engine.Health.Status.OK);
            // Read page by page: ranged GETs, each of far fewer bytes than the blobs hold.
            io.fli.engine.IndexStats st = index.stats();
            assertThat(st.blobReads()).isGreaterThan(0);
            assertThat(st.cacheHits()).isGreaterThan(0);
        }
    }
}
