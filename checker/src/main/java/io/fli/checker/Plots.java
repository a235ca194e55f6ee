package io.fli.checker;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Shape;
import java.awt.geom.Ellipse2D;
import java.awt.geom.Rectangle2D;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.jfree.chart.ChartFactory;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.LogarithmicAxis;
import org.jfree.chart.plot.IntervalMarker;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.chart.ui.Layer;
import org.jfree.chart.ui.RectangleAnchor;
import org.jfree.chart.ui.TextAnchor;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

/**
 * Jepsen's three plots of a run, drawn with JFreeChart from its history alone: {@code latency-raw.png} (every client
 * operation's latency at its invoke time, by {@code f} and outcome), {@code latency-quantiles.png} (p50/p95/p99 of
 * each {@code f} over time windows) and {@code rate.png} (completions per second of each {@code f}), with the nemesis
 * intervals shaded and named.
 */
public final class Plots {
    private static final int W = 1100;
    private static final int H = 520;
    private static final Color[] F_COLORS = {new Color(31, 119, 180), new Color(44, 160, 44), new Color(148, 103, 189),
        new Color(140, 86, 75)};

    private Plots() {
    }

    /** One completed client operation. */
    private record Done(String f, Op.Type outcome, double invokeS, double latencyMs) {
    }

    /** Writes the three plots into {@code dir}; returns the files. */
    public static List<Path> write(History h, Path dir) throws IOException {
        System.setProperty("java.awt.headless", "true");
        Map<Integer, Op> open = new HashMap<>();
        List<Done> done = new ArrayList<>();
        List<double[]> faults = new ArrayList<>();
        List<String> faultNames = new ArrayList<>();
        Map<String, Double> nemesisOpen = new HashMap<>();
        double end = 0;
        for (Op op : h.ops()) {
            double t = op.time() / 1e9;
            end = Math.max(end, t);
            if (op.isNemesis()) {
                if (op.type() == Op.Type.INVOKE) {
                    nemesisOpen.put(op.f(), t);
                } else {
                    Double from = nemesisOpen.remove(op.f());
                    if (from != null) {
                        faults.add(new double[]{from, Math.max(t, from + 0.05)});
                        faultNames.add(op.f());
                    } else if (!op.f().equals("gc") && !op.f().equals("merge")) {
                        faults.add(new double[]{t, t + 0.05});
                        faultNames.add(op.f());
                    }
                }
                continue;
            }
            if (op.type() == Op.Type.INVOKE) {
                open.put(op.process(), op);
            } else {
                Op inv = open.remove(op.process());
                if (inv != null) {
                    done.add(new Done(op.f(), op.type(), inv.time() / 1e9, Math.max(1e-3, (op.time() - inv.time())
                            / 1e6)));
                }
            }
        }
        double window = Math.max(0.1, end / 60);
        List<String> fs = done.stream().map(Done::f).distinct().sorted().toList();
        List<Path> out = new ArrayList<>();

        // Raw latency: one point per operation, colour by f, shape by outcome.
        XYSeriesCollection raw = new XYSeriesCollection();
        List<Color> colors = new ArrayList<>();
        List<Shape> shapes = new ArrayList<>();
        for (int i = 0; i < fs.size(); i++) {
            for (Op.Type t : List.of(Op.Type.OK, Op.Type.FAIL, Op.Type.INFO)) {
                XYSeries s = new XYSeries(fs.get(i) + " " + t.wire());
                for (Done d : done) {
                    if (d.f().equals(fs.get(i)) && d.outcome() == t) {
                        s.add(d.invokeS(), d.latencyMs());
                    }
                }
                if (s.getItemCount() > 0) {
                    raw.addSeries(s);
                    Color base = F_COLORS[i % F_COLORS.length];
                    colors.add(t == Op.Type.OK ? base : t == Op.Type.FAIL ? new Color(214, 39, 40)
                            : new Color(255, 127, 14));
                    shapes.add(t == Op.Type.OK ? new Ellipse2D.Double(-1.5, -1.5, 3, 3)
                            : new Rectangle2D.Double(-2.5, -2.5, 5, 5));
                }
            }
        }
        JFreeChart rawChart = chart("Latency of every operation (by f and outcome)", "latency (ms, log scale)", raw,
                true, faults, faultNames);
        XYLineAndShapeRenderer dots = new XYLineAndShapeRenderer(false, true);
        for (int i = 0; i < raw.getSeriesCount(); i++) {
            dots.setSeriesPaint(i, colors.get(i));
            dots.setSeriesShape(i, shapes.get(i));
        }
        rawChart.getXYPlot().setRenderer(dots);
        out.add(save(dir, "latency-raw.png", rawChart));

        // Quantiles per f over time windows.
        XYSeriesCollection q = new XYSeriesCollection();
        for (String f : fs) {
            TreeMap<Integer, List<Double>> byWindow = new TreeMap<>();
            for (Done d : done) {
                if (d.f().equals(f)) {
                    byWindow.computeIfAbsent((int) (d.invokeS() / window), k -> new ArrayList<>()).add(d.latencyMs());
                }
            }
            for (double p : new double[]{0.5, 0.95, 0.99}) {
                XYSeries s = new XYSeries(f + " p" + (int) Math.round(p * 100));
                Integer previous = null;
                for (Map.Entry<Integer, List<Double>> e : byWindow.entrySet()) {
                    if (previous != null && e.getKey() > previous + 1) {
                        // Windows without a completion of f: a gap in its lines, not a straight line across them.
                        s.add((previous + 1.5) * window, Double.NaN);
                    }
                    previous = e.getKey();
                    double[] v = e.getValue().stream().mapToDouble(Double::doubleValue).sorted().toArray();
                    s.add((e.getKey() + 0.5) * window, v[(int) Math.min(v.length - 1, Math.floor(p * v.length))]);
                }
                q.addSeries(s);
            }
        }
        out.add(save(dir, "latency-quantiles.png", chart(String.format("Latency quantiles per f (windows of %.1f s)",
                window), "latency (ms, log scale)", q, true, faults, faultNames)));

        // Rate of completions per f and outcome.
        XYSeriesCollection rate = new XYSeriesCollection();
        for (String f : fs) {
            for (Op.Type t : List.of(Op.Type.OK, Op.Type.FAIL, Op.Type.INFO)) {
                double[] counts = new double[(int) (end / window) + 1];
                boolean any = false;
                for (Done d : done) {
                    if (d.f().equals(f) && d.outcome() == t) {
                        counts[(int) Math.min(counts.length - 1, d.invokeS() / window)]++;
                        any = true;
                    }
                }
                if (any) {
                    XYSeries s = new XYSeries(f + " " + t.wire());
                    for (int i = 0; i < counts.length; i++) {
                        s.add((i + 0.5) * window, counts[i] / window);
                    }
                    rate.addSeries(s);
                }
            }
        }
        out.add(save(dir, "rate.png", chart("Throughput (completions per second, by f and outcome)",
                "operations / s", rate, false, faults, faultNames)));
        return out;
    }

    private static JFreeChart chart(String title, String yLabel, XYSeriesCollection data, boolean logY,
                                    List<double[]> faults, List<String> names) {
        JFreeChart c = lineChart(title, "time (s)", yLabel, data, logY);
        Map<String, Color> shade = new LinkedHashMap<>();
        Color[] palette = {new Color(255, 120, 120, 60), new Color(120, 120, 255, 60), new Color(120, 200, 120, 60),
            new Color(255, 200, 80, 70), new Color(200, 120, 255, 60)};
        for (int i = 0; i < faults.size(); i++) {
            String n = names.get(i);
            shade(c.getXYPlot(), faults.get(i)[0], faults.get(i)[1],
                    shade.computeIfAbsent(n, k -> palette[shade.size() % palette.length]), n);
        }
        return c;
    }

    /** A line chart in the style of every fli plot: white, light grid, thin lines, optionally a log y axis. */
    public static JFreeChart lineChart(String title, String xLabel, String yLabel, XYSeriesCollection data,
                                       boolean logY) {
        JFreeChart c = ChartFactory.createXYLineChart(title, xLabel, yLabel, data, PlotOrientation.VERTICAL, true,
                false, false);
        XYPlot plot = c.getXYPlot();
        plot.setBackgroundPaint(Color.WHITE);
        plot.setDomainGridlinePaint(Color.LIGHT_GRAY);
        plot.setRangeGridlinePaint(Color.LIGHT_GRAY);
        XYLineAndShapeRenderer r = new XYLineAndShapeRenderer(true, false);
        for (int i = 0; i < data.getSeriesCount(); i++) {
            r.setSeriesStroke(i, new BasicStroke(1.4f));
        }
        plot.setRenderer(r);
        if (logY) {
            LogarithmicAxis axis = new LogarithmicAxis(yLabel);
            axis.setAllowNegativesFlag(false);
            axis.setStrictValuesFlag(false);
            plot.setRangeAxis(axis);
        }
        return c;
    }

    /** Shades {@code [from, to]} of the time axis behind the data (a fault, a burst), named when {@code label} is. */
    public static void shade(XYPlot plot, double from, double to, Color paint, String label) {
        IntervalMarker m = new IntervalMarker(from, to);
        m.setPaint(paint);
        if (label != null) {
            m.setLabel(label);
            m.setLabelAnchor(RectangleAnchor.TOP_LEFT);
            m.setLabelTextAnchor(TextAnchor.TOP_LEFT);
            m.setLabelPaint(Color.DARK_GRAY);
        }
        plot.addDomainMarker(m, Layer.BACKGROUND);
    }

    /** Writes {@code chart} as {@code dir/name}, 1100 x 520 pixels. */
    public static Path save(Path dir, String name, JFreeChart chart) throws IOException {
        Path f = dir.resolve(name);
        ChartUtils.saveChartAsPNG(f.toFile(), chart, W, H);
        return f;
    }
}
