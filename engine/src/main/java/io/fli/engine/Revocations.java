package io.fli.engine;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A lease holder's revocations of read leases for askers it cannot call back: each asker waits on its grant ({@link
 * #await}, a long-polled request), and the {@link #revoker()} given to {@link LogIndex#grantReadLease} ends that wait.
 * Entries go a minute after they were made (a grant lasts at most a second): an asker that never watched (killed)
 * leaves nothing behind for long.
 */
public final class Revocations {
    private static final byte[] NONE = new byte[0];

    private final Cache<Long, CompletableFuture<byte[]>> byGrant = Caffeine.newBuilder()
            .expireAfterWrite(Duration.ofMinutes(1)).build();

    private CompletableFuture<byte[]> of(long grant) {
        return byGrant.get(grant, g -> new CompletableFuture<>());
    }

    /** What the holder calls on revoking a grant (it does not block). */
    public ReadLease.Revoker revoker() {
        return (grant, coming) -> of(grant).complete(coming == null ? NONE : coming);
    }

    /**
     * Waits up to {@code waitMs} for grant {@code grant}'s revocation (at once if it came already): null when none
     * came in time, else the state the holder's CAS is about to write (empty when the revocation had another cause).
     */
    public byte[] await(long grant, long waitMs) {
        try {
            byte[] coming = of(grant).get(waitMs, TimeUnit.MILLISECONDS);
            byGrant.invalidate(grant);
            return coming;
        } catch (TimeoutException | ExecutionException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    /** The asker acknowledged grant {@code grant}: nothing more to keep. */
    public void forget(long grant) {
        byGrant.invalidate(grant);
    }
}
