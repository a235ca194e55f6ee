package io.fli.workloads;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fli.checker.HistoryWriter;
import io.fli.checker.Op;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * What every part of one run shares: the configuration, the simulation (memory runs), the history being recorded,
 * the flag that stops clients, process numbers and progress counts.
 */
final class Run {
    /** The faults run so far, with their wall-clock windows (to put unknown CAS outcomes down to faults). */
    final java.util.List<CasOutcomes.Window> windows = java.util.Collections.synchronizedList(new java.util.ArrayList<>());
    static final ObjectMapper JSON = new ObjectMapper();

    final TestConfig cfg;
    /** The deterministic scheduler of a memory run; null when clients run as free threads on real servers. */
    final Sim sim;
    final AtomicBoolean running = new AtomicBoolean(true);
    /** Set when the run was stopped from outside (Ctrl-C): no final reads, the partial history is checked. */
    final AtomicBoolean interrupted = new AtomicBoolean();
    /** The first failure to record the history (a full disk, say): the run stops and reports it. */
    final AtomicReference<RuntimeException> recordingFailed = new AtomicReference<>();
    final Map<String, AtomicInteger> counts = new ConcurrentHashMap<>();
    private final AtomicInteger nextProcess = new AtomicInteger();
    volatile HistoryWriter history;
    /** The faults the schedule will inject; a run goes on past its time until each has had its turn. */
    volatile java.util.List<String> faults = java.util.List.of();

    /** Whether every fault of the schedule has been injected at least once. */
    boolean everyFaultHadItsTurn() {
        return faults.stream().allMatch(f -> counts.containsKey("nemesis " + f));
    }

    Run(TestConfig cfg) {
        this.cfg = cfg;
        this.sim = cfg.backend().equals("memory") ? new Sim(cfg.seed() * 1_000_003 + 17, 250_000) : null;
    }

    /** A fresh client process number (a process whose operation ended in info is never used again). */
    int newProcess() {
        return nextProcess.getAndIncrement();
    }

    /** Sleeps: logical time in a simulation, real time otherwise. */
    void pause(long ms) {
        if (sim != null && Sim.inFiber()) {
            sim.sleep(ms);
        } else {
            sleep(ms);
        }
    }

    /** A point where, in a simulation, another activity may run. */
    void yieldPoint() {
        if (sim != null) {
            sim.yieldNow();
        }
    }

    void count(String f, Op.Type t) {
        counts.computeIfAbsent(f + " " + t.wire(), k -> new AtomicInteger()).incrementAndGet();
    }

    /** Records a nemesis-process line (a fault, or the engine's housekeeping seen by the harness). */
    void nemesisLine(Op.Type type, String f, JsonNode value) {
        history.nemesis(type, f, value == null ? JSON.createObjectNode() : value);
    }

    /** Runs a client or the nemesis; a failure to record the history stops the whole run. */
    void guarded(Runnable r) {
        try {
            r.run();
        } catch (java.io.UncheckedIOException | IllegalStateException e) {
            recordingFailed.compareAndSet(null, e);
            running.set(false);
        }
    }

    /** Shorthands for building JSON values. */
    static final class Json {
        com.fasterxml.jackson.databind.node.ObjectNode object() {
            return JSON.createObjectNode();
        }

        com.fasterxml.jackson.databind.node.ArrayNode array() {
            return JSON.createArrayNode();
        }
    }

    static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
