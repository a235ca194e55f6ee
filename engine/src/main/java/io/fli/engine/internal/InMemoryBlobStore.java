package io.fli.engine.internal;

import io.fli.engine.BackendException;
import io.fli.engine.BlobStore;
import io.fli.engine.WriteHook;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentSkipListMap;

/** An in-memory {@link BlobStore} with atomic create-only puts. */
public final class InMemoryBlobStore implements BlobStore {
    private record Stored(byte[] data, long created) {
    }

    private final ConcurrentSkipListMap<String, Stored> blobs = new ConcurrentSkipListMap<>();
    private final WriteHook hook;
    private final Clock clock;

    public InMemoryBlobStore(WriteHook hook, Clock clock) {
        this.hook = hook;
        this.clock = clock;
    }

    @Override
    public PutOutcome putIfAbsent(String key, byte[] data) {
        WriteHook.WritePoint p = new WriteHook.WritePoint("blob", "putIfAbsent", key);
        try {
            hook.beforeWrite(p);
            Stored prev = blobs.putIfAbsent(key, new Stored(data.clone(), clock.millis()));
            hook.afterWrite(p);
            return prev == null ? PutOutcome.CREATED : PutOutcome.ALREADY_EXISTS;
        } catch (WriteHook.LostReply e) {
            throw new BackendException("blob put of " + key + ": reply lost (" + e.getMessage() + ")", e);
        }
    }

    @Override
    public Optional<byte[]> get(String key) {
        Stored s = blobs.get(key);
        return s == null ? Optional.empty() : Optional.of(s.data.clone());
    }

    @Override
    public boolean remote() {
        return false;
    }

    @Override
    public Optional<byte[]> getRange(String key, long offset, int length) {
        Stored s = blobs.get(key);
        if (s == null) {
            return Optional.empty();
        }
        int from = (int) Math.min(offset, s.data.length);
        return Optional.of(java.util.Arrays.copyOfRange(s.data, from, (int) Math.min(s.data.length, offset + length)));
    }

    @Override
    public void delete(String key) {
        WriteHook.WritePoint p = new WriteHook.WritePoint("blob", "delete", key);
        try {
            hook.beforeWrite(p);
            blobs.remove(key);
            hook.afterWrite(p);
        } catch (WriteHook.LostReply e) {
            throw new BackendException("blob delete of " + key + ": reply lost (" + e.getMessage() + ")", e);
        }
    }

    @Override
    public List<BlobInfo> list(String prefix) {
        List<BlobInfo> out = new ArrayList<>();
        for (Map.Entry<String, Stored> e : blobs.tailMap(prefix).entrySet()) {
            if (!e.getKey().startsWith(prefix)) {
                break;
            }
            out.add(new BlobInfo(e.getKey(), e.getValue().data.length, e.getValue().created));
        }
        return out;
    }

    /** Test support: replace a blob's bytes in place, as bit rot or a bad disk would. */
    public void corrupt(String key, byte[] data) {
        blobs.computeIfPresent(key, (k, s) -> new Stored(data, s.created));
    }
}
