package io.fli.soak;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;

/**
 * A soak profile: the load, its bursts, the housekeeping schedule and the stability limits, from a JSON file. The
 * built-in profiles ({@link #BUILT_IN}) live in this module's resources ({@code io/fli/soak/profiles/NAME.json}).
 *
 * @param liveSetEvery         how often the sampler runs a full GC to measure the live heap exactly (the leak
 *                             trend's data); an interval holding that pause is left out of the p99 checks unless
 *                             every interval has one
 * @param heapSlopeMbPerHour   the live-heap trend a soak may show: it fails when the slope's 95% confidence
 *                             interval lies wholly above this
 * @param p99IntervalAllowance the fraction of sample intervals whose p99 may exceed a class's SLO target
 * @param historyQueryFraction the fraction of queries recorded in the history and checked (every query is timed):
 *                             a day of queries at hundreds per second would dwarf the publishes
 */
public record SoakProfile(String name, String description, Duration duration, double blocksPerSecond,
                          int logsPerBlock, int batchBlocks, int addresses, int topic0s, int topicValues, int readers,
                          long readerPauseMs, long broadSpanBlocks, Duration burstEvery, Duration burstLength,
                          double burstFactor, Duration gcEvery, Duration gcGrace, Duration compactEvery,
                          Duration sampleEvery, Duration storageEvery, Duration nemesisEvery, long cacheMb,
                          double warmupFraction, Duration liveSetEvery, double heapSlopeMbPerHour,
                          double rssSlopeMbPerHour, double p99IntervalAllowance, int minIntervalQueries,
                          long backlogMaxObjects, Duration backlogRecovery, double historyQueryFraction) {
    public static final List<String> BUILT_IN = List.of("ci", "production-shape");

    /** A built-in profile by name, or a profile file by path. */
    public static SoakProfile load(String nameOrPath) throws IOException {
        if (BUILT_IN.contains(nameOrPath)) {
            try (InputStream in = SoakProfile.class.getResourceAsStream("profiles/" + nameOrPath + ".json")) {
                return parse(new ObjectMapper().readTree(in), "built-in profile " + nameOrPath);
            }
        }
        Path p = Path.of(nameOrPath);
        if (!Files.isRegularFile(p)) {
            throw new IllegalArgumentException("--profile: '" + nameOrPath + "' is neither a built-in profile "
                    + BUILT_IN + " nor a file");
        }
        JsonNode n;
        try {
            n = new ObjectMapper().readTree(p.toFile());
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalArgumentException("profile " + p + " is not valid JSON: " + e.getOriginalMessage());
        }
        return parse(n, "profile " + p);
    }

    static SoakProfile parse(JsonNode n, String where) {
        JsonNode c = n.path("checks");
        JsonNode b = n.path("burst");
        JsonNode card = n.path("cardinality");
        SoakProfile p = new SoakProfile(text(n, "name", where), n.path("description").asText(""),
                duration(n, "duration", where), positive(n, "blocks_per_s", where),
                (int) positive(n, "logs_per_block", where), (int) positive(n, "batch_blocks", where),
                (int) positive(card, "addresses", where + " cardinality"),
                (int) positive(card, "topic0s", where + " cardinality"),
                (int) positive(card, "topic_values", where + " cardinality"), (int) positive(n, "readers", where),
                (long) atLeastZero(n, "reader_pause_ms", where), (long) positive(n, "broad_span_blocks", where),
                duration(b, "every", where + " burst"), duration(b, "length", where + " burst"),
                positive(b, "factor", where + " burst"), duration(n, "gc_every", where),
                duration(n, "gc_grace", where), duration(n, "compact_every", where),
                duration(n, "sample_every", where), duration(n, "storage_every", where),
                duration(n, "nemesis_every", where), (long) positive(n, "cache_mb", where),
                atLeastZero(c, "warmup_fraction", where + " checks"), duration(c, "live_set_every", where + " checks"),
                positive(c, "heap_slope_mb_per_h", where + " checks"),
                positive(c, "rss_slope_mb_per_h", where + " checks"),
                atLeastZero(c, "p99_interval_allowance", where + " checks"),
                (int) positive(c, "min_interval_queries", where + " checks"),
                (long) positive(c, "backlog_max_objects", where + " checks"),
                duration(c, "backlog_recovery", where + " checks"),
                n.has("history_query_fraction") ? atLeastZero(n, "history_query_fraction", where) : 1.0);
        if (p.historyQueryFraction > 1) {
            throw new IllegalArgumentException(where + ": history_query_fraction must be at most 1, got "
                    + p.historyQueryFraction);
        }
        if (p.warmupFraction >= 0.9) {
            throw new IllegalArgumentException(where + ": checks.warmup_fraction must be below 0.9, got "
                    + p.warmupFraction);
        }
        if (p.burstLength.compareTo(p.burstEvery) >= 0) {
            throw new IllegalArgumentException(where + ": burst.length must be shorter than burst.every");
        }
        return p;
    }

    /** The profile as its file spells it (durations as text), with the duration this soak runs for. */
    public com.fasterxml.jackson.databind.node.ObjectNode toJson() {
        ObjectMapper m = new ObjectMapper();
        com.fasterxml.jackson.databind.node.ObjectNode n = m.createObjectNode();
        n.put("name", name).put("description", description).put("duration", text(duration))
                .put("blocks_per_s", blocksPerSecond).put("logs_per_block", logsPerBlock)
                .put("batch_blocks", batchBlocks);
        n.putObject("cardinality").put("addresses", addresses).put("topic0s", topic0s)
                .put("topic_values", topicValues);
        n.put("readers", readers).put("reader_pause_ms", readerPauseMs).put("broad_span_blocks", broadSpanBlocks);
        n.putObject("burst").put("every", text(burstEvery)).put("length", text(burstLength))
                .put("factor", burstFactor);
        n.put("gc_every", text(gcEvery)).put("gc_grace", text(gcGrace)).put("compact_every", text(compactEvery))
                .put("sample_every", text(sampleEvery)).put("storage_every", text(storageEvery))
                .put("nemesis_every", text(nemesisEvery)).put("cache_mb", cacheMb)
                .put("history_query_fraction", historyQueryFraction);
        n.putObject("checks").put("warmup_fraction", warmupFraction).put("live_set_every", text(liveSetEvery))
                .put("heap_slope_mb_per_h", heapSlopeMbPerHour).put("rss_slope_mb_per_h", rssSlopeMbPerHour)
                .put("p99_interval_allowance", p99IntervalAllowance).put("min_interval_queries", minIntervalQueries)
                .put("backlog_max_objects", backlogMaxObjects).put("backlog_recovery", text(backlogRecovery));
        return n;
    }

    private static String text(Duration d) {
        return d.toMillis() % 1000 != 0 ? d.toMillis() + "ms" : d.toSeconds() + "s";
    }

    /** This profile run for {@code d} instead of its own duration. */
    public SoakProfile withDuration(Duration d) {
        return new SoakProfile(name, description, d, blocksPerSecond, logsPerBlock, batchBlocks, addresses, topic0s,
                topicValues, readers, readerPauseMs, broadSpanBlocks, burstEvery, burstLength, burstFactor, gcEvery,
                gcGrace, compactEvery, sampleEvery, storageEvery, nemesisEvery, cacheMb, warmupFraction, liveSetEvery,
                heapSlopeMbPerHour, rssSlopeMbPerHour, p99IntervalAllowance, minIntervalQueries, backlogMaxObjects,
                backlogRecovery, historyQueryFraction);
    }

    /** Whether the ingest burst is on {@code elapsed} into the soak (a burst ends each {@code burst.every}). */
    public boolean inBurst(Duration elapsed) {
        long every = burstEvery.toMillis();
        long at = elapsed.toMillis() % every;
        return elapsed.toMillis() >= every - burstLength.toMillis() && at >= every - burstLength.toMillis();
    }

    private static JsonNode field(JsonNode n, String f, String where) {
        JsonNode v = n.get(f);
        if (v == null || v.isNull()) {
            throw new IllegalArgumentException(where + ": field '" + f + "' is missing");
        }
        return v;
    }

    private static String text(JsonNode n, String f, String where) {
        JsonNode v = field(n, f, where);
        if (!v.isTextual() || v.asText().isBlank()) {
            throw new IllegalArgumentException(where + ": field '" + f + "' must be a non-empty string, got " + v);
        }
        return v.asText();
    }

    private static double positive(JsonNode n, String f, String where) {
        JsonNode v = field(n, f, where);
        if (!v.isNumber() || v.asDouble() <= 0) {
            throw new IllegalArgumentException(where + ": field '" + f + "' must be a positive number, got " + v);
        }
        return v.asDouble();
    }

    private static double atLeastZero(JsonNode n, String f, String where) {
        JsonNode v = field(n, f, where);
        if (!v.isNumber() || v.asDouble() < 0) {
            throw new IllegalArgumentException(where + ": field '" + f + "' must be a number >= 0, got " + v);
        }
        return v.asDouble();
    }

    private static Duration duration(JsonNode n, String f, String where) {
        return parseDuration(text(n, f, where), where + ": field '" + f + "'");
    }

    /** {@code 500ms}, {@code 30s}, {@code 10m}, {@code 24h}. */
    public static Duration parseDuration(String s, String what) {
        String t = s.trim().toLowerCase(Locale.ROOT);
        try {
            if (t.endsWith("ms")) {
                return positive(Duration.ofMillis(Long.parseLong(t.substring(0, t.length() - 2))), s, what);
            }
            long v = Long.parseLong(t.substring(0, t.length() - 1));
            return positive(switch (t.charAt(t.length() - 1)) {
                case 's' -> Duration.ofSeconds(v);
                case 'm' -> Duration.ofMinutes(v);
                case 'h' -> Duration.ofHours(v);
                default -> throw new NumberFormatException();
            }, s, what);
        } catch (NumberFormatException | StringIndexOutOfBoundsException e) {
            throw new IllegalArgumentException(what + " must be a duration like 500ms, 30s, 10m or 24h, got '" + s
                    + "'");
        }
    }

    private static Duration positive(Duration d, String s, String what) {
        if (d.isZero() || d.isNegative()) {
            throw new IllegalArgumentException(what + " must be positive, got '" + s + "'");
        }
        return d;
    }
}
