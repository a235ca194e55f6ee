package io.fli.engine;

import io.fli.engine.internal.InMemoryMetaStore;
import java.util.Optional;

/**
 * Metadata storage with true compare-and-set (ScyllaDB/Cassandra lightweight transactions in production).
 *
 * <h2>Retry contract</h2>
 * <ul>
 *   <li>{@link #get} is idempotent and may be retried freely. It is linearizable: it reflects every write that was
 *       applied before it started, and it settles any conditional write that was in flight (in CQL: a SERIAL read).
 *       </li>
 *   <li>{@link #getCommitted} is idempotent too, and cheaper: it reflects every write that <em>completed</em> (returned
 *       applied) before it started, but not necessarily one still in flight, and it settles nothing (in CQL: a QUORUM
 *       read, which sees every conditional write whose commit — written at QUORUM before the write returns — is
 *       done).</li>
 *   <li>{@link #putIfAbsent} and {@link #compareAndSet} are <b>not</b> blindly retryable: after an
 *       {@link CasResult.Unknown} the caller re-reads with {@link #get} and decides from what it finds. Retrying the
 *       same conditional write after a re-read is safe, because its condition is re-checked.</li>
 *   <li>Transport failures that certainly happened before the request reached the store throw
 *       {@link BackendException}; nothing was written.</li>
 * </ul>
 */
public interface MetaStore extends AutoCloseable {

    /** A linearizable read of {@code key}; empty when the record does not exist. */
    Optional<MetaRecord> get(String key);

    /**
     * A read of {@code key} that reflects every write that completed before it started (a write in flight may or may
     * not show); empty when the record does not exist. Queries use it; writers and outcome resolution use
     * {@link #get}. The default is {@link #get}.
     */
    default Optional<MetaRecord> getCommitted(String key) {
        return get(key);
    }

    /** Creates {@code key} at version 1 and the given epoch, only if it does not exist. */
    CasResult putIfAbsent(String key, long epoch, byte[] value);

    /**
     * Replaces {@code key} only if its version is {@code expectedVersion} <b>and</b> its epoch is
     * {@code expectedEpoch} — the writer fence is inside the condition, never a separate read. On success the
     * version becomes {@code expectedVersion + 1} and the epoch {@code newEpoch}.
     */
    CasResult compareAndSet(String key, long expectedVersion, long expectedEpoch, long newEpoch, byte[] value);

    @Override
    default void close() {
    }

    /** A fresh, empty in-memory store. */
    static MetaStore inMemory() {
        return new InMemoryMetaStore(WriteHook.NONE);
    }

    /** {@code store} with every conditional write passed through {@code hook} (crash points on any store). */
    static MetaStore hooked(MetaStore store, WriteHook hook) {
        return io.fli.engine.internal.HookedStores.meta(store, hook);
    }

    /** A fresh in-memory store whose writes pass through {@code hook} (crash and lost-reply injection). */
    static MetaStore inMemory(WriteHook hook) {
        return new InMemoryMetaStore(hook);
    }
}
