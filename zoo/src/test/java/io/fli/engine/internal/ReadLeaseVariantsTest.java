package io.fli.engine.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.fli.engine.Block;
import io.fli.engine.BlobStore;
import io.fli.engine.HolderView;
import io.fli.engine.IndexConfig;
import io.fli.engine.Log;
import io.fli.engine.LogIndex;
import io.fli.engine.LogQuery;
import io.fli.engine.MetaStore;
import io.fli.engine.ReadLease;
import io.fli.engine.ViewStamp;
import io.fli.engine.WriteHook;
import io.fli.engine.Writer;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The read-lease protocol's three ways to be wrong (docs/design.md, "Read leases for query processes"), each a bug-zoo
 * variant of the engine, and the scenario that shows it: a process without the writer lease answers a head older
 * than one another process already read. The correct engine passes each scenario; each variant fails the one it
 * breaks. ({@code read-lease-not-revoked} and {@code read-lease-after-revoke} are caught by the harness too
 * ({@code BugZooTest}); {@code read-lease-from-arrival} needs a process paused while its grant is on the way, which
 * the simulation's transport does not produce, so it is proven here only.)
 */
class ReadLeaseVariantsTest {
    /** A clock that moves only when told. */
    static final class Manual extends Clock {
        volatile long millis = 1_000_000;

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return Instant.ofEpochMilli(millis);
        }
    }

    private final Manual clock = new Manual();
    private final MetaStore meta = MetaStore.inMemory();
    private final BlobStore blobs = BlobStore.inMemory(WriteHook.NONE, clock);
    private final IndexConfig config = IndexConfig.defaults().withClock(clock).withLeaseDuration(Duration.ofSeconds(5));
    private final LogQuery all = LogQuery.range(null, null, null, null);

    private static List<Block> chain(int from, int to) {
        List<Block> out = new ArrayList<>();
        for (int n = from; n < to; n++) {
            out.add(new Block(n, "0xh" + n, n == 0 ? null : "0xh" + (n - 1), List.of(new Log(0, 0, "0xa" + n % 3,
                    List.of("0xt9"), null))));
        }
        return out;
    }

    private LogIndex open(String variant, MetaStore m, IndexConfig c) {
        LogIndex broken = variant == null ? null : BrokenEngines.open(variant, m, blobs, c);
        return broken != null ? broken : LogIndex.open(m, blobs, c);
    }

    /**
     * The asker's transport: a grant's answer takes {@code replyMs} to arrive (the clock moves on after the holder
     * granted); revocations are acknowledged at once unless {@code deaf}.
     */
    private final class Transport implements HolderView {
        final LogIndex holder;
        final AtomicInteger revocations = new AtomicInteger();
        volatile long replyMs;
        volatile boolean deaf;

        Transport(LogIndex holder) {
            this.holder = holder;
        }

        @Override
        public Optional<ViewStamp> current() {
            return holder.leaseView();
        }

        @Override
        public boolean leases() {
            return true;
        }

        @Override
        public Optional<ReadLease> readLease(ViewStamp have, java.util.function.Consumer<byte[]> onRevoke) {
            Optional<ReadLease> l = holder.grantReadLease(have, 200, (grant, coming) -> {
                revocations.incrementAndGet();
                if (!deaf) {
                    onRevoke.accept(coming);
                    holder.readLeaseAcknowledged(grant);
                }
            });
            clock.millis += replyMs;
            return l;
        }
    }

    /** Holder {@code h} (variant {@code hv}), asker {@code b} (variant {@code bv}), and a plain third process. */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"correct", "read-lease-not-revoked", "read-lease-after-revoke"})
    void aRevokedOrUnrevokedLeaseAgainstAHeadAnotherProcessRead(String variant) {
        String v = variant.equals("correct") ? null : variant;
        AtomicReference<Runnable> duringCas = new AtomicReference<>();
        MetaStore hooked = MetaStore.hooked(meta, new WriteHook() {
            @Override
            public void afterWrite(WriteHook.WritePoint point) {
                Runnable r = duringCas.getAndSet(null);
                if (r != null && point.op().equals("cas")) {
                    r.run();
                }
            }
        });
        LogIndex a = open("read-lease-not-revoked".equals(v) ? v : null, hooked, config);
        Writer w = a.writer("a");
        w.acquire();
        w.publish(chain(0, 3));
        LogIndex b = open("read-lease-after-revoke".equals(v) ? v : null, meta, config.withHolderView(new Transport(a)));
        LogIndex c = LogIndex.open(meta, blobs, config);
        assertThat(b.query(all).head()).isEqualTo(2);
        assertThat(b.query(all).head()).isEqualTo(2);
        assertThat(b.stats().readLeaseAnswers()).isEqualTo(1);
        long[] seen = new long[2];
        duringCas.set(() -> {
            seen[0] = c.query(all).head();
            seen[1] = b.query(all).head();
        });
        w.publish(chain(3, 6));
        assertThat(seen[0]).isEqualTo(5);
        if (v == null) {
            assertThat(seen[1]).as("B answered after C had read head 5").isEqualTo(5);
        } else {
            assertThat(seen[1]).as(variant + ": B answers the old head after C read the new one").isEqualTo(2);
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"correct", "read-lease-from-arrival"})
    void aGrantWhoseAnswerWasSlowAndWhoseRevocationWentUnheard(String variant) throws Exception {
        String v = variant.equals("correct") ? null : variant;
        LogIndex a = LogIndex.open(meta, blobs, config);
        Writer w = a.writer("a");
        w.acquire();
        w.publish(chain(0, 3));
        Transport t = new Transport(a);
        LogIndex b = open(v, meta, config.withHolderView(t));
        t.replyMs = 100; // the grant's answer takes 100 ms to arrive
        t.deaf = true;   // and the asker is unreachable for the revocation
        long sent = clock.millis;
        assertThat(b.query(all).head()).isEqualTo(2);
        t.replyMs = 0;
        // The holder publishes: it waits out the grant (200 ms + the allowance from the grant) on its clock.
        CompletableFuture<Void> publish = CompletableFuture.runAsync(() -> w.publish(chain(3, 6)));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (t.revocations.get() == 0 && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        clock.millis = sent + 200 + ReadLease.allowanceMs(200);
        publish.get(60, TimeUnit.SECONDS);
        assertThat(LogIndex.open(meta, blobs, config).query(all).head()).isEqualTo(5);
        long head = b.query(all).head();
        if (v == null) {
            assertThat(head).as("counted from its sending, the lease had run out").isEqualTo(5);
        } else {
            assertThat(head).as(variant + ": counted from the arrival, the lease still answers the old head")
                    .isEqualTo(2);
        }
    }
}
