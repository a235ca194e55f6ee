package io.fli.workloads;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fli.engine.CasResult;
import io.fli.engine.MetaRecord;
import io.fli.engine.MetaStore;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The harness's own record of unknown CAS outcomes: a meta store that, whenever a conditional write answers
 * {@link CasResult.Unknown} (a timeout, a lost reply, a coordinator that lost its replicas), settles it at once with
 * a linearizable read of its own — independent of what the engine then concludes — and appends one JSON line to a
 * file: when, which process, what was written, and whether it had applied. The read runs on a thread of its own, so
 * the engine's timing is untouched (a first version read in the writer's thread with retries for up to 10 s, a stall
 * between a writer's blob writes and its state CAS that a real deployment would not have: an observer must not change
 * what it observes):
 * <ul>
 *   <li>{@code applied}: the record is at the version written, with the value written;</li>
 *   <li>{@code not-applied}: the record is still at the version the write expected (a SERIAL read completes any Paxos
 *       round in flight, so it can no longer apply), or another writer's value is at the version written;</li>
 *   <li>{@code unresolved}: the record moved past the version written before it could be read, or it could not be
 *       read at all.</li>
 * </ul>
 * {@link #summarize} joins the lines of every process with the run's fault windows: which fault produced each.
 */
final class CasOutcomes implements MetaStore {
    private final MetaStore base;
    private final Path file;
    private final String process;
    private final java.util.concurrent.ExecutorService settler = java.util.concurrent.Executors
            .newSingleThreadExecutor(r -> {
                Thread t = new Thread(r, "cas-outcome-settler");
                t.setDaemon(true);
                return t;
            });

    private CasOutcomes(MetaStore base, Path file, String process) {
        this.base = base;
        this.file = file;
        this.process = process;
    }

    /** {@code base}, with its unknown outcomes settled and recorded in {@code file} (null: {@code base} itself). */
    static MetaStore observe(MetaStore base, Path file, String process) {
        return file == null ? base : new CasOutcomes(base, file, process);
    }

    @Override
    public Optional<MetaRecord> get(String key) {
        return base.get(key);
    }

    @Override
    public Optional<MetaRecord> getCommitted(String key) {
        return base.getCommitted(key);
    }

    @Override
    public CasResult putIfAbsent(String key, long epoch, byte[] value) {
        CasResult r = base.putIfAbsent(key, epoch, value);
        if (r instanceof CasResult.Unknown u) {
            settleLater("put-if-absent", key, 0, value, u);
        }
        return r;
    }

    @Override
    public CasResult compareAndSet(String key, long expectedVersion, long expectedEpoch, long newEpoch, byte[] value) {
        CasResult r = base.compareAndSet(key, expectedVersion, expectedEpoch, newEpoch, value);
        if (r instanceof CasResult.Unknown u) {
            settleLater("cas", key, expectedVersion, value, u);
        }
        return r;
    }

    @Override
    public void close() {
        settler.shutdown();
        try {
            settler.awaitTermination(15, java.util.concurrent.TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        base.close();
    }

    private void settleLater(String op, String key, long expected, byte[] value, CasResult.Unknown u) {
        long at = System.currentTimeMillis();
        settler.execute(() -> settle(at, op, key, expected, value, u));
    }

    /** Waits until every outcome met so far is settled and recorded (tests). */
    void awaitSettled() throws Exception {
        settler.submit(() -> { }).get(60, java.util.concurrent.TimeUnit.SECONDS);
    }

    private void settle(long at, String op, String key, long expected, byte[] value, CasResult.Unknown u) {
        String outcome = "unresolved";
        String readError = null;
        // Up to ~10 s: past a circuit breaker's 2 s hold and a node's restart of its native port, not past a run.
        for (int attempt = 0; attempt < 8; attempt++) {
            try {
                Optional<MetaRecord> cur = base.get(key);
                outcome = outcome(cur, expected, value);
                readError = null;
                break;
            } catch (RuntimeException e) {
                readError = e.getClass().getSimpleName() + ": " + e.getMessage();
                Run.sleep(1_250);
            }
        }
        ObjectNode line = Run.JSON.createObjectNode();
        line.put("wall_ms", at);
        line.put("process", process);
        line.put("op", op);
        line.put("key", key);
        line.put("expected_version", expected);
        line.put("outcome", outcome);
        Throwable cause = u.cause();
        line.put("cause", cause == null ? "unknown" : cause.getClass().getSimpleName() + ": "
                + String.valueOf(cause.getMessage()).lines().findFirst().orElse(""));
        if (readError != null) {
            line.put("settle_error", readError);
        }
        try {
            Files.writeString(file, Run.JSON.writeValueAsString(line) + "\n", StandardCharsets.UTF_8,
                    StandardOpenOption.CREATE, StandardOpenOption.APPEND, StandardOpenOption.WRITE);
        } catch (IOException e) {
            throw new UncheckedIOException("recording an unknown CAS outcome in " + file, e);
        }
    }

    /** What a linearizable read of the record says of a write that expected version {@code expected}. */
    static String outcome(Optional<MetaRecord> cur, long expected, byte[] value) {
        if (cur.isEmpty()) {
            return expected == 0 ? "not-applied" : "unresolved";
        }
        MetaRecord r = cur.get();
        if (r.version() == expected + 1) {
            return Arrays.equals(r.value(), value) ? "applied" : "not-applied";
        }
        return r.version() == expected ? "not-applied" : "unresolved";
    }

    /** A fault as the harness ran it: its name and when it began and ended (wall clock). */
    record Window(String fault, long startMs, long endMs) {
    }

    /** How long after a fault ends an unknown outcome is still put down to it (timeouts, reconnects, catch-up). */
    static final long AFTERMATH_MS = 10_000;

    /**
     * Every process's recorded outcomes ({@code *-cas-unknown.jsonl} under {@code dir}), counted by outcome and by the
     * fault in force when each was seen: the latest fault that began before it and ended less than
     * {@link #AFTERMATH_MS} before it; {@code none} when no fault was near.
     */
    static ObjectNode summarize(Path dir, List<Window> windows) throws IOException {
        List<JsonNode> events = new ArrayList<>();
        if (Files.isDirectory(dir)) {
            try (var files = Files.list(dir)) {
                for (Path f : files.filter(p -> p.getFileName().toString().endsWith("-cas-unknown.jsonl")).sorted()
                        .toList()) {
                    for (String l : Files.readAllLines(f)) {
                        if (!l.isBlank()) {
                            try {
                                events.add(Run.JSON.readTree(l));
                            } catch (IOException e) {
                                // a line cut short by a killed process: the others stand
                            }
                        }
                    }
                }
            }
        }
        events.sort(java.util.Comparator.comparingLong(e -> e.path("wall_ms").asLong()));
        ObjectNode out = Run.JSON.createObjectNode();
        Map<String, int[]> byOutcome = new TreeMap<>();
        Map<String, Map<String, Integer>> byFault = new TreeMap<>();
        ArrayNode list = Run.JSON.createArrayNode();
        for (JsonNode e : events) {
            long t = e.path("wall_ms").asLong();
            String fault = "none";
            for (Window w : windows) {
                if (w.startMs() <= t && t <= w.endMs() + AFTERMATH_MS) {
                    fault = w.fault();
                }
            }
            String outcome = e.path("outcome").asText();
            byOutcome.computeIfAbsent(outcome, k -> new int[1])[0]++;
            Map<String, Integer> f = byFault.computeIfAbsent(fault, k -> new TreeMap<>());
            f.merge("total", 1, Integer::sum);
            f.merge(outcome, 1, Integer::sum);
            ObjectNode copy = ((ObjectNode) e).deepCopy();
            copy.put("fault", fault);
            list.add(copy);
        }
        out.put("total", events.size());
        for (String o : List.of("applied", "not-applied", "unresolved")) {
            out.put(o, byOutcome.getOrDefault(o, new int[1])[0]);
        }
        out.set("by_fault", Run.JSON.valueToTree(byFault));
        out.set("events", list);
        return out;
    }

    /** One line for people: {@code 12 (5 applied, 6 not applied, 1 unresolved); kill-node 5, partition-nodes 7}. */
    static String describe(JsonNode summary) {
        StringBuilder sb = new StringBuilder();
        sb.append(summary.path("total").asInt()).append(" (").append(summary.path("applied").asInt())
                .append(" applied, ").append(summary.path("not-applied").asInt()).append(" not applied, ")
                .append(summary.path("unresolved").asInt()).append(" unresolved)");
        List<String> faults = new ArrayList<>();
        summary.path("by_fault").fields().forEachRemaining(f -> faults.add(f.getKey() + " "
                + f.getValue().path("total").asInt() + " (" + f.getValue().path("applied").asInt() + " applied)"));
        if (!faults.isEmpty()) {
            sb.append("; by fault: ").append(String.join(", ", faults));
        }
        return sb.toString();
    }
}
