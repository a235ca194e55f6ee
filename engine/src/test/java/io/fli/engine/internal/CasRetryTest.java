package io.fli.engine.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.fli.engine.Admin;
import io.fli.engine.BlobStore;
import io.fli.engine.Block;
import io.fli.engine.IndexConfig;
import io.fli.engine.LogIndex;
import io.fli.engine.MetaStore;
import io.fli.engine.PublishResult;
import io.fli.engine.WriteHook;
import io.fli.engine.Writer;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * A publish whose CAS loses to a renewal of the writer's own lease tries again from the fresh state — and keeps what
 * the first attempt had: the finished merge it was folding in (dropped with the attempt, the merge was scheduled,
 * computed, PUT as an existing key and GOT back to compare, again and again: a 50M-log local build spent its merge
 * thread that way) and the blobs it had stored (not encoded, PUT and compared a second time).
 */
class CasRetryTest {

    @Test
    void aPublishRetriedAfterARenewalKeepsItsMergeAndItsStoredBlobs() {
        List<Block> chain = PagedLayoutTest.chain(5, 0, 300, 500);
        Map<String, AtomicInteger> puts = new ConcurrentHashMap<>();
        AtomicInteger wholeGets = new AtomicInteger();
        BlobStore blobs = new WatchedBlobStore(BlobStore.inMemory()) {
            @Override
            public PutOutcome putIfAbsent(String key, byte[] data) {
                puts.computeIfAbsent(key, k -> new AtomicInteger()).incrementAndGet();
                return super.putIfAbsent(key, data);
            }

            @Override
            public Optional<byte[]> get(String key) {
                wholeGets.incrementAndGet();
                return super.get(key);
            }
        };
        AtomicBoolean renewFirst = new AtomicBoolean();
        AtomicReference<Writer> writer = new AtomicReference<>();
        AtomicInteger casTried = new AtomicInteger();
        AtomicInteger casApplied = new AtomicInteger();
        MetaStore meta = MetaStore.inMemory(new WriteHook() {
            @Override
            public void beforeWrite(WritePoint point) {
                if (point.op().equals("cas")) {
                    if (renewFirst.getAndSet(false)) {
                        writer.get().renew(); // between the publish's read and its CAS
                    }
                    casTried.incrementAndGet();
                }
            }

            @Override
            public void afterWrite(WritePoint point) {
                if (point.op().equals("cas")) {
                    casApplied.incrementAndGet();
                }
            }
        });
        // Merges run at once, on the publishing thread, so the fold is deterministic.
        IndexConfig config = IndexConfig.defaults().withMergeFanout(2).withBackground(Runnable::run);
        try (LogIndex index = LogIndex.open(meta, blobs, config)) {
            Writer w = index.writer("w");
            writer.set(w);
            w.acquire();
            w.publish(chain.subList(0, 100));
            w.publish(chain.subList(100, 200)); // two tier-0 segments: their merge runs after this CAS
            renewFirst.set(true);
            int tried = casTried.get();
            int applied = casApplied.get();
            PublishResult r = w.publish(chain.subList(200, 300));
            assertThat(casApplied.get() - applied).as("the renewal's CAS and the publish's").isEqualTo(2);
            assertThat(casTried.get() - tried - (casApplied.get() - applied))
                    .as("the publish's first CAS lost to the renewal").isEqualTo(1);
            assertThat(r.merged()).as("segments the retried publish replaced by the finished merge").isEqualTo(2);
            var segments = Admin.status(meta).orElseThrow().segments();
            assertThat(segments).extracting(s -> s.tier()).containsExactly(1, 0);
            assertThat(puts.values()).as("every blob PUT once").allSatisfy(n -> assertThat(n.get()).isEqualTo(1));
            assertThat(wholeGets.get()).as("existing blobs GOT back to compare").isZero();
            assertThat(index.query(io.fli.engine.LogQuery.range(0L, 299L, null, null)).logs()).hasSize(
                    chain.stream().mapToInt(b -> b.logs().size()).sum());
        }
    }
}
