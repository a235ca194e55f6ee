package io.fli.engine;

import static org.assertj.core.api.Assertions.assertThat;

import io.fli.engine.internal.InMemoryBlobStore;
import io.fli.engine.internal.InMemoryMetaStore;
import java.time.Clock;
import java.util.List;
import org.junit.jupiter.api.Test;

class AdminTest {
    private final InMemoryMetaStore meta = new InMemoryMetaStore(WriteHook.NONE);
    private final InMemoryBlobStore blobs = new InMemoryBlobStore(WriteHook.NONE, Clock.systemUTC());
    private final List<Block> chain = TestChains.chain(5, 0, 12, 4);

    private void publish() {
        LogIndex index = LogIndex.open(meta, blobs, IndexConfig.defaults());
        Writer w = index.writer("w1");
        w.acquire();
        w.publish(chain.subList(0, 6));
        w.publish(chain.subList(6, 12));
    }

    @Test
    void statusReadsTheCommittedStateWithoutALease() {
        assertThat(Admin.status(meta)).isEmpty();
        publish();
        Admin.Status s = Admin.status(meta).orElseThrow();
        assertThat(s.head()).isEqualTo(chain.get(11).number());
        assertThat(s.headHash()).isEqualTo(chain.get(11).hash());
        assertThat(s.firstBlock()).isEqualTo(chain.get(0).number());
        assertThat(s.holder()).isEqualTo("w1");
        assertThat(s.leaseHeld(System.currentTimeMillis())).isTrue();
        assertThat(s.segments()).isNotEmpty();
        assertThat(s.segments().stream().mapToLong(Admin.Segment::logCount).sum()).isEqualTo(s.nextLogId());
        assertThat(s.version()).isGreaterThanOrEqualTo(3); // created, leased, two publishes
    }

    @Test
    void verifyReadsEveryReferencedBlobAndNamesEachDamagedOrMissingOne() {
        publish();
        Admin.VerifyReport clean = Admin.verify(meta, blobs);
        assertThat(clean.ok()).as(clean.problems().toString()).isTrue();
        assertThat(clean.segments()).isPositive();
        assertThat(clean.packs()).isPositive();
        assertThat(clean.bytes()).isPositive();

        List<BlobStore.BlobInfo> packs = blobs.list("packs/");
        String pack = packs.get(packs.size() - 1).key(); // blocks 6-11: its segment stays
        byte[] b = blobs.get(pack).orElseThrow().clone();
        b[b.length / 2] ^= 0x10;
        blobs.corrupt(pack, b);
        String segment = blobs.list("index/").get(0).key();
        blobs.delete(segment);
        Admin.VerifyReport damaged = Admin.verify(meta, blobs);
        assertThat(damaged.ok()).isFalse();
        assertThat(damaged.problems()).hasSize(2)
                .anySatisfy(p -> assertThat(p).startsWith("pack " + pack + " does not decode: "))
                .contains("segment " + segment + " (blocks 0-5) is missing");
    }
}
