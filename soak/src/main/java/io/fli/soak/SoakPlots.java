package io.fli.soak;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fli.checker.Plots;
import java.awt.BasicStroke;
import java.awt.Color;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.HdrHistogram.EncodableHistogram;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.HistogramLogReader;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.plot.ValueMarker;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

/**
 * The plots of a soak, drawn with JFreeChart from its run folder alone ({@code timeseries.jsonl}, the {@code .hlog}
 * files, {@code soak-config.json}), so that they can be drawn again for any saved run: p99 per query class over time,
 * ingest and query throughput, heap after GC with its trend line, RSS of fli and of each server, storage by object
 * kind, GC backlog with head lag, and the live check's lag and on-disk chain. Burst windows are shaded.
 */
public final class SoakPlots {
    private SoakPlots() {
    }

    /** Writes the plots into {@code dir}; returns the files written. */
    public static List<Path> write(Path dir) throws IOException {
        System.setProperty("java.awt.headless", "true");
        ObjectMapper json = new ObjectMapper();
        List<JsonNode> rows = new ArrayList<>();
        for (String line : Files.readAllLines(dir.resolve("timeseries.jsonl"))) {
            if (!line.isBlank()) {
                rows.add(json.readTree(line));
            }
        }
        if (rows.isEmpty()) {
            throw new IllegalArgumentException(dir + "/timeseries.jsonl has no samples: nothing to plot");
        }
        JsonNode profile = json.readTree(dir.resolve("soak-config.json").toFile()).path("profile_settings");
        double warmFraction = profile.path("checks").path("warmup_fraction").asDouble(0);
        double end = rows.get(rows.size() - 1).path("t_s").asDouble();
        double warmS = warmFraction * end;
        double scale = end > 7_200 ? 3600 : 60;
        String unit = scale == 3600 ? "hours" : "minutes";
        List<Path> out = new ArrayList<>();

        // p99 per class over time, from the interval logs.
        XYSeriesCollection p99 = new XYSeriesCollection();
        try (var files = Files.list(dir)) {
            for (Path f : files.filter(p -> p.getFileName().toString().startsWith("latency-")
                    && p.getFileName().toString().endsWith(".hlog")).sorted().toList()) {
                String cls = f.getFileName().toString().replace("latency-", "").replace(".hlog", "");
                p99.addSeries(percentileSeries(f, cls, 99, scale));
            }
        }
        out.add(Plots.save(dir, "soak-latency-p99.png", chart("Query p99 per class (per sample interval)", unit,
                "p99 (ms, log scale)", p99, true, rows, scale)));

        // Throughput: ingest logs/s and queries/s from the counters.
        XYSeries ingest = new XYSeries("ingest logs/s");
        XYSeries queries = new XYSeries("queries/s");
        for (int i = 1; i < rows.size(); i++) {
            JsonNode a = rows.get(i - 1);
            JsonNode b = rows.get(i);
            double dt = b.path("t_s").asDouble() - a.path("t_s").asDouble();
            if (dt > 0) {
                double x = b.path("t_s").asDouble() / scale;
                ingest.add(x, (b.path("ingested_logs").asLong() - a.path("ingested_logs").asLong()) / dt);
                queries.add(x, (b.path("queries").asLong() - a.path("queries").asLong()) / dt);
            }
        }
        out.add(Plots.save(dir, "soak-throughput.png", chart("Throughput", unit, "per second", collection(ingest, queries),
                false, rows, scale)));

        // Heap after GC, and the live heap (a full GC every live_set_every) with the trend line the leak check fits
        // to it after the warm-up.
        XYSeries heapAll = series(rows, "lowest heap after a GC in each interval (MB)", "heap_after_gc_bytes",
                1 << 20, scale);
        XYSeries live = series(rows, "live heap, engine's share (MB, full GC)", "live_engine_bytes", 1 << 20, scale);
        List<Double> xs = new ArrayList<>();
        List<Double> ys = new ArrayList<>();
        for (JsonNode r : rows) {
            if (r.path("t_s").asDouble() >= warmS && r.has("live_engine_bytes")) {
                xs.add(r.path("t_s").asDouble() / 3600);
                ys.add(r.path("live_engine_bytes").asDouble() / (1 << 20));
            }
        }
        Trend t = Trend.of(xs.stream().mapToDouble(Double::doubleValue).toArray(),
                ys.stream().mapToDouble(Double::doubleValue).toArray());
        XYSeries trend = new XYSeries(String.format("trend of the live heap %.1f MB/h (95%%: %.1f .. %.1f)",
                t.slope(), t.lower(), t.upper()));
        if (xs.size() >= 2) {
            double mx = xs.stream().mapToDouble(Double::doubleValue).average().orElse(0);
            double my = ys.stream().mapToDouble(Double::doubleValue).average().orElse(0);
            for (double x : List.of(xs.get(0), xs.get(xs.size() - 1))) {
                trend.add(x * 3600 / scale, my + t.slope() * (x - mx));
            }
        }
        JFreeChart heapChart = chart("Heap after GC", unit, "MB", collection(heapAll, live, trend), false, rows, scale);
        ((XYLineAndShapeRenderer) heapChart.getXYPlot().getRenderer()).setSeriesShapesVisible(1, true);
        heapChart.getXYPlot().addDomainMarker(new ValueMarker(warmS / scale, Color.GRAY, new BasicStroke(1.5f)));
        out.add(Plots.save(dir, "soak-heap.png", heapChart));

        // RSS of fli and of each server process.
        List<XYSeries> rss = new ArrayList<>();
        rss.add(series(rows, "fli RSS (MB)", "rss_bytes", 1 << 20, scale));
        rows.get(0).fieldNames().forEachRemaining(f -> {
            if (f.startsWith("rss_") && !f.equals("rss_bytes")) {
                rss.add(series(rows, f.replace("rss_", "").replace("_bytes", "") + " server RSS (MB)", f, 1 << 20,
                        scale));
            }
        });
        out.add(Plots.save(dir, "soak-rss.png", chart("Resident set size", unit, "MB",
                collection(rss.toArray(XYSeries[]::new)), false, rows, scale)));

        // Storage by object kind.
        out.add(Plots.save(dir, "soak-storage.png", chart("Stored bytes by object kind", unit, "MB", collection(
                series(rows, "packs (MB)", "packs_bytes", 1 << 20, scale),
                series(rows, "index segments (MB)", "index_bytes", 1 << 20, scale),
                series(rows, "GC backlog (MB)", "backlog_bytes", 1 << 20, scale)), false, rows, scale)));

        // GC backlog and head lag.
        out.add(Plots.save(dir, "soak-backlog-lag.png", chart("GC backlog and head lag", unit, "objects / blocks",
                collection(series(rows, "GC backlog (orphan objects)", "backlog_objects", 1, scale),
                        series(rows, "head lag (blocks)", "head_lag", 1, scale)), false, rows, scale)));

        // The live check: how far behind the history it is, and what it keeps on disk.
        if (rows.stream().anyMatch(r -> r.has("check_lag_operations"))) {
            out.add(Plots.save(dir, "soak-check.png", chart("Live check: lag behind the history, chain on disk", unit,
                    "operations / queries / MB", collection(
                            series(rows, "lag (operations written, not yet judged)", "check_lag_operations", 1, scale),
                            series(rows, "queries waiting for a publish", "check_waiting_queries", 1, scale),
                            series(rows, "on-disk chain (MB)", "check_store_bytes", 1 << 20, scale)),
                    false, rows, scale)));
        }
        return out;
    }

    private static XYSeries percentileSeries(Path hlog, String name, double percentile, double scale)
            throws IOException {
        XYSeries s = new XYSeries(name);
        try (HistogramLogReader r = new HistogramLogReader(hlog.toFile())) {
            for (EncodableHistogram e = r.nextIntervalHistogram(); e != null; e = r.nextIntervalHistogram()) {
                Histogram h = (Histogram) e;
                if (h.getTotalCount() > 0) {
                    s.add((h.getEndTimeStamp() / 1000.0 - r.getStartTimeSec()) / scale, Math.max(0.001,
                            h.getValueAtPercentile(percentile) / 1e6));
                }
            }
        }
        return s;
    }

    private static XYSeries series(List<JsonNode> rows, String name, String field, double div, double scale) {
        XYSeries s = new XYSeries(name);
        for (JsonNode r : rows) {
            if (r.has(field) && r.path(field).asDouble() >= 0) {
                s.add(r.path("t_s").asDouble() / scale, r.path(field).asDouble() / div);
            }
        }
        return s;
    }

    private static XYSeriesCollection collection(XYSeries... series) {
        XYSeriesCollection c = new XYSeriesCollection();
        for (XYSeries s : series) {
            c.addSeries(s);
        }
        return c;
    }

    private static JFreeChart chart(String title, String unit, String yLabel, XYSeriesCollection data, boolean logY,
                                    List<JsonNode> rows, double scale) {
        JFreeChart c = Plots.lineChart(title, "time (" + unit + ")", yLabel, data, logY);
        // Shade the bursts.
        Double start = null;
        double prev = 0;
        for (JsonNode row : rows) {
            double t = row.path("t_s").asDouble();
            boolean b = row.path("burst").asBoolean();
            if (b && start == null) {
                start = prev;
            } else if (!b && start != null) {
                Plots.shade(c.getXYPlot(), start / scale, t / scale, BURST, null);
                start = null;
            }
            prev = t;
        }
        if (start != null) {
            Plots.shade(c.getXYPlot(), start / scale, prev / scale, BURST, null);
        }
        return c;
    }

    private static final Color BURST = new Color(255, 200, 120, 90);
}
