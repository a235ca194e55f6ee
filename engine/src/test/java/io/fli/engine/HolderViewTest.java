package io.fli.engine;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * A process without the lease asks the lease holder's process which state is current ({@link HolderView}) and
 * answers from the state it read last when the holder names it, instead of reading meta/state per query. Every case
 * where the holder could not answer its own queries from its view must send the other process to the store.
 */
class HolderViewTest {
    private final ManualClock clock = new ManualClock(1_000_000);
    private final MetaStore meta = MetaStore.inMemory();
    private final BlobStore blobs = BlobStore.inMemory(WriteHook.NONE, clock);
    private final IndexConfig config = IndexConfig.defaults().withClock(clock).withLeaseDuration(Duration.ofSeconds(5));
    private final List<Block> chain = TestChains.chain(33, 0, 30, 4);
    private final LogQuery all = LogQuery.range(null, null, null, null);

    /** A writer of {@code index} that took the lease and published the chain's first {@code blocks} blocks. */
    private Writer holding(LogIndex index, int blocks) {
        Writer w = index.writer("holder");
        w.acquire();
        w.publish(chain.subList(0, blocks));
        return w;
    }

    @Test
    void anotherProcessAnswersFromTheStateTheHolderNamesWithoutReadingIt() {
        LogIndex holder = LogIndex.open(meta, blobs, config);
        Writer w = holding(holder, 5);
        assertThat(holder.leaseView()).isPresent();
        LogIndex other = LogIndex.open(meta, blobs, config.withHolderView(holder::leaseView));

        // It has no state yet: the holder's answer carries the record, and it answers from that.
        assertThat(other.query(all).head()).isEqualTo(4);
        assertThat(other.stats().holderViewRecords()).isEqualTo(1);
        long reads = other.stats().stateReads();
        assertThat(reads).isZero();
        for (int i = 0; i < 10; i++) {
            QueryResult r = other.query(all);
            assertThat(r.head()).isEqualTo(4);
            assertThat(r.logs()).isEqualTo(TestChains.bruteForce(chain, all, 4));
        }
        assertThat(other.stats().stateReads()).as("no read of meta/state while the holder names its state")
                .isEqualTo(reads);
        assertThat(other.stats().holderViewAnswers()).isEqualTo(11);

        // The holder moves on: the state it names is not the other process's, and its answer carries that record's
        // bytes: the other process answers from them, still without reading meta/state, and keeps them.
        w.publish(chain.subList(5, 9));
        assertThat(other.query(all).head()).isEqualTo(8);
        assertThat(other.stats().stateReads()).isEqualTo(reads);
        assertThat(other.stats().holderViewRecords()).isEqualTo(2);
        assertThat(other.query(all).logs()).isEqualTo(TestChains.bruteForce(chain, all, 8));
        assertThat(other.stats().stateReads()).isEqualTo(reads);
        assertThat(other.stats().holderViewAnswers()).isEqualTo(13);
        assertThat(other.stats().holderViewRecords()).as("the second query had the state named").isEqualTo(2);
    }

    @Test
    void theHolderSendsTheRecordOnlyToAProcessThatDoesNotHaveIt() {
        LogIndex holder = LogIndex.open(meta, blobs, config);
        Writer w = holding(holder, 5);
        List<ViewStamp> asked = new java.util.ArrayList<>();
        List<ViewStamp> answered = new java.util.ArrayList<>();
        HolderView hv = new HolderView() {
            @Override
            public Optional<ViewStamp> current() {
                return current(null);
            }

            @Override
            public Optional<ViewStamp> current(ViewStamp have) {
                asked.add(have);
                // What a holder's endpoint does: the bytes only to a process that has another state.
                Optional<ViewStamp> v = holder.leaseView().map(s -> s.answering(have));
                answered.add(v.orElse(null));
                return v;
            }
        };
        LogIndex other = LogIndex.open(meta, blobs, config.withHolderView(hv));
        assertThat(other.query(all).head()).isEqualTo(4);
        assertThat(asked.get(0)).as("it had no state").isNull();
        assertThat(answered.get(0).state()).isNotNull();
        assertThat(other.stats().stateReads()).as("the first state came with the answer").isZero();
        assertThat(other.query(all).head()).isEqualTo(4);
        assertThat(asked.get(1)).isEqualTo(holder.leaseView().orElseThrow().withoutState());
        assertThat(answered.get(1).state()).isNull();
        w.publish(chain.subList(5, 7));
        assertThat(other.query(all).logs()).isEqualTo(TestChains.bruteForce(chain, all, 6));
        assertThat(answered.get(2).state()).isNotNull();
        assertThat(other.stats().stateReads()).isZero();
        assertThat(other.stats().holderViewRecords()).isEqualTo(2);
    }

    @Test
    void whileTheHoldersCasIsInFlightItNamesNothingSoNoProcessAnswersAnOlderHeadThanAnotherAlreadyRead() {
        // The moment A's CAS has applied in the store (before A hears the reply), process C reads the new head; a
        // query of B, which asks A, must not return the older head after that.
        DuringCas duringCas = new DuringCas(meta);
        MetaStore hooked = duringCas.meta;
        LogIndex a = LogIndex.open(hooked, blobs, config);
        LogIndex b = LogIndex.open(meta, blobs, config.withHolderView(a::leaseView));
        LogIndex c = LogIndex.open(meta, blobs, config);
        Writer w = holding(a, 3);
        assertThat(b.query(all).head()).isEqualTo(2);
        assertThat(b.query(all).head()).isEqualTo(2);
        assertThat(b.stats().holderViewAnswers()).isEqualTo(2);
        Long[] seen = new Long[2];
        Optional<?>[] named = new Optional<?>[1];
        duringCas.next(() -> {
            named[0] = a.leaseView();
            seen[0] = c.query(all).head(); // the store already says 5
            seen[1] = b.query(all).head(); // B must not say 2 any more
        });
        w.publish(chain.subList(3, 6));
        assertThat(named[0]).as("the holder names nothing while its CAS is in flight").isEmpty();
        assertThat(seen[0]).isEqualTo(5);
        assertThat(seen[1]).as("B answered after C had read head 5").isEqualTo(5);
        assertThat(a.leaseView()).as("the CAS applied: the holder names its new state").isPresent();
    }

    @Test
    void aHolderWhoseLeaseRanOutOrWasTakenOverCannotKeepAnotherProcessOnAnOldHead() {
        LogIndex a = LogIndex.open(meta, blobs, config);
        Writer wa = holding(a, 5);
        LogIndex b = LogIndex.open(meta, blobs, config.withHolderView(a::leaseView));
        assertThat(b.query(all).head()).isEqualTo(4);

        // Its lease runs out by its own clock (less the skew allowance): it names nothing, B reads the store.
        clock.advance(config.leaseDuration());
        assertThat(a.leaseView()).isEmpty();
        long reads = b.stats().stateReads();
        assertThat(b.query(all).head()).isEqualTo(4);
        assertThat(b.stats().stateReads()).isEqualTo(reads + 1);

        // A renews; another process takes the lease over and, once A's lease has run out, publishes. B still asks
        // A (its configuration is stale): A's view is gone by then, so B reads and sees the new head.
        wa.renew();
        LogIndex n = LogIndex.open(meta, blobs, config);
        Writer wn = n.writer("n");
        wn.takeOver();
        // Until A's lease runs out A may still name its state — and the new holder may not publish.
        assertThat(a.leaseView()).isPresent();
        assertThat(b.query(all).head()).isEqualTo(4);
        clock.advance(config.leaseDuration().plusSeconds(1));
        wn.publish(chain.subList(5, 10));
        assertThat(a.leaseView()).isEmpty();
        assertThat(b.query(all).head()).isEqualTo(9);
    }

    @Test
    void noAnswerAnErrorOrAnotherStateCostsARead() {
        LogIndex a = LogIndex.open(meta, blobs, config);
        Writer wa = holding(a, 5);
        ViewStamp current = a.leaseView().orElseThrow();
        for (HolderView hv : List.<HolderView>of(Optional::empty, () -> null, () -> {
            throw new IllegalStateException("holder unreachable");
        }, () -> Optional.of(new ViewStamp(current.epoch() + 1, current.version())),
                () -> Optional.of(new ViewStamp(current.epoch(), current.version() - 1)),
                // another state with bytes that do not decode (damaged on the way): the store decides
                () -> Optional.of(new ViewStamp(current.epoch(), current.version() + 1, new byte[]{1, 2, 3})),
                () -> {
                    byte[] flipped = current.state().clone();
                    flipped[flipped.length / 2] ^= 0x10;
                    return Optional.of(new ViewStamp(current.epoch(), current.version() + 1, flipped));
                })) {
            LogIndex b = LogIndex.open(meta, blobs, config.withHolderView(hv));
            for (int i = 0; i < 3; i++) {
                assertThat(b.query(all).logs()).isEqualTo(TestChains.bruteForce(chain, all, 4));
            }
            assertThat(b.stats().stateReads()).isEqualTo(3);
            assertThat(b.stats().holderViewAnswers()).isZero();
        }
    }

    @Test
    void aRelayThatRemembersTheHoldersLastAnswerServesAStaleHead() {
        // The broken variant this protocol forbids: a relay that, when the holder does not answer, repeats what it
        // said last. While the holder's CAS is in flight another process already reads the new head, and the relay's
        // process answers the old one after it — the stale read the checker calls a snapshot-consistent violation.
        DuringCas duringCas = new DuringCas(meta);
        MetaStore hooked = duringCas.meta;
        LogIndex a = LogIndex.open(hooked, blobs, config);
        AtomicReference<Optional<ViewStamp>> remembered = new AtomicReference<>(Optional.empty());
        HolderView remembering = () -> {
            Optional<ViewStamp> now = a.leaseView();
            if (now.isPresent()) {
                remembered.set(now);
                return now;
            }
            return remembered.get();
        };
        LogIndex b = LogIndex.open(meta, blobs, config.withHolderView(remembering));
        LogIndex c = LogIndex.open(meta, blobs, config);
        Writer w = holding(a, 3);
        assertThat(b.query(all).head()).isEqualTo(2);
        assertThat(b.query(all).head()).isEqualTo(2);
        Long[] seen = new Long[2];
        duringCas.next(() -> {
            seen[0] = c.query(all).head();
            seen[1] = b.query(all).head();
        });
        w.publish(chain.subList(3, 6));
        assertThat(seen[0]).isEqualTo(5);
        assertThat(seen[1]).as("the broken relay kept B on the old head").isEqualTo(2);
    }
}
