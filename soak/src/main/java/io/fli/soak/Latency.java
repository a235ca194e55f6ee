package io.fli.soak;

import io.fli.engine.QueryClass;
import java.io.FileNotFoundException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.HistogramLogWriter;
import org.HdrHistogram.Recorder;

/**
 * Latency of every query class and of ingest (publishes), recorded without coordination by HdrHistogram
 * {@link Recorder}s and written each sample interval to HdrHistogram interval logs ({@code latency-<class>.hlog},
 * {@code ingest.hlog}: the standard {@link HistogramLogWriter} format, readable by {@code HistogramLogProcessor} and
 * HdrHistogram's plotting tools; values in nanoseconds, max column in milliseconds).
 */
final class Latency implements AutoCloseable {
    /** One sample interval of one class: how many answered, how many failed, and the p99 in milliseconds. */
    /** One sample interval of one class; {@code probe} when it holds the pause of a live-heap full GC. */
    record Interval(double endS, String cls, long count, long errors, double p99Ms, double maxMs, boolean probe) {
    }

    private final Map<String, Recorder> recorders = new LinkedHashMap<>();
    private final Map<String, AtomicLong> errors = new LinkedHashMap<>();
    private final Map<String, HistogramLogWriter> logs = new LinkedHashMap<>();
    private final Map<String, PrintStream> files = new LinkedHashMap<>();
    private final Map<String, Histogram> reuse = new LinkedHashMap<>();
    private final List<Interval> intervals = new ArrayList<>();
    private final long baseMillis;

    /** The classes measured: those of {@code slo.json} (every class but unfiltered) and ingest. */
    static final List<String> CLASSES;

    static {
        List<String> c = new ArrayList<>();
        for (QueryClass q : QueryClass.values()) {
            if (q != QueryClass.UNFILTERED) {
                c.add(q.label());
            }
        }
        CLASSES = List.copyOf(c);
    }

    Latency(Path dir, long baseMillis) throws FileNotFoundException {
        this.baseMillis = baseMillis;
        List<String> all = new ArrayList<>(CLASSES);
        all.add("ingest");
        for (String c : all) {
            recorders.put(c, new Recorder(3));
            errors.put(c, new AtomicLong());
            PrintStream ps = new PrintStream(dir.resolve(c.equals("ingest") ? "ingest.hlog" : "latency-" + c
                    + ".hlog").toFile());
            HistogramLogWriter w = new HistogramLogWriter(ps);
            w.outputComment("fli soak: " + (c.equals("ingest") ? "publish latency (blobs, then the state CAS)"
                    : "query latency, class " + c) + "; values in ns");
            w.outputLogFormatVersion();
            w.setBaseTime(baseMillis);
            w.outputBaseTime(baseMillis);
            w.outputStartTime(baseMillis);
            w.outputLegend();
            logs.put(c, w);
            files.put(c, ps);
        }
    }

    void query(String cls, long nanos) {
        Recorder r = recorders.get(cls);
        if (r != null) {
            r.recordValue(Math.max(1, nanos));
        }
    }

    void error(String cls) {
        AtomicLong e = errors.get(cls);
        if (e != null) {
            e.incrementAndGet();
        }
    }

    void ingest(long nanos) {
        recorders.get("ingest").recordValue(Math.max(1, nanos));
    }

    /**
     * Ends an interval: writes each class's interval histogram to its log and keeps its summary.
     *
     * @param probe the interval holds the pause of a live-heap full GC (it is left out of the p99 checks)
     */
    synchronized void interval(boolean probe) {
        double endS = (System.currentTimeMillis() - baseMillis) / 1000.0;
        for (Map.Entry<String, Recorder> e : recorders.entrySet()) {
            Histogram h = e.getValue().getIntervalHistogram(reuse.get(e.getKey()));
            reuse.put(e.getKey(), h);
            logs.get(e.getKey()).outputIntervalHistogram(h);
            files.get(e.getKey()).flush();
            long errs = errors.get(e.getKey()).getAndSet(0);
            intervals.add(new Interval(endS, e.getKey(), h.getTotalCount(), errs,
                    h.getTotalCount() == 0 ? Double.NaN : h.getValueAtPercentile(99) / 1e6,
                    h.getTotalCount() == 0 ? Double.NaN : h.getMaxValue() / 1e6, probe));
        }
    }

    synchronized List<Interval> intervals() {
        return List.copyOf(intervals);
    }

    @Override
    public synchronized void close() {
        files.values().forEach(PrintStream::close);
    }
}
