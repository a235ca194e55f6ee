package io.fli.engine;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * Read leases (docs/design.md, "Read leases for query processes"), on a clock that moves only when told: a process
 * without the writer lease asks the holder once per state and answers its queries from the granted state without
 * asking again, until the holder revokes the grant before its next CAS (and waits for the acknowledgement or for the
 * grant's end on its own clock), or the grant runs out — counted from the request's sending.
 */
class ReadLeaseTest {
    private final ManualClock clock = new ManualClock(1_000_000);
    private final MetaStore meta = MetaStore.inMemory();
    private final BlobStore blobs = BlobStore.inMemory(WriteHook.NONE, clock);
    private final IndexConfig config = IndexConfig.defaults().withClock(clock).withLeaseDuration(Duration.ofSeconds(5));
    private final List<Block> chain = TestChains.chain(33, 0, 30, 4);
    private final LogQuery all = LogQuery.range(null, null, null, null);

    /**
     * An in-process transport to the holder: asks count questions, {@code delayMs} is how long a request takes to
     * arrive (the clock moves on by that much before the holder answers), and revocations are acknowledged at once
     * unless {@code deaf} (a paused or partitioned asker: they are kept in {@code unheard}).
     */
    static class Transport implements HolderView {
        final LogIndex holder;
        final long lengthMs;
        final ManualClock clock;
        final AtomicInteger asks = new AtomicInteger();
        final AtomicInteger revocations = new AtomicInteger();
        volatile byte[] lastComing;
        final List<Runnable> unheard = new ArrayList<>();
        volatile long delayMs;
        volatile boolean deaf;

        Transport(LogIndex holder, long lengthMs, ManualClock clock) {
            this.holder = holder;
            this.lengthMs = lengthMs;
            this.clock = clock;
        }

        @Override
        public Optional<ViewStamp> current() {
            return current(null);
        }

        @Override
        public Optional<ViewStamp> current(ViewStamp have) {
            asks.incrementAndGet();
            return holder.leaseView().map(v -> v.answering(have));
        }

        @Override
        public boolean leases() {
            return true;
        }

        @Override
        public Optional<ReadLease> readLease(ViewStamp have, java.util.function.Consumer<byte[]> onRevoke) {
            asks.incrementAndGet();
            clock.advance(Duration.ofMillis(delayMs));
            return holder.grantReadLease(have, lengthMs, (grant, coming) -> {
                revocations.incrementAndGet();
                lastComing = coming;
                Runnable deliver = () -> {
                    onRevoke.accept(coming);
                    holder.readLeaseAcknowledged(grant);
                };
                if (deaf) {
                    synchronized (unheard) {
                        unheard.add(deliver);
                    }
                } else {
                    deliver.run();
                }
            });
        }
    }

    private Writer holding(LogIndex index, int blocks) {
        Writer w = index.writer("holder");
        w.acquire();
        w.publish(chain.subList(0, blocks));
        return w;
    }

    @Test
    void aLeasedProcessAsksOncePerStateAndAnswersEveryQueryInBetweenWithoutAsking() {
        LogIndex holder = LogIndex.open(meta, blobs, config);
        Writer w = holding(holder, 5);
        Transport t = new Transport(holder, 200, clock);
        LogIndex other = LogIndex.open(meta, blobs, config.withHolderView(t));
        for (int i = 0; i < 20; i++) {
            assertThat(other.query(all).logs()).isEqualTo(TestChains.bruteForce(chain, all, 4));
        }
        assertThat(t.asks.get()).as("one question for twenty queries").isEqualTo(1);
        assertThat(other.stats().readLeaseAnswers()).isEqualTo(19);
        assertThat(other.stats().stateReads()).isZero();

        // The holder publishes: it revokes first (acknowledged at once here), and the next query asks again and sees
        // the new head.
        w.publish(chain.subList(5, 9));
        assertThat(t.revocations.get()).isEqualTo(1);
        // The revocation carried the state the CAS was about to write (the asker may warm what it names).
        assertThat(t.lastComing).isEqualTo(meta.getCommitted(STATE).orElseThrow().value());
        assertThat(other.query(all).head()).isEqualTo(8);
        assertThat(t.asks.get()).isEqualTo(2);
        assertThat(other.query(all).head()).isEqualTo(8);
        assertThat(t.asks.get()).isEqualTo(2);
        assertThat(other.stats().stateReads()).isZero();
    }

    @Test
    void theHoldersCasIsSentOnlyAfterEveryGrantWasRevokedSoNoProcessAnswersAnOlderHeadThanAnotherRead() {
        // The moment A's CAS has applied (before A hears the reply), C reads the new head; B, which holds a read
        // lease from A, must not answer the old head after that.
        DuringCas duringCas = new DuringCas(meta);
        LogIndex a = LogIndex.open(duringCas.meta, blobs, config);
        Transport t = new Transport(a, 200, clock);
        LogIndex b = LogIndex.open(meta, blobs, config.withHolderView(t));
        LogIndex c = LogIndex.open(meta, blobs, config);
        Writer w = holding(a, 3);
        assertThat(b.query(all).head()).isEqualTo(2);
        assertThat(b.query(all).head()).isEqualTo(2);
        assertThat(b.stats().readLeaseAnswers()).isEqualTo(1);
        long[] seen = new long[2];
        duringCas.next(() -> {
            seen[0] = c.query(all).head();
            seen[1] = b.query(all).head();
        });
        w.publish(chain.subList(3, 6));
        assertThat(seen[0]).isEqualTo(5);
        assertThat(seen[1]).as("B answered after C had read head 5").isEqualTo(5);
    }

    @Test
    void aRevocationThatIsNotAcknowledgedIsWaitedOutOnTheHoldersClockBeforeTheCas() throws Exception {
        LogIndex holder = LogIndex.open(meta, blobs, config);
        Writer w = holding(holder, 5);
        Transport t = new Transport(holder, 300, clock);
        LogIndex other = LogIndex.open(meta, blobs, config.withHolderView(t));
        assertThat(other.query(all).head()).isEqualTo(4);
        long granted = clock.millis();
        t.deaf = true; // the asker is paused: it never hears the revocation
        long before = meta.getCommitted(STATE).orElseThrow().version();
        CompletableFuture<Void> publish = CompletableFuture.runAsync(() -> w.publish(chain.subList(5, 9)));
        waitFor(() -> t.revocations.get() == 1);
        // The CAS must not go out before the grant's end plus the allowance by the holder's clock.
        long deadline = granted + 300 + ReadLease.allowanceMs(300);
        clock.advance(Duration.ofMillis(deadline - clock.millis() - 1));
        Thread.sleep(100); // the wait looks at the clock every 10 ms: it had ten chances to (wrongly) stop
        assertThat(publish).as("still waiting a millisecond before the grant's end").isNotDone();
        assertThat(meta.getCommitted(STATE).orElseThrow().version()).as("no CAS sent").isEqualTo(before);
        clock.advance(Duration.ofMillis(1));
        publish.get(60, TimeUnit.SECONDS);
        // The asker, had it kept answering, would have stopped by its own clock before that: it counted from sending.
        assertThat(other.query(all).head()).isEqualTo(8);
    }

    @Test
    void anAcknowledgementEndsTheWaitAtOnce() throws Exception {
        LogIndex holder = LogIndex.open(meta, blobs, config);
        Writer w = holding(holder, 5);
        Transport t = new Transport(holder, 1_000, clock);
        LogIndex other = LogIndex.open(meta, blobs, config.withHolderView(t));
        assertThat(other.query(all).head()).isEqualTo(4);
        t.deaf = true;
        CompletableFuture<Void> publish = CompletableFuture.runAsync(() -> w.publish(chain.subList(5, 9)));
        waitFor(() -> t.revocations.get() == 1);
        assertThat(publish).isNotDone();
        synchronized (t.unheard) {
            t.unheard.forEach(Runnable::run); // the asker comes back, stops using the lease and acknowledges
        }
        publish.get(60, TimeUnit.SECONDS); // the clock never moved: the acknowledgement ended the wait
        assertThat(other.query(all).head()).isEqualTo(8);
    }

    @Test
    void aLeaseIsCountedFromTheRequestsSendingNotFromTheAnswersArrival() {
        LogIndex holder = LogIndex.open(meta, blobs, config);
        holding(holder, 5);
        Transport t = new Transport(holder, 200, clock);
        t.delayMs = 150; // the request takes 150 ms to reach the holder
        LogIndex other = LogIndex.open(meta, blobs, config.withHolderView(t));
        long sent = clock.millis();
        assertThat(other.query(all).head()).isEqualTo(4);
        t.delayMs = 0;
        // Usable until sent + 200 - allowance (180 ms after sending), i.e. 30 ms after it arrived.
        clock.advance(Duration.ofMillis(sent + 200 - ReadLease.allowanceMs(200) - clock.millis() - 1));
        other.query(all);
        assertThat(t.asks.get()).as("still within the lease").isEqualTo(1);
        clock.advance(Duration.ofMillis(1));
        other.query(all);
        assertThat(t.asks.get()).as("counted from the sending, it has run out").isEqualTo(2);
    }

    @Test
    void aHolderGrantsNoLeaseThatWouldOutliveItsOwnAndNoneLongerThanTheMaximum() {
        LogIndex holder = LogIndex.open(meta, blobs, config);
        holding(holder, 5);
        Optional<ReadLease> l = holder.grantReadLease(null, 60_000, (g, coming) -> { });
        assertThat(l).isPresent();
        assertThat(l.get().lengthMs()).isEqualTo(LogIndex.MAX_READ_LEASE_MS);
        assertThat(l.get().view().state()).as("the asker had no state").isNotNull();
        // Near the end of its own lease it still names its state, without a promise.
        long validUntil = 5_000 - Math.min(1_000, 5_000 / 4);
        clock.advance(Duration.ofMillis(validUntil - 200));
        Optional<ReadLease> late = holder.grantReadLease(l.get().view(), 300, (g, coming) -> { });
        assertThat(late).isPresent();
        assertThat(late.get().grant()).isZero();
        assertThat(late.get().view().state()).as("the asker has this state").isNull();
        // Without a lease view, nothing.
        clock.advance(Duration.ofSeconds(1));
        assertThat(holder.grantReadLease(null, 100, (g, coming) -> { })).isEmpty();
        // A process without the lease grants nothing.
        assertThat(LogIndex.open(meta, blobs, config).grantReadLease(null, 100, (g, coming) -> { })).isEmpty();
    }

    @Test
    void aRevokedLeaseIsNotUsedEvenBeforeItRunsOut() {
        LogIndex holder = LogIndex.open(meta, blobs, config);
        holding(holder, 5);
        List<java.util.function.Consumer<byte[]>> revokes = new ArrayList<>();
        HolderView hv = new Transport(holder, 1_000, clock) {
            @Override
            public Optional<ReadLease> readLease(ViewStamp have, java.util.function.Consumer<byte[]> onRevoke) {
                revokes.add(onRevoke);
                return super.readLease(have, onRevoke);
            }
        };
        LogIndex other = LogIndex.open(meta, blobs, config.withHolderView(hv));
        other.query(all);
        other.query(all);
        assertThat(other.stats().readLeaseAnswers()).isEqualTo(1);
        revokes.get(0).accept(null);
        other.query(all);
        assertThat(other.stats().readLeaseAnswers()).as("revoked: it asked again").isEqualTo(1);
        assertThat(revokes).hasSize(2);
    }

    private static final String STATE = "meta/state";

    private static void waitFor(java.util.function.BooleanSupplier condition) throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > end) {
                throw new AssertionError("condition not met within 60 s");
            }
            Thread.sleep(5);
        }
    }
}
