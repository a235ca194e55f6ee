package io.fli.workloads;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.time.Duration;
import io.fli.faults.NetworkNemesis;
import java.util.List;

/**
 * The whole configuration of one {@code fli test} run; with the seed it is what {@code test.json} records.
 *
 * @param workload         {@code ingest-query} (one writer, many readers), {@code multi-writer} (writers race for
 *                         the lease and publish the same chain) or {@code restart} (the index restarted repeatedly)
 * @param nemeses          fault names: {@code none}, {@code crash}, {@code restart}, {@code corrupt},
 *                         {@code lease-loss}, {@code kill}, {@code pause} and the network faults of
 *                         {@link io.fli.faults.NetworkNemesis#FAULTS}
 * @param backend          {@code memory}, {@code local} (Cassandra + S3Proxy started by the run) or {@code remote}
 *                         (endpoints from the {@code FLI_CQL_*} and {@code FLI_S3_*} environment variables)
 * @param time             how long clients run
 * @param seed             the seed of the chain, the queries and the fault schedule
 * @param concurrency      client threads (writers + readers)
 * @param batchBlocks      blocks per publish
 * @param nemesisInterval  pause between faults
 * @param store            the folder runs are written under
 * @param bug              a bug-zoo variant to run instead of the correct engine ({@link Bugs}), or null
 */
public record TestConfig(String workload, List<String> nemeses, String backend, Duration time, long seed,
                         int concurrency, int batchBlocks, Duration nemesisInterval, Path store, String bug) {
    /** Faults inside the engine's process or its data, on any backend. */
    public static final List<String> ENGINE_NEMESES = List.of("none", "crash", "restart", "corrupt", "lease-loss");
    /** Signals to the servers a {@code local} run starts. */
    public static final List<String> PROCESS_NEMESES = List.of("kill", "pause");

    public TestConfig {
        if (!List.of("ingest-query", "multi-writer", "restart").contains(workload)) {
            throw new IllegalArgumentException("unknown workload '" + workload
                    + "' (ingest-query, multi-writer, restart)");
        }
        if (!List.of("memory", "local", "remote").contains(backend)) {
            throw new IllegalArgumentException("unknown backend '" + backend + "' (memory, local, remote)");
        }
        for (String n : nemeses) {
            if (!ENGINE_NEMESES.contains(n) && !PROCESS_NEMESES.contains(n) && !NetworkNemesis.offers(n)) {
                throw new IllegalArgumentException("unknown nemesis '" + n + "' (" + String.join(", ", ENGINE_NEMESES)
                        + ", " + String.join(", ", PROCESS_NEMESES) + ", " + String.join(", ", NetworkNemesis.FAULTS)
                        + ")");
            }
            if (PROCESS_NEMESES.contains(n) && !backend.equals("local")) {
                throw new IllegalArgumentException("nemesis '" + n + "' signals the servers this run starts: use "
                        + "--backend local");
            }
            if (NetworkNemesis.offers(n) && backend.equals("memory")) {
                throw new IllegalArgumentException("nemesis '" + n + "' is a network fault between the engine and "
                        + "its servers: use --backend local (or remote with FLI_TOXIPROXY)");
            }
        }
        if (bug != null) {
            Bugs.named(bug);
            if (bug.equals("cas-read-then-write") && !backend.equals("memory")) {
                throw new IllegalArgumentException("bug 'cas-read-then-write' replaces the meta store: use --backend memory");
            }
        }
        if (concurrency < 2) {
            throw new IllegalArgumentException("concurrency must be >= 2 (a writer and a reader), got " + concurrency);
        }
    }

    /** The configuration a saved run recorded in its {@code test.json}, to run it again. */
    public static TestConfig fromJson(com.fasterxml.jackson.databind.JsonNode n, Path store) {
        List<String> nemeses = new java.util.ArrayList<>();
        n.path("nemesis").forEach(x -> nemeses.add(x.asText()));
        for (String field : List.of("workload", "backend", "time_ms", "seed", "concurrency", "batch_blocks",
                "nemesis_interval_ms")) {
            if (!n.has(field)) {
                throw new IllegalArgumentException("test.json has no '" + field + "': not a run folder of fli test");
            }
        }
        return new TestConfig(n.get("workload").asText(), nemeses, n.get("backend").asText(),
                Duration.ofMillis(n.get("time_ms").asLong()), n.get("seed").asLong(), n.get("concurrency").asInt(),
                n.get("batch_blocks").asInt(), Duration.ofMillis(n.get("nemesis_interval_ms").asLong()), store,
                n.hasNonNull("bug") ? n.get("bug").asText() : null);
    }

    public ObjectNode toJson() {
        ObjectNode n = new ObjectMapper().createObjectNode();
        n.put("name", workload);
        n.put("workload", workload);
        n.set("nemesis", new ObjectMapper().valueToTree(nemeses));
        n.put("backend", backend);
        n.put("time_ms", time.toMillis());
        n.put("seed", seed);
        n.put("concurrency", concurrency);
        n.put("batch_blocks", batchBlocks);
        n.put("nemesis_interval_ms", nemesisInterval.toMillis());
        if (bug != null) {
            n.put("bug", bug);
        }
        return n;
    }
}
