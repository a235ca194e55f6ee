package io.fli.workloads;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.time.Duration;
import io.fli.faults.ClusterNemesis;
import io.fli.faults.NetworkNemesis;
import java.util.List;

/**
 * The whole configuration of one {@code fli test} run; with the seed it is what {@code test.json} records.
 *
 * @param workload         {@code ingest-query} (one writer, many readers), {@code multi-writer} (writers race for
 *                         the lease and publish the same chain) or {@code restart} (the index restarted repeatedly)
 * @param nemeses          fault names: {@code none}, {@code crash}, {@code restart}, {@code corrupt},
 *                         {@code lease-loss}, {@code lost-reply}, {@code pause-process}, {@code fork}, {@code kill},
 *                         {@code pause} and the network faults of {@link io.fli.faults.NetworkNemesis#FAULTS};
 *                         {@code all} stands for every fault the backend supports ({@link #allFaults})
 * @param backend          {@code memory}, {@code local} (Cassandra + S3Proxy started by the run) or {@code remote}
 *                         (endpoints from the {@code FLI_CQL_*} and {@code FLI_S3_*} environment variables)
 * @param time             how long clients run; longer (up to three times) until every fault asked for has had its
 *                         turn
 * @param seed             the seed of the chain, the queries and the fault schedule
 * @param concurrency      client threads (writers + readers)
 * @param batchBlocks      blocks per publish
 * @param nemesisInterval  pause between faults
 * @param store            the folder runs are written under
 * @param bug              a bug-zoo variant to run instead of the correct engine ({@link Bugs}), or null
 * @param answers          how query answers are recorded: {@code full} (every returned log) or {@code compact}
 *                         ({@code logRefs}: position and content fingerprint, {@code docs/history-format.md})
 * @param readersVia       how readers query: {@code index} (the index processes' own API) or {@code serve} (Ethereum
 *                         JSON-RPC {@code eth_getLogs} over HTTP to a query-only {@code fli serve} process over the
 *                         same stores; local and remote backends, from the fli command line)
 * @param secure           local servers in the secure profile (client TLS, password authentication, roles: the
 *                         index processes run as {@code fli_writer}, S3 over HTTPS); {@code --backend local} only
 * @param nodes            Cassandra nodes a {@code local} run starts: 1, or a cluster (3) on 127.0.0.1-3 with the
 *                         keyspace at RF 3, each index process pinned to a coordinator of its own, and the node
 *                         faults of {@link ClusterNemesis#FAULTS}
 */
public record TestConfig(String workload, List<String> nemeses, String backend, Duration time, long seed,
                         int concurrency, int batchBlocks, Duration nemesisInterval, Path store, String bug,
                         String answers, String readersVia, boolean secure, int nodes) {
    /** A configuration on one Cassandra node (or none). */
    public TestConfig(String workload, List<String> nemeses, String backend, Duration time, long seed,
                      int concurrency, int batchBlocks, Duration nemesisInterval, Path store, String bug,
                      String answers, String readersVia, boolean secure) {
        this(workload, nemeses, backend, time, seed, concurrency, batchBlocks, nemesisInterval, store, bug, answers,
                readersVia, secure, 1);
    }

    /** A configuration on plain (not secure) servers. */
    public TestConfig(String workload, List<String> nemeses, String backend, Duration time, long seed,
                      int concurrency, int batchBlocks, Duration nemesisInterval, Path store, String bug,
                      String answers, String readersVia) {
        this(workload, nemeses, backend, time, seed, concurrency, batchBlocks, nemesisInterval, store, bug, answers,
                readersVia, false);
    }

    /** A configuration whose readers query the index processes. */
    public TestConfig(String workload, List<String> nemeses, String backend, Duration time, long seed,
                      int concurrency, int batchBlocks, Duration nemesisInterval, Path store, String bug,
                      String answers) {
        this(workload, nemeses, backend, time, seed, concurrency, batchBlocks, nemesisInterval, store, bug, answers,
                "index");
    }

    /** A configuration that records full answers. */
    public TestConfig(String workload, List<String> nemeses, String backend, Duration time, long seed,
                      int concurrency, int batchBlocks, Duration nemesisInterval, Path store, String bug) {
        this(workload, nemeses, backend, time, seed, concurrency, batchBlocks, nemesisInterval, store, bug, "full");
    }

    /** Whether query answers are recorded as {@code logRefs}. */
    public boolean compactAnswers() {
        return answers.equals("compact");
    }

    /** Faults inside the engine's process or its data, on any backend. */
    public static final List<String> ENGINE_NEMESES = List.of("none", "crash", "restart", "corrupt", "lease-loss",
            "lost-reply", "pause-process", "fork");
    /** Signals to the servers a {@code local} run starts. */
    public static final List<String> PROCESS_NEMESES = List.of("kill", "pause");

    /**
     * Every fault {@code backend} supports: the engine faults everywhere (corruption needs direct access to stored
     * objects: memory or local), process faults on local servers, network faults on local servers (or remote ones
     * when {@code FLI_TOXIPROXY} names a Toxiproxy server next to them).
     */
    public static List<String> allFaults(String backend) {
        List<String> out = new java.util.ArrayList<>(ENGINE_NEMESES.subList(1, ENGINE_NEMESES.size()));
        if (backend.equals("remote")) {
            out.remove("corrupt");
        }
        if (backend.equals("local")) {
            out.addAll(PROCESS_NEMESES);
        }
        String tp = System.getenv("FLI_TOXIPROXY");
        if (backend.equals("local") || (backend.equals("remote") && tp != null && !tp.isBlank())) {
            out.addAll(NetworkNemesis.FAULTS);
        }
        return List.copyOf(out);
    }

    /** Every fault {@code backend} supports with {@code nodes} Cassandra nodes. */
    public static List<String> allFaults(String backend, int nodes) {
        if (nodes <= 1) {
            return allFaults(backend);
        }
        List<String> out = new java.util.ArrayList<>(allFaults(backend));
        out.removeAll(NetworkNemesis.FAULTS);
        out.addAll(ClusterNemesis.FAULTS);
        return List.copyOf(out);
    }

    public TestConfig {
        if (nodes < 1 || nodes > 9) {
            throw new IllegalArgumentException("--nodes must be 1 (one Cassandra node) or 3 (a cluster), got " + nodes);
        }
        if (nodes > 1 && !backend.equals("local")) {
            throw new IllegalArgumentException("--nodes " + nodes + " starts a local Cassandra cluster: use --backend "
                    + "local (a remote backend is as many nodes as FLI_CQL_CONTACT_POINTS names)");
        }
        if (nodes == 2) {
            throw new IllegalArgumentException("--nodes 2 has no majority that survives a node fault: use 1 or 3");
        }
        if (nemeses.contains("all")) {
            List<String> expanded = new java.util.ArrayList<>(allFaults(backend, nodes));
            nemeses.stream().filter(n -> !n.equals("all") && !expanded.contains(n)).forEach(expanded::add);
            nemeses = List.copyOf(expanded);
        }
        nemeses = List.copyOf(nemeses);
        if (!List.of("ingest-query", "multi-writer", "restart").contains(workload)) {
            throw new IllegalArgumentException("unknown workload '" + workload
                    + "' (ingest-query, multi-writer, restart)");
        }
        if (!List.of("memory", "local", "remote").contains(backend)) {
            throw new IllegalArgumentException("unknown backend '" + backend + "' (memory, local, remote)");
        }
        for (String n : nemeses) {
            if (!ENGINE_NEMESES.contains(n) && !PROCESS_NEMESES.contains(n) && !NetworkNemesis.offers(n)
                    && !ClusterNemesis.offers(n)) {
                throw new IllegalArgumentException("unknown nemesis '" + n + "' (all, " + String.join(", ", ENGINE_NEMESES)
                        + ", " + String.join(", ", PROCESS_NEMESES) + ", " + String.join(", ", NetworkNemesis.FAULTS)
                        + ", " + String.join(", ", ClusterNemesis.FAULTS) + ")");
            }
            if (ClusterNemesis.offers(n) && nodes < 3) {
                throw new IllegalArgumentException("nemesis '" + n + "' is a fault of a cluster's nodes: use "
                        + "--backend local --nodes 3");
            }
            if (NetworkNemesis.offers(n) && nodes > 1) {
                throw new IllegalArgumentException("nemesis '" + n + "' proxies the engine's connection to one CQL "
                        + "node, and the driver of a cluster reaches the others directly: with --nodes " + nodes
                        + " use partition-nodes (cuts between the nodes) or kill-node, pause-node");
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
        if (time.isNegative() || time.isZero()) {
            throw new IllegalArgumentException("--time must be positive, got " + time.toMillis() + " ms: a run that "
                    + "does nothing would check an empty history and report VALID");
        }
        if (answers == null) {
            answers = "full";
        }
        if (!answers.equals("full") && !answers.equals("compact")) {
            throw new IllegalArgumentException("--answers must be full or compact, got '" + answers + "'");
        }
        readersVia = readersVia(readersVia);
        if (readersVia.equals("serve") && backend.equals("memory")) {
            throw new IllegalArgumentException("--readers-via serve queries a fli serve process over the same stores: "
                    + "use --backend local or remote");
        }
        if (secure && nodes > 1) {
            throw new IllegalArgumentException("--secure runs on one Cassandra node (its certificates name 127.0.0.1, "
                    + "its roles live in an unreplicated system_auth): use --secure or --nodes " + nodes + ", not both");
        }
        if (secure && !backend.equals("local")) {
            throw new IllegalArgumentException("--secure starts the local servers in the secure profile: use --backend "
                    + "local (a remote backend is as secure as its FLI_CQL_* / FLI_S3_* configuration)");
        }
        if (concurrency < 2) {
            throw new IllegalArgumentException("concurrency must be >= 2 (a writer and a reader), got " + concurrency);
        }
    }

    /** How a harness's readers query ({@code --readers-via}): {@code index} (also for null) or {@code serve}. */
    public static String readersVia(String v) {
        if (v == null) {
            return "index";
        }
        if (!v.equals("index") && !v.equals("serve")) {
            throw new IllegalArgumentException("--readers-via must be index or serve, got '" + v + "'");
        }
        return v;
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
                n.hasNonNull("bug") ? n.get("bug").asText() : null,
                n.hasNonNull("answers") ? n.get("answers").asText() : "full",
                n.hasNonNull("readers_via") ? n.get("readers_via").asText() : "index",
                n.path("secure").asBoolean(false), n.path("nodes").asInt(1));
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
        n.put("answers", answers);
        if (!readersVia.equals("index")) {
            n.put("readers_via", readersVia);
        }
        if (secure) {
            n.put("secure", true);
        }
        if (nodes > 1) {
            n.put("nodes", nodes);
        }
        return n;
    }
}
