package io.fli.workloads;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.StringWriter;
import java.io.Writer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Writes a large, valid history of a correct index straight to disk, for benchmarking the checker: one lease
 * holder publishing batches while several readers query selective filters over bounded ranges, with occasional
 * lease changes (a fenced publish fails), info outcomes and restarts. Answers come from an in-memory model.
 */
public final class SyntheticHistory {
    private static final JsonFactory JSON = new JsonFactory();

    private record ModelLog(long block, int index, String address, String topic0, String data) {
    }

    private final SplittableRandom r;
    private final Writer out;
    private final Map<String, List<ModelLog>> byAddress = new HashMap<>();
    private final String[] addresses;
    private final String[] topics;
    private long index;
    private long time;
    private long head;
    private long epoch;
    private int nextProcess = 10;

    SyntheticHistory(long seed, Writer out) {
        this.r = new SplittableRandom(seed);
        this.out = out;
        addresses = new String[5_000];
        for (int i = 0; i < addresses.length; i++) {
            addresses[i] = String.format("0x%040x", (long) i * 2654435761L);
        }
        topics = new String[50];
        for (int i = 0; i < topics.length; i++) {
            topics[i] = String.format("0x%064x", (long) i * 40503L);
        }
    }

    private String address() {
        // Zipf-like skew: a few popular addresses, a long tail.
        double u = r.nextDouble();
        return addresses[(int) (addresses.length * u * u * u)];
    }

    private void line(String process, String type, String f, ValueWriter value) throws IOException {
        time += 1 + r.nextInt(2_000);
        StringWriter sw = new StringWriter(256);
        try (JsonGenerator g = JSON.createGenerator(sw)) {
            g.writeStartObject();
            g.writeNumberField("index", index++);
            g.writeNumberField("time", time);
            if (process == null) {
                g.writeStringField("process", "nemesis");
            } else {
                g.writeNumberField("process", Integer.parseInt(process));
            }
            g.writeStringField("type", type);
            g.writeStringField("f", f);
            g.writeFieldName("value");
            g.writeStartObject();
            value.write(g);
            g.writeEndObject();
            g.writeEndObject();
        }
        out.write(sw.toString());
        out.write('\n');
    }

    @FunctionalInterface
    private interface ValueWriter {
        void write(JsonGenerator g) throws IOException;
    }

    /** Writes the header and about {@code ops} operation lines. */
    void write(long ops) throws IOException {
        out.write("{\"format\":\"finalized-log-index-history\",\"version\":1,\"test\":{\"name\":\"synthetic\"}}\n");
        int writerProc = 0;
        String writer = "w1";
        acquire(writerProc, writer);
        int[] readers = {1, 2, 3, 4, 5, 6};
        while (index < ops) {
            int dice = r.nextInt(100);
            if (dice < 10) {
                writerProc = publish(writerProc, writer);
            } else if (dice == 10 && r.nextInt(20) == 0) {
                // Lease change: the old writer's stale publish fails, the new writer acquires.
                String old = writer;
                int oldProc = writerProc;
                writer = old.equals("w1") ? "w2" : "w1";
                writerProc = nextProcess++;
                acquire(writerProc, writer);
                long stale = epoch - 1;
                line(Integer.toString(oldProc), "invoke", "publish", g -> publishValue(g, old, stale, head, 1));
                line(Integer.toString(oldProc), "fail", "publish", g -> {
                    publishValue(g, old, stale, head, 1);
                    g.writeStringField("error", "fenced");
                });
            } else if (dice == 11 && r.nextInt(20) == 0) {
                line(null, "info", "restart", g -> g.writeStringField("target", "index"));
            } else {
                int p = readers[r.nextInt(readers.length)];
                query(p);
            }
        }
    }

    private void acquire(int proc, String writer) throws IOException {
        epoch++;
        line(Integer.toString(proc), "invoke", "acquire", g -> g.writeStringField("writer", writer));
        line(Integer.toString(proc), "ok", "acquire", g -> {
            g.writeStringField("writer", writer);
            g.writeNumberField("epoch", epoch);
        });
    }

    /** Blocks {@code first..first+count-1} are a pure function of their number. */
    private List<ModelLog> blockLogs(long n) {
        SplittableRandom br = new SplittableRandom(n * 0x9E3779B97F4A7C15L);
        int count = br.nextInt(8);
        List<ModelLog> logs = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            double u = br.nextDouble();
            logs.add(new ModelLog(n, i, addresses[(int) (addresses.length * u * u * u)],
                    topics[br.nextInt(topics.length)], "0x" + Long.toHexString(br.nextLong())));
        }
        return logs;
    }

    private void publishValue(JsonGenerator g, String writer, long e, long first, int count) throws IOException {
        g.writeStringField("writer", writer);
        g.writeNumberField("epoch", e);
        g.writeArrayFieldStart("blocks");
        for (long n = first; n < first + count; n++) {
            g.writeStartObject();
            g.writeNumberField("number", n);
            g.writeStringField("hash", "0x" + Long.toHexString(n * 0xBF58476D1CE4E5B9L));
            g.writeArrayFieldStart("logs");
            for (ModelLog l : blockLogs(n)) {
                writeLog(g, l, false);
            }
            g.writeEndArray();
            g.writeEndObject();
        }
        g.writeEndArray();
    }

    /** A LOG of the format (in a published block), or a returned log when {@code withBlock}. */
    private static void writeLog(JsonGenerator g, ModelLog l, boolean withBlock) throws IOException {
        g.writeStartObject();
        if (withBlock) {
            g.writeNumberField("block", l.block);
        }
        g.writeNumberField("index", l.index);
        g.writeStringField("address", l.address);
        g.writeArrayFieldStart("topics");
        g.writeString(l.topic0);
        g.writeEndArray();
        g.writeStringField("data", l.data);
        g.writeEndObject();
    }

    private int publish(int proc, String writer) throws IOException {
        long first = head + 1;
        int count = 1 + r.nextInt(5);
        long e = epoch;
        line(Integer.toString(proc), "invoke", "publish", g -> publishValue(g, writer, e, first, count));
        for (long n = first; n < first + count; n++) {
            for (ModelLog l : blockLogs(n)) {
                byAddress.computeIfAbsent(l.address, k -> new ArrayList<>()).add(l);
            }
        }
        head = first + count - 1;
        if (r.nextInt(50) == 0) {
            line(Integer.toString(proc), "info", "publish", g -> {
                publishValue(g, writer, e, first, count);
                g.writeStringField("error", "timeout");
            });
            int next = nextProcess++;
            acquireAgain(next, writer);
            return next;
        }
        line(Integer.toString(proc), "ok", "publish", g -> {
            publishValue(g, writer, e, first, count);
            g.writeNumberField("head", head);
        });
        return proc;
    }

    private void acquireAgain(int proc, String writer) throws IOException {
        acquire(proc, writer);
    }

    private void query(int proc) throws IOException {
        List<String> addrs = new ArrayList<>();
        int n = 1 + r.nextInt(4);
        for (int i = 0; i < n; i++) {
            addrs.add(addresses[addresses.length / 2 + r.nextInt(addresses.length / 2)]);
        }
        if (r.nextInt(10) == 0) {
            addrs.set(0, address());
        }
        long to = head == 0 ? 0 : 1 + r.nextLong(head);
        long from = Math.max(1, to - r.nextInt(1_000));
        String topic = r.nextInt(4) == 0 ? topics[r.nextInt(topics.length)] : null;
        ValueWriter args = g -> {
            g.writeNumberField("from", from);
            g.writeNumberField("to", to);
            g.writeArrayFieldStart("addresses");
            for (String a : addrs) {
                g.writeString(a);
            }
            g.writeEndArray();
            if (topic != null) {
                g.writeArrayFieldStart("topics");
                g.writeStartArray();
                g.writeString(topic);
                g.writeEndArray();
                g.writeEndArray();
            }
        };
        List<ModelLog> result = new ArrayList<>();
        for (String a : new java.util.TreeSet<>(addrs)) {
            List<ModelLog> list = byAddress.getOrDefault(a, List.of());
            int lo = 0;
            int hi = list.size();
            while (lo < hi) {
                int mid = (lo + hi) >>> 1;
                if (list.get(mid).block < from) {
                    lo = mid + 1;
                } else {
                    hi = mid;
                }
            }
            for (int i = lo; i < list.size() && list.get(i).block <= to; i++) {
                ModelLog l = list.get(i);
                if (topic == null || topic.equals(l.topic0)) {
                    result.add(l);
                }
            }
        }
        result.sort((x, y) -> x.block != y.block ? Long.compare(x.block, y.block) : Integer.compare(x.index, y.index));
        String p = Integer.toString(proc);
        line(p, "invoke", "query", args);
        long h = head;
        line(p, "ok", "query", g -> {
            args.write(g);
            if (h == 0) {
                g.writeNullField("head");
            } else {
                g.writeNumberField("head", h);
            }
            g.writeArrayFieldStart("logs");
            for (ModelLog l : result) {
                writeLog(g, l, true);
            }
            g.writeEndArray();
        });
    }

    public static void write(java.nio.file.Path file, long ops, long seed) throws IOException {
        try (BufferedWriter w = java.nio.file.Files.newBufferedWriter(file)) {
            new SyntheticHistory(seed, w).write(ops);
        }
    }
}
