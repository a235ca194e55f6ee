package io.fli.faults;

import io.fli.engine.BlobStore;
import io.fli.engine.internal.InMemoryBlobStore;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.LongConsumer;

/**
 * Corruption: damages one stored blob (a log pack or an index segment) — or, one time in four when a meta store is
 * given, the {@code meta/state} record — behind the engine's back, as bit rot or a bad disk would, holds the damage
 * for a while, then restores the original bytes. The engine must fail closed while the
 * damage is there (answer {@code degraded}, never the damaged data). The damage changes one hex digit of the stored
 * text — an address, a topic or data — into another, so the object still decodes and only its checksum can tell.
 *
 * <p>The value recorded is {@code {"object":"packs/...","offset":N}}, the {@code corrupt} operation of the history
 * format.
 */
public final class CorruptNemesis implements Nemesis {
    /** Direct access to stored objects, bypassing the store's create-only rule. */
    public interface Corruptor {
        /** Keys under {@code prefix}, oldest first. */
        List<String> keys(String prefix);

        byte[] read(String key);

        void write(String key, byte[] data);
    }

    private final Corruptor store;
    /** The meta store, written directly (not through any index), or null when meta/state is not a target. */
    private io.fli.engine.MetaStore meta;
    private final Runnable afterDamage;
    private final Runnable afterRepair;
    private final long holdMillis;
    private final LongConsumer sleeper;

    /**
     * @param afterDamage runs once the damage is in place (e.g. drop the engine's caches, as a fresh reader would)
     * @param afterRepair runs once the bytes are restored (e.g. the operator restarts the failed-closed index)
     * @param sleeper     sleeps the given milliseconds (logical time in a simulation)
     */
    public CorruptNemesis(Corruptor store, Runnable afterDamage, Runnable afterRepair, long holdMillis,
                          LongConsumer sleeper) {
        this.store = store;
        this.afterDamage = afterDamage;
        this.afterRepair = afterRepair;
        this.holdMillis = holdMillis;
        this.sleeper = sleeper;
    }

    @Override
    public List<String> faults() {
        return List.of("corrupt");
    }

    /** Also damages {@code meta/state} (one time in four), through {@code meta}'s own compare-and-set. */
    public CorruptNemesis withMetaState(io.fli.engine.MetaStore meta) {
        this.meta = meta;
        return this;
    }

    @Override
    public Map<String, Object> invoke(String fault, Random random) {
        if (meta != null && random.nextInt(4) == 0) {
            return corruptState(random);
        }
        // The newest objects: the ones the current state most likely names and queries read (older ones are often
        // garbage that merges left behind, which nothing reads).
        // Packs three times as often as segments: damaged log text is what a reader would serve.
        List<String> keys = new ArrayList<>(newest(store.keys("packs/"), 3));
        keys.addAll(newest(store.keys("index/"), 1));
        Map<String, Object> done = new LinkedHashMap<>();
        if (keys.isEmpty()) {
            done.put("skipped", "nothing stored yet");
            return done;
        }
        String key = keys.get(random.nextInt(keys.size()));
        byte[] original = store.read(key);
        byte[] damaged = original.clone();
        int at = damage(damaged, random);
        if (at < 0) {
            done.put("skipped", "no text to damage in " + key);
            return done;
        }
        store.write(key, damaged);
        done.put("object", key);
        done.put("offset", at);
        hold(() -> store.write(key, original));
        done.put("restored", true);
        return done;
    }

    /** Keeps the damage in place for a while (the index must fail closed meanwhile), then undoes it and repairs. */
    private void hold(Runnable undo) {
        try {
            afterDamage.run();
            sleeper.accept(holdMillis);
        } finally {
            undo.run();
            afterRepair.run();
        }
    }

    /**
     * Damages meta/state: one bit of its payload flipped, written by a CAS of the record onto itself (so every
     * reader sees it, and a writer's next CAS finds it), restored by a CAS back only if it is still the damage.
     */
    private Map<String, Object> corruptState(Random random) {
        Map<String, Object> done = new LinkedHashMap<>();
        String key = "meta/state";
        var cur = meta.get(key);
        if (cur.isEmpty() || cur.get().value().length <= 13) {
            done.put("skipped", "no meta/state yet");
            return done;
        }
        var rec = cur.get();
        byte[] damaged = rec.value().clone();
        int at = 13 + random.nextInt(damaged.length - 13);
        damaged[at] ^= (byte) (1 << random.nextInt(8));
        if (!(meta.compareAndSet(key, rec.version(), rec.epoch(), rec.epoch(), damaged)
                instanceof io.fli.engine.CasResult.Applied)) {
            done.put("skipped", "meta/state changed under the nemesis");
            return done;
        }
        done.put("object", key);
        done.put("offset", at);
        // Only our damage is undone: a record that moved on since is left as it is.
        hold(() -> done.put("restored", meta.compareAndSet(key, rec.version() + 1, rec.epoch(), rec.epoch(),
                rec.value()) instanceof io.fli.engine.CasResult.Applied));
        return done;
    }

    private static List<String> newest(List<String> keys, int n) {
        return keys.subList(Math.max(0, keys.size() - n), keys.size());
    }

    /** Changes one lowercase hex digit after a random offset into another; returns its offset, or -1. */
    static int damage(byte[] data, Random random) {
        int start = data.length <= 16 ? 0 : 13 + random.nextInt(data.length - 13);
        for (int k = 0; k < data.length; k++) {
            int i = (start + k) % data.length;
            int c = data[i];
            if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')) {
                int digit = Character.digit(c, 16);
                int other = (digit + 1 + random.nextInt(15)) % 16;
                data[i] = (byte) Character.forDigit(other, 16);
                return i;
            }
        }
        return -1;
    }

    /** Objects of an in-memory store. */
    public static Corruptor inMemory(InMemoryBlobStore blobs) {
        return new Corruptor() {
            @Override
            public List<String> keys(String prefix) {
                return blobs.list(prefix).stream()
                        .sorted(java.util.Comparator.comparingLong(BlobStore.BlobInfo::createdMillis))
                        .map(BlobStore.BlobInfo::key).toList();
            }

            @Override
            public byte[] read(String key) {
                return blobs.get(key).orElseThrow();
            }

            @Override
            public void write(String key, byte[] data) {
                blobs.corrupt(key, data);
            }
        };
    }

    /** Objects of a local S3Proxy: files under {@code basedir/bucket/}, one per key. */
    public static Corruptor s3proxyFiles(Path basedir, String bucket) {
        Path root = basedir.resolve(bucket);
        return new Corruptor() {
            @Override
            public List<String> keys(String prefix) {
                Path dir = root.resolve(prefix);
                if (!Files.isDirectory(dir)) {
                    return List.of();
                }
                try (var files = Files.walk(dir)) {
                    return files.filter(Files::isRegularFile)
                            .sorted(java.util.Comparator.comparing(f -> f.toFile().lastModified()))
                            .map(f -> root.relativize(f).toString().replace('\\', '/')).toList();
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }

            @Override
            public byte[] read(String key) {
                try {
                    return Files.readAllBytes(root.resolve(key));
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }

            @Override
            public void write(String key, byte[] data) {
                try {
                    Files.write(root.resolve(key), data);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }
        };
    }
}
