package io.fli.cli;

import io.fli.backends.LocalBackends;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code fli backends start|status|stop}: local Cassandra and S3Proxy for people. */
@Command(name = "backends", mixinStandardHelpOptions = true,
        description = {"Start, inspect or stop a local Cassandra (CQL with LWT) and S3Proxy (S3 API), each its own "
                + "process on 127.0.0.1 with its data under --dir.",
                "start leaves them running and writes DIR/backends.env (endpoints, credentials, PIDs) in the "
                        + "FLI_CQL_* / FLI_S3_* variables the stores read. stop ends only the processes it started."})
final class BackendsCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(paramLabel = "ACTION", description = "start, status, stop, or cleanup (removes the packet-filter "
            + "rules of partition faults whose run is gone)")
    String action;

    @Option(names = "--dir", description = "Data and logs of the servers (default: ${DEFAULT-VALUE}).")
    Path dir = Path.of("store", "backends");

    @Option(names = "--secure", description = "start: the secure profile. Cassandra with client TLS only, "
            + "PasswordAuthenticator + CassandraAuthorizer, the default superuser replaced, roles fli_admin (schema), "
            + "fli_writer (read/write rows), fli_reader (read rows), its audit log on; S3Proxy over HTTPS. A CA "
            + "made for these servers (DIR/tls/ca.pem); passwords and keys in 0600 files under DIR/secrets; "
            + "backends.env names the files, never the secrets.")
    boolean secure;

    @Option(names = "--nodes", description = "start: Cassandra nodes, 1 or 3 (a cluster on 127.0.0.1-3, same ports "
            + "on each address, keyspace fli at RF 3) (default: ${DEFAULT-VALUE}).")
    int nodes = 1;

    @Override
    public Integer call() throws IOException {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        Path env = dir.resolve("backends.env");
        switch (action) {
            case "start" -> {
                Map<String, String> known = read(env);
                if (alive(known, "FLI_CASSANDRA_PID") || alive(known, "FLI_S3PROXY_PID")) {
                    err.println("fli backends: already running from " + dir.toAbsolutePath() + "; see 'fli backends status'");
                    return 1;
                }
                long t0 = System.nanoTime();
                LocalBackends b;
                try {
                    b = new LocalBackends(dir.toAbsolutePath(), secure, nodes).start();
                } catch (IllegalArgumentException e) {
                    err.println("fli backends: " + e.getMessage());
                    return 2;
                }
                out.printf("started in %.1f s%s%n", (System.nanoTime() - t0) / 1e9, secure ? " (secure profile)"
                        : nodes > 1 ? " (a cluster of " + nodes + " Cassandra nodes, keyspace fli at RF " + nodes + ")"
                        : "");
                // These servers are ours: their schema is migrated here, as an operator would with fli admin migrate
                // (in the secure profile, start did it as fli_admin).
                int[] schema = secure
                        ? new int[]{0, io.fli.backends.ScyllaMetaStore.MIGRATIONS.size()}
                        : io.fli.backends.ScyllaMetaStore.migrate(b.cql("fli"));
                for (var n : b.nodes()) {
                    out.printf("  cassandra  %s:%d (CQL, data center %s, keyspace fli at schema version %d)  pid %d  "
                            + "logs %s%n", n.host(), n.cqlPort(), n.datacenter(), schema[1], n.pid(),
                            n.dir().resolve("logs"));
                }
                out.printf("  s3proxy    %s  pid %d  logs %s%n", b.s3().endpoint(), b.s3().pid(),
                        b.s3().dir().resolve("logs"));
                if (secure) {
                    out.printf("  TLS: CA %s (clients trust only it); server certificate for %s%n", b.tls().caPem(),
                            io.fli.backends.LocalTls.SAN);
                    out.printf("  roles: %s (schema), %s (the application: backends.env), %s (read only); "
                            + "passwords in %s (0600)%n", LocalBackends.ADMIN, LocalBackends.WRITER,
                            LocalBackends.READER, dir.toAbsolutePath().resolve("secrets"));
                    out.printf("  cassandra audit log: %s%n", b.cassandra().auditLog());
                }
                out.println("  credentials and endpoints: " + env.toAbsolutePath()
                        + "  (e.g. 'set -a; . " + env + "; set +a')");
                return 0;
            }
            case "status" -> {
                Map<String, String> known = read(env);
                if (known.isEmpty()) {
                    out.println("no backends recorded in " + dir.toAbsolutePath());
                    return 1;
                }
                List<String> pids = cassandraPids(known);
                String[] points = known.getOrDefault("FLI_CQL_CONTACT_POINTS", "").split(",");
                boolean c = true;
                for (int i = 0; i < pids.size(); i++) {
                    String point = i < points.length ? points[i].trim() : "?";
                    Optional<ProcessHandle> p = ours(pids.get(i));
                    String state = p.isEmpty() ? "stopped" : paused(p.get().pid()) ? "paused (SIGSTOP)" : "running";
                    c &= state.equals("running");
                    out.printf("cassandra  %s  %s  pid %s%s%n", point, state, pids.get(i),
                            p.isPresent() && accepts(point) ? "  accepting connections" : "");
                }
                if (pids.size() > 1) {
                    out.println("  the cluster's own view: " + ringView(known));
                }
                boolean s = alive(known, "FLI_S3PROXY_PID");
                out.printf("s3proxy    %s  pid %s  %s%n", s ? "running" : "stopped", known.get("FLI_S3PROXY_PID"),
                        known.get("FLI_S3_ENDPOINT"));
                return c && s ? 0 : 1;
            }
            case "stop" -> {
                Map<String, String> known = read(env);
                int stopped = 0;
                List<String[]> targets = new java.util.ArrayList<>();
                for (String pid : cassandraPids(known)) {
                    targets.add(new String[]{"cassandra", pid});
                }
                targets.add(new String[]{"s3proxy", known.get("FLI_S3PROXY_PID")});
                for (String[] target : targets) {
                    Optional<ProcessHandle> p = ours(target[1]);
                    if (p.isPresent()) {
                        p.get().destroy();
                        try {
                            p.get().onExit().get(30, java.util.concurrent.TimeUnit.SECONDS);
                        } catch (Exception e) {
                            p.get().destroyForcibly();
                        }
                        out.println("stopped " + target[0] + " (pid " + p.get().pid() + ")");
                        stopped++;
                    }
                }
                if (stopped == 0) {
                    out.println("nothing to stop in " + dir.toAbsolutePath());
                }
                return 0;
            }
            case "cleanup" -> {
                if (!io.fli.faults.net.PacketFilter.available()) {
                    out.println("no packet filter here (" + io.fli.faults.net.PacketFilter.unavailableReason()
                            + "): nothing to clean up");
                    return 0;
                }
                int removed = io.fli.faults.net.PacketFilter.removeStale();
                out.println("removed " + removed + " packet-filter chain(s) of runs that are gone; still in use: "
                        + io.fli.faults.net.PacketFilter.chains());
                return 0;
            }
            default -> {
                err.println("fli backends: unknown action '" + action + "' (start, status, stop or cleanup)");
                return 2;
            }
        }
    }

    private static Map<String, String> read(Path env) throws IOException {
        Map<String, String> m = new LinkedHashMap<>();
        if (Files.exists(env)) {
            for (String line : Files.readAllLines(env)) {
                int eq = line.indexOf('=');
                if (eq > 0) {
                    m.put(line.substring(0, eq), line.substring(eq + 1));
                }
            }
        }
        return m;
    }

    /** The process recorded under {@code key}, only if it is still the server this command started (its command
     * line names our data folder), so a recycled PID is never signalled. */
    private Optional<ProcessHandle> ours(Map<String, String> known, String key) {
        return ours(known.get(key));
    }

    /** The Cassandra nodes' PIDs, in contact-point order (FLI_CASSANDRA_PIDS; older files: FLI_CASSANDRA_PID). */
    private static List<String> cassandraPids(Map<String, String> known) {
        String all = known.get("FLI_CASSANDRA_PIDS");
        if (all != null && !all.isBlank()) {
            return List.of(all.split(","));
        }
        String one = known.get("FLI_CASSANDRA_PID");
        return one == null ? List.of() : List.of(one);
    }

    /** Whether the process is stopped by a signal (state T in /proc/PID/stat). */
    private static boolean paused(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            return stat.substring(stat.lastIndexOf(") ") + 2).startsWith("T");
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    /** Which nodes the cluster itself holds up or down, as a client's driver sees it (short timeouts). */
    private static String ringView(Map<String, String> known) {
        try {
            io.fli.backends.CqlConfig cql = io.fli.backends.CqlConfig.fromEnvironment(known)
                    .withRequestTimeout(Duration.ofSeconds(3)).withKeyspace("system").withMigrate(false);
            return io.fli.backends.ScyllaMetaStore.ringView(cql);
        } catch (RuntimeException e) {
            return "unavailable (" + e.getMessage() + ")";
        }
    }

    private Optional<ProcessHandle> ours(String pid) {
        if (pid == null) {
            return Optional.empty();
        }
        String marker = dir.toAbsolutePath().toString();
        return ProcessHandle.of(Long.parseLong(pid.trim())).filter(ProcessHandle::isAlive)
                .filter(p -> p.info().commandLine().map(c -> c.contains(marker)).orElse(false)
                        || p.info().arguments().map(a -> String.join(" ", a).contains(marker)).orElse(false));
    }

    private boolean alive(Map<String, String> known, String key) {
        return ours(known, key).isPresent();
    }

    private static boolean accepts(String hostPort) {
        if (hostPort == null) {
            return false;
        }
        int colon = hostPort.lastIndexOf(':');
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(hostPort.substring(0, colon), Integer.parseInt(hostPort.substring(colon + 1))),
                    (int) Duration.ofMillis(300).toMillis());
            return true;
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }
}
