package io.fli.soak;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.util.List;

/**
 * One soak: where it runs, with which profile and faults.
 *
 * @param backend     {@code memory}, {@code local} (Cassandra + S3Proxy started by the soak) or {@code remote}
 *                    ({@code FLI_CQL_*} / {@code FLI_S3_*})
 * @param profile     the load, schedule and limits (its duration is the soak's)
 * @param nemeses     faults injected every {@link SoakProfile#nemesisEvery()}: {@code restart} (the index process
 *                    loses its memory), and on local servers {@code kill} and {@code pause}; empty for none
 * @param seed        the seed of the chain, the queries and the fault schedule
 * @param metricsPort the port of the Prometheus endpoint on 127.0.0.1 (0: any free port)
 * @param store       run folders go under {@code store/soak/}
 * @param bug         a stability bug ({@link io.fli.zoo.Leaks#NAMES}) instead of the correct engine, or null
 * @param slo         the SLO file whose query targets the p99 checks use
 * @param readersVia  {@code index} (readers call the index) or {@code serve} (readers send {@code eth_getLogs} over
 *                    HTTP to the {@code fli serve} JSON-RPC server the soak runs over its index)
 */
public record SoakConfig(String backend, SoakProfile profile, List<String> nemeses, long seed, int metricsPort,
                         Path store, String bug, Path slo, String readersVia) {
    /** A soak whose readers call the index. */
    public SoakConfig(String backend, SoakProfile profile, List<String> nemeses, long seed, int metricsPort,
                      Path store, String bug, Path slo) {
        this(backend, profile, nemeses, seed, metricsPort, store, bug, slo, "index");
    }

    public static final List<String> NEMESES = List.of("restart", "kill", "pause");

    public SoakConfig {
        nemeses = List.copyOf(nemeses);
        if (!List.of("memory", "local", "remote").contains(backend)) {
            throw new IllegalArgumentException("--backend must be memory, local or remote, got '" + backend + "'");
        }
        for (String n : nemeses) {
            if (!NEMESES.contains(n)) {
                throw new IllegalArgumentException("unknown nemesis '" + n + "' for a soak (" + String.join(", ",
                        NEMESES) + ")");
            }
            if (!n.equals("restart") && !backend.equals("local")) {
                throw new IllegalArgumentException("nemesis '" + n + "' signals the servers the soak starts: use "
                        + "--backend local");
            }
        }
        if (bug != null && !io.fli.zoo.Leaks.NAMES.contains(bug)) {
            throw new IllegalArgumentException("unknown soak bug '" + bug + "' (" + String.join(", ",
                    io.fli.zoo.Leaks.NAMES) + ")");
        }
        readersVia = io.fli.workloads.TestConfig.readersVia(readersVia);
        if (metricsPort < 0 || metricsPort > 65_535) {
            throw new IllegalArgumentException("--metrics-port must be 0..65535, got " + metricsPort);
        }
    }

    public ObjectNode toJson() {
        ObjectNode n = new ObjectMapper().createObjectNode();
        n.put("name", "soak-" + profile.name());
        n.put("profile", profile.name());
        n.put("backend", backend);
        n.put("duration_ms", profile.duration().toMillis());
        n.set("nemesis", new ObjectMapper().valueToTree(nemeses));
        n.put("seed", seed);
        if (bug != null) {
            n.put("bug", bug);
        }
        if (!readersVia.equals("index")) {
            n.put("readers_via", readersVia);
        }
        return n;
    }
}
