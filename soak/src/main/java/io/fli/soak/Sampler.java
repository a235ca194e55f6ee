package io.fli.soak;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.management.GarbageCollectionNotificationInfo;
import io.fli.backends.LocalServer;
import io.fli.engine.BlobStore;
import io.fli.engine.MetaStore;
import java.io.IOException;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryUsage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import javax.management.NotificationEmitter;
import javax.management.NotificationListener;
import javax.management.openmbean.CompositeData;

/**
 * The soak's time series: every sample interval one JSON line in {@code timeseries.jsonl} with heap used after GC,
 * the part of it the engine holds, RSS of fli and of each server process, threads, stored objects and bytes per
 * kind, the GC backlog and the head lag; and the end of a latency interval.
 *
 * <p>Heap after GC: every {@code live_set_every} a sample first runs a full GC and reads what it left (each heap
 * pool's usage after its last collection): the live heap, the leak trend's data. Other samples record the lowest heap
 * occupancy right after any collection during the interval (from the JVM's GC notifications), for the plots. On the memory backend the stores live in the same heap: their bytes are
 * subtracted ({@code heap_engine_bytes}), or every soak there would "leak" at the ingest rate.
 */
final class Sampler implements AutoCloseable {
    /** What the verdict needs of one sample. */
    /**
     * @param liveEngine the live heap (measured by a full GC) less the stores held in this heap, or -1 when this
     *                   sample did not measure it
     */
    record Sample(double tS, boolean burst, long heapAfterGc, long heapEngine, long rss, long backlogObjects,
                  long liveEngine) {
    }

    private final SoakProfile p;
    private final BlobStore inHeapBlobs;
    private final BlobStore blobs;
    private final MetaStore meta;
    private final Map<String, LocalServer> servers;
    private final Latency latency;
    private final Consumer<ObjectNode> gauges;
    private final PrintStream out;
    private final List<Sample> samples = new ArrayList<>();
    private final NotificationListener listener;
    private volatile long lowestAfterGc = Long.MAX_VALUE;
    private long lastAfterGc = -1;
    private long lastStorageNanos;
    private long lastProbeNanos;
    private boolean probedLast;
    private volatile long[] storage = new long[5];
    private final java.util.concurrent.atomic.AtomicBoolean storageRunning =
            new java.util.concurrent.atomic.AtomicBoolean();
    private final java.util.concurrent.ExecutorService storageThread = java.util.concurrent.Executors
            .newSingleThreadExecutor(r -> {
                Thread t = new Thread(r, "soak-storage");
                t.setDaemon(true);
                return t;
            });
    private Runnable onSample = () -> { };

    /**
     * @param inHeapBlobs the blob store when it lives in this heap (memory backend), else null
     * @param servers     local server processes by name, for their RSS
     */
    Sampler(Path dir, SoakProfile p, BlobStore inHeapBlobs, BlobStore blobs, MetaStore meta,
            Map<String, LocalServer> servers, Latency latency, Consumer<ObjectNode> gauges) throws IOException {
        this.p = p;
        this.inHeapBlobs = inHeapBlobs;
        this.blobs = blobs;
        this.meta = meta;
        this.servers = servers;
        this.latency = latency;
        this.gauges = gauges;
        this.out = new PrintStream(Files.newOutputStream(dir.resolve("timeseries.jsonl")), false, "UTF-8");
        this.listener = (n, handback) -> {
            if (GarbageCollectionNotificationInfo.GARBAGE_COLLECTION_NOTIFICATION.equals(n.getType())) {
                GarbageCollectionNotificationInfo info = GarbageCollectionNotificationInfo.from(
                        (CompositeData) n.getUserData());
                long used = 0;
                for (Map.Entry<String, MemoryUsage> e : info.getGcInfo().getMemoryUsageAfterGc().entrySet()) {
                    if (isHeap(e.getKey())) {
                        used += e.getValue().getUsed();
                    }
                }
                if (used < lowestAfterGc) {
                    lowestAfterGc = used;
                }
            }
        };
        for (var gc : ManagementFactory.getGarbageCollectorMXBeans()) {
            if (gc instanceof NotificationEmitter e) {
                e.addNotificationListener(listener, null, null);
            }
        }
    }

    /** Also run {@code r} with every sample (the history's gzip sync). */
    void onSample(Runnable r) {
        this.onSample = r;
    }

    private static boolean isHeap(String pool) {
        for (var mp : ManagementFactory.getMemoryPoolMXBeans()) {
            if (mp.getName().equals(pool)) {
                return mp.getType() == java.lang.management.MemoryType.HEAP;
            }
        }
        return false;
    }

    synchronized void sample(Duration elapsed, boolean burst) {
        latency.interval(probedLast && p.liveSetEvery().compareTo(p.sampleEvery()) > 0);
        long now0 = System.nanoTime();
        boolean probe = lastProbeNanos == 0 || now0 - lastProbeNanos >= p.liveSetEvery().toNanos() - 1_000_000;
        long heapAfterGc;
        long live = -1;
        if (probe) {
            lastProbeNanos = now0;
            // The occupancy the full collection itself left (each heap pool's usage after its last collection),
            // not the heap read afterwards, which already holds what other threads allocated since.
            System.gc();
            live = 0;
            for (var mp : ManagementFactory.getMemoryPoolMXBeans()) {
                if (mp.getType() == java.lang.management.MemoryType.HEAP && mp.getCollectionUsage() != null) {
                    live += mp.getCollectionUsage().getUsed();
                }
            }
            lowestAfterGc = Long.MAX_VALUE;
            heapAfterGc = live;
        } else {
            long low = lowestAfterGc;
            lowestAfterGc = Long.MAX_VALUE;
            heapAfterGc = low != Long.MAX_VALUE ? low : lastAfterGc >= 0 ? lastAfterGc
                    : ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
        }
        probedLast = probe;
        lastAfterGc = heapAfterGc;
        long now = System.nanoTime();
        if (inHeapBlobs != null) {
            measureStorage(); // in this heap: cheap, and the heap figures need it exact
        } else if ((lastStorageNanos == 0 || now - lastStorageNanos >= p.storageEvery().toNanos())
                && storageRunning.compareAndSet(false, true)) {
            // Listing a store of many objects takes seconds: off the sampling thread, so that intervals stay even.
            lastStorageNanos = now;
            storageThread.execute(() -> {
                try {
                    measureStorage();
                } finally {
                    storageRunning.set(false);
                }
            });
        }
        long[] storage = this.storage.clone();
        long inHeap = inHeapBlobs != null ? storage[1] + storage[3] + storage[4] : 0;
        long rss = rss(ProcessHandle.current().pid());
        ObjectNode row = Soak.JSON.createObjectNode();
        row.put("t_s", elapsed.toMillis() / 1000.0);
        row.put("burst", burst);
        row.put("heap_used_bytes", ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed());
        row.put("heap_after_gc_bytes", heapAfterGc);
        row.put("heap_engine_bytes", heapAfterGc - inHeap);
        if (live >= 0) {
            row.put("live_heap_bytes", live);
            row.put("live_engine_bytes", live - inHeap);
        }
        row.put("rss_bytes", rss);
        for (Map.Entry<String, LocalServer> s : servers.entrySet()) {
            row.put("rss_" + s.getKey() + "_bytes", s.getValue().isRunning() ? rss(s.getValue().pid()) : 0);
        }
        row.put("threads", ManagementFactory.getThreadMXBean().getThreadCount());
        row.put("packs_objects", storage[0]);
        row.put("packs_bytes", storage[1]);
        row.put("index_objects", storage[2]);
        row.put("index_bytes", storage[3]);
        row.put("state_bytes", storage[4]);
        gauges.accept(row);
        out.println(row);
        out.flush();
        samples.add(new Sample(elapsed.toMillis() / 1000.0, burst, heapAfterGc, heapAfterGc - inHeap, rss,
                row.path("backlog_objects").asLong(), live >= 0 ? live - inHeap : -1));
        onSample.run();
    }

    private void measureStorage() {
        try {
            long[] s = new long[5];
            for (BlobStore.BlobInfo b : blobs.list("packs/")) {
                s[0]++;
                s[1] += b.size();
            }
            for (BlobStore.BlobInfo b : blobs.list("index/")) {
                s[2]++;
                s[3] += b.size();
            }
            s[4] = meta.getCommitted("meta/state").map(r -> (long) r.value().length).orElse(0L);
            storage = s;
        } catch (RuntimeException e) {
            // a backend down (a fault): keep the last figures
        }
    }

    /** Resident set size of a process, from {@code /proc/<pid>/status}; -1 where that cannot be read. */
    static long rss(long pid) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
                }
            }
        } catch (IOException | RuntimeException e) {
            return -1;
        }
        return -1;
    }

    synchronized List<Sample> samples() {
        return List.copyOf(samples);
    }

    @Override
    public synchronized void close() {
        storageThread.shutdownNow();
        for (var gc : ManagementFactory.getGarbageCollectorMXBeans()) {
            if (gc instanceof NotificationEmitter e) {
                try {
                    e.removeNotificationListener(listener);
                } catch (javax.management.ListenerNotFoundException ignored) {
                    // never added to this one
                }
            }
        }
        out.close();
    }
}
