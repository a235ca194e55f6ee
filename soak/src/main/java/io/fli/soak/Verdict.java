package io.fli.soak;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fli.checker.CheckResult;
import io.fli.checker.Validity;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The soak's stability checks, each {@code {name, ok, measured, limit}} with its method:
 * <ul>
 *   <li>{@code heap-after-gc-trend}, {@code rss-trend}: least-squares slope in MB/hour over the samples after the
 *       warm-up (for the heap: the live heap a full GC left, measured every {@code live_set_every}), failing only
 *       when its 95% confidence interval lies wholly above the profile's limit;</li>
 *   <li>{@code p99-<class>}: the fraction of sample intervals (with enough queries to have a p99) whose p99 exceeds
 *       the class's target in {@code slo.json}, against the profile's allowance;</li>
 *   <li>{@code error-budget}: failed queries over all queries, against {@code slo.json}'s error budget;</li>
 *   <li>{@code backlog-bounded}: the largest GC backlog (orphan objects) seen, against the profile's bound;</li>
 *   <li>{@code backlog-recovery}: after each burst, the time until the backlog is back at its baseline (the 75th
 *       percentile of the backlog outside bursts and their recovery windows, plus 25% and 5 objects), against the
 *       profile's limit; bursts that ended too close to the end to tell are not judged.</li>
 * </ul>
 * A check with nothing to measure fails: no verdict without the evidence behind it.
 */
public record Verdict(List<Check> checks) {
    /** One check; {@code measured} NaN when there was nothing to measure. */
    public record Check(String name, boolean ok, double measured, double limit, String unit, String method,
                        String detail) {
    }

    public boolean stable() {
        return checks.stream().allMatch(Check::ok);
    }

    static Verdict of(SoakProfile p, JsonNode slo, List<Sampler.Sample> samples, List<Latency.Interval> intervals,
                      long queries, long errors, Duration elapsed) {
        List<Check> checks = new ArrayList<>();
        double warm = p.warmupFraction() * elapsed.toMillis() / 1000.0;
        List<Sampler.Sample> after = samples.stream().filter(s -> s.tS() >= warm).toList();
        checks.add(trend("heap-after-gc-trend", after.stream().filter(s -> s.liveEngine() >= 0).toList(),
                s -> s.liveEngine(), p.heapSlopeMbPerHour(), "the live heap (after a full GC every "
                        + Soak.human(p.liveSetEvery()) + ", less the stores held in the same heap)"));
        checks.add(trend("rss-trend", after, s -> s.rss(), p.rssSlopeMbPerHour(), "resident set size of fli"));
        for (String cls : Latency.CLASSES) {
            double target = slo.path("queries").path(cls).path("p99_ms").asDouble(Double.NaN);
            List<Latency.Interval> judged = intervals.stream().filter(i -> i.cls().equals(cls)
                    && i.count() >= p.minIntervalQueries() && !i.probe()).toList();
            long over = judged.stream().filter(i -> i.p99Ms() > target).count();
            double worst = judged.stream().mapToDouble(Latency.Interval::p99Ms).max().orElse(Double.NaN);
            double frac = judged.isEmpty() || Double.isNaN(target) ? Double.NaN : over / (double) judged.size();
            checks.add(new Check("p99-" + cls, !Double.isNaN(frac) && frac <= p.p99IntervalAllowance(), frac,
                    p.p99IntervalAllowance(), "fraction of intervals",
                    "intervals whose p99 exceeds the slo.json target of " + target + " ms, among those with at least "
                            + p.minIntervalQueries() + " queries",
                    judged.isEmpty() ? "no interval had " + p.minIntervalQueries() + " queries of this class"
                            : over + " of " + judged.size() + " intervals over; worst interval p99 "
                            + String.format("%.2f", worst) + " ms"));
        }
        double budget = slo.path("error_budget").path("query_error_ratio").asDouble(0.001);
        double ratio = queries == 0 ? Double.NaN : errors / (double) queries;
        checks.add(new Check("error-budget", queries > 0 && ratio <= budget, ratio, budget, "ratio",
                "failed queries / queries (slo.json error_budget)", errors + " of " + queries + " queries failed"));
        long maxBacklog = samples.stream().mapToLong(Sampler.Sample::backlogObjects).max().orElse(-1);
        checks.add(new Check("backlog-bounded", !samples.isEmpty() && maxBacklog <= p.backlogMaxObjects(), maxBacklog,
                p.backlogMaxObjects(), "objects", "the largest GC backlog (unreferenced objects kept for the grace "
                + "period) in any sample", samples.size() + " samples"));
        checks.add(recovery(p, samples, elapsed));
        return new Verdict(checks);
    }

    private static Check trend(String name, List<Sampler.Sample> samples,
                               java.util.function.ToLongFunction<Sampler.Sample> y, double limit, String what) {
        List<Sampler.Sample> ok = samples.stream().filter(s -> y.applyAsLong(s) >= 0).toList();
        double[] xs = ok.stream().mapToDouble(s -> s.tS() / 3600.0).toArray();
        double[] ys = ok.stream().mapToDouble(s -> y.applyAsLong(s) / 1048576.0).toArray();
        Trend t = Trend.of(xs, ys);
        boolean measured = !Double.isNaN(t.halfWidth());
        return new Check(name, measured && !t.exceeds(limit), t.slope(), limit, "MB/h",
                "least-squares slope of " + what + " after the warm-up; fails when its 95% confidence interval lies "
                        + "wholly above the limit",
                measured ? String.format("slope %.1f MB/h, 95%% interval [%.1f, %.1f], %d samples", t.slope(),
                        t.lower(), t.upper(), t.n()) : "fewer than 3 samples after the warm-up");
    }

    private static Check recovery(SoakProfile p, List<Sampler.Sample> samples, Duration elapsed) {
        double every = p.burstEvery().toMillis() / 1000.0;
        double len = p.burstLength().toMillis() / 1000.0;
        double limit = p.backlogRecovery().toMillis() / 1000.0;
        double end = elapsed.toMillis() / 1000.0;
        List<Double> burstEnds = new ArrayList<>();
        for (double e = every; e + limit <= end; e += every) {
            burstEnds.add(e);
        }
        // Baseline: the backlog outside bursts and outside the recovery window after each.
        long[] quiet = samples.stream().filter(s -> {
            double at = s.tS() % every;
            return at < every - len && (s.tS() < every || at > limit);
        }).mapToLong(Sampler.Sample::backlogObjects).sorted().toArray();
        if (burstEnds.isEmpty() || quiet.length == 0) {
            return new Check("backlog-recovery", false, Double.NaN, limit, "s", "time after each burst until the "
                    + "GC backlog is back at its baseline", burstEnds.isEmpty() ? "no burst ended at least "
                    + limit + " s before the end of the soak" : "no sample outside the bursts for a baseline");
        }
        long base = quiet[(int) Math.min(quiet.length - 1, Math.floor(quiet.length * 0.75))];
        double threshold = Math.max(base * 1.25, base + 5);
        double worst = 0;
        List<String> each = new ArrayList<>();
        for (double e : burstEnds) {
            double back = Double.POSITIVE_INFINITY;
            for (Sampler.Sample s : samples) {
                if (s.tS() >= e && s.backlogObjects() <= threshold) {
                    back = s.tS() - e;
                    break;
                }
            }
            worst = Math.max(worst, back);
            each.add(Double.isInfinite(back) ? "never" : String.format("%.0f s", back));
        }
        return new Check("backlog-recovery", worst <= limit, worst, limit, "s", "time after each burst until the GC "
                + "backlog is at most its baseline (75th percentile outside bursts) + 25% (and + 5 objects)",
                "baseline " + base + " objects; after each burst: " + String.join(", ", each));
    }

    /** @param validity the checker's verdict on the history, or null before it is known ("pending") */
    ObjectNode toJson(Validity validity, boolean interrupted) {
        ObjectNode n = Soak.JSON.createObjectNode();
        n.put("valid", validity == Validity.VALID);
        n.put("validity", validity == null ? "pending" : validity.name().toLowerCase());
        n.put("stable", stable());
        n.put("interrupted", interrupted);
        ArrayNode a = n.putArray("checks");
        for (Check c : checks) {
            ObjectNode o = a.addObject().put("name", c.name()).put("ok", c.ok());
            if (Double.isNaN(c.measured()) || Double.isInfinite(c.measured())) {
                o.putNull("measured");
            } else {
                o.put("measured", c.measured());
            }
            o.put("limit", c.limit()).put("unit", c.unit()).put("method", c.method()).put("detail", c.detail());
        }
        return n;
    }

    String text(CheckResult check, boolean interrupted) {
        StringBuilder sb = new StringBuilder();
        sb.append(check == null ? String.format("%nhistory: NOT CHECKED%s%n", interrupted
                ? " -- interrupted: the soak was stopped early" : "") : String.format("%nhistory: %s (%d anomalies)%s%n",
                check.valid(), check.anomalies().size(), interrupted ? " -- interrupted: the soak was stopped early"
                        : ""));
        sb.append("| check | ok | measured | limit | detail |\n|---|---|---:|---:|---|\n");
        for (Check c : checks) {
            sb.append(String.format("| %s | %s | %s | %s %s | %s |%n", c.name(), c.ok() ? "ok" : "FAIL",
                    Double.isNaN(c.measured()) ? "-" : fmt(c.measured()), fmt(c.limit()), c.unit(), c.detail()));
        }
        sb.append(String.format("soak: %s and %s%n", check != null && check.valid() == Validity.VALID ? "VALID"
                        : check == null ? "UNCHECKED" : "NOT VALID",
                stable() ? "STABLE" : "NOT STABLE"));
        return sb.toString();
    }

    private static String fmt(double v) {
        return Double.isInfinite(v) ? "inf" : Math.abs(v) >= 100 ? String.format("%.0f", v)
                : String.format("%.3f", v);
    }
}
