package io.fli.cli;

import io.fli.backends.Endpoints;
import io.fli.backends.LocalBackends;
import io.fli.backends.MinioBlobStore;
import io.fli.backends.ScyllaMetaStore;
import io.fli.engine.BlobStore;
import io.fli.engine.MetaStore;
import io.fli.serve.Serve;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code fli serve}: the index as a long-running service. */
@Command(name = "serve", mixinStandardHelpOptions = true,
        description = "Run the index as a service: eth_getLogs over HTTP JSON-RPC at POST /, Prometheus metrics at "
                + "GET /metrics, health at GET /health (200 ok, 503 throttled or degraded). With --follow it is the "
                + "lease-holding writer following the seeded chain; without, a query-only process. Runs until "
                + "SIGINT/SIGTERM.")
final class ServeCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--backend", description = "memory, local (starts Cassandra and S3Proxy under --store) or "
            + "remote (FLI_CQL_* / FLI_S3_*) (default: ${DEFAULT-VALUE}).")
    String backend = "memory";

    @Option(names = "--host", description = "Address to bind (default: ${DEFAULT-VALUE}).")
    String host = "127.0.0.1";

    @Option(names = "--port", description = "Port; 0 picks a free one (default: ${DEFAULT-VALUE}).")
    int port = 8545;

    // (defaultValue and fallbackValue both "true": with only a field initialiser of true, picocli reads a negatable
    // option as the opposite of its default, so --follow meant query-only and --no-follow a writer.)
    @Option(names = "--follow", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "Follow the seeded chain as the writer (default: ${DEFAULT-VALUE}; --no-follow serves "
                    + "queries only).")
    boolean follow;

    @Option(names = "--blocks-per-s", description = "The block source's rate (default: ${DEFAULT-VALUE}).")
    double blocksPerSecond = 4;

    @Option(names = "--seed", description = "Seed of the chain (default: ${DEFAULT-VALUE}).")
    long seed = 1;

    @Option(names = "--store", description = "Where local servers keep their data (default: ${DEFAULT-VALUE}).")
    Path store = Path.of("store", "serve");

    @Option(names = "--segment-format", description = "Format of the index segments this writer writes: 2 (read by "
            + "the previous release too), 3 (long posting lists in parts), 4 (format 3 with term filters) or 5 (format 4 "
            + "with fine id buckets for posting lists of up to 512 ids); every "
            + "process reading the index must run a build that reads the format first, docs/upgrade.md (default: "
            + "${DEFAULT-VALUE}).")
    int segmentFormat = 2;

    @Option(names = "--holder-url", description = "The lease holder's fli serve (e.g. http://10.0.0.5:8545): while "
            + "this process does not hold the lease, each query asks it (GET /lease-view) which state is current and "
            + "answers from its own copy when that is the one, instead of reading meta/state; no answer in time, or "
            + "another state, and it reads meta/state (default: none, always read).")
    java.net.URI holderUrl;

    @Option(names = "--holder-timeout-ms", description = "How long a query waits for --holder-url's answer before it "
            + "reads meta/state itself (default: ${DEFAULT-VALUE}).")
    long holderTimeoutMs = 20;

    @Option(names = "--read-lease-ms", description = "With --holder-url, ask the holder for read leases of this "
            + "many ms (GET /read-lease, at most 1000): between the holder's publishes this process's queries answer "
            + "without asking, and the holder revokes the lease before each CAS, waiting for the acknowledgement or, "
            + "from a paused or partitioned process, for the lease to run out (docs/design.md, \"Read leases for "
            + "query processes\"). 0 asks per query (default: ${DEFAULT-VALUE}).")
    long readLeaseMs = 0;

    @Option(names = "--warm-segment-mb", description = "Each segment a newly read state adds is warmed on a "
            + "background thread, so that a process that does not write does not fetch it on the query path: a "
            + "publish's segment and the small merges fetched whole (a publish's with its pack), as the writer holds "
            + "them; a larger segment's directory and block pages when they take at most this many MB, else its head "
            + "and filters; 0 turns it off (default: ${DEFAULT-VALUE}).")
    // 1 MB: a larger (merged) segment its head and filters only. At 16 MB the warmer read a
    // few hundred directory pages a second while ingest ran, on a store that serves ~2,000 GETs/s; two paired 50M
    // runs of fli slo (performance.md, eleventh round): 23 -> 27 and 19 -> 33 of 47 figures with 1 MB.
    long warmSegmentMb = 1;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        if (port < 0 || port > 65_535) {
            throw Inputs.bad(spec, "--port must be 0..65535, got " + port);
        }
        if (!(blocksPerSecond > 0)) {
            throw Inputs.bad(spec, "--blocks-per-s must be positive, got " + blocksPerSecond);
        }
        Inputs.segmentFormat(spec, segmentFormat);
        long warmSegmentBytes = Inputs.warmSegmentBytes(spec, warmSegmentMb);
        if (holderTimeoutMs < 1) {
            throw Inputs.bad(spec, "--holder-timeout-ms must be at least 1, got " + holderTimeoutMs);
        }
        if (holderUrl != null && (holderUrl.getScheme() == null || !List.of("http", "https").contains(
                holderUrl.getScheme()) || holderUrl.getHost() == null)) {
            throw Inputs.bad(spec, "--holder-url must be an http(s) URL with a host, got '" + holderUrl + "'");
        }
        Inputs.readLeaseMs(spec, readLeaseMs);
        io.fli.engine.HolderView holderView = holderUrl == null ? null
                : new io.fli.serve.HttpHolderView(holderUrl, java.time.Duration.ofMillis(holderTimeoutMs),
                java.time.Duration.ofMillis(readLeaseMs));
        if (!List.of("memory", "local", "remote").contains(backend)) {
            throw Inputs.bad(spec, "--backend must be memory, local or remote, got '" + backend + "'");
        }
        List<AutoCloseable> closing = new ArrayList<>();
        LocalBackends local = null;
        RunLog log = RunLog.start(store, String.join(" ", spec.commandLine().getParseResult()
                .originalArgs()));
        try {
            MetaStore meta;
            BlobStore blobs;
            if (backend.equals("memory")) {
                meta = MetaStore.inMemory();
                blobs = BlobStore.inMemory();
            } else {
                Endpoints at = backend.equals("local")
                        ? Endpoints.local(Files.createDirectories(store).resolve("servers"), "fli")
                        : Endpoints.fromEnvironment();
                local = at.servers();
                ScyllaMetaStore m = ScyllaMetaStore.connect(at.cql());
                closing.add(m);
                MinioBlobStore b = MinioBlobStore.connect(at.s3());
                closing.add(b);
                meta = m;
                blobs = b;
            }
            CountDownLatch stop = new CountDownLatch(1);
            CountDownLatch stopped = new CountDownLatch(1);
            Thread hook = new Thread(() -> {
                stop.countDown();
                try {
                    stopped.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }, "fli-serve-stop");
            Runtime.getRuntime().addShutdownHook(hook);
            try (Serve s = Serve.start(new Serve.Config(host, port, follow, blocksPerSecond, 100, seed,
                    "serve-" + ProcessHandle.current().pid()), meta, blobs, backend, new Serve.Hooks(
                    Serve.Hooks.DEFAULT.source(), Serve.Hooks.DEFAULT.observer(), Serve.Hooks.DEFAULT.gcEvery(),
                    c -> c.withSegmentFormat(segmentFormat).withHolderView(holderView)
                            .withWarmSegmentBytes(warmSegmentBytes)))) {
                out.printf("fli serve: %s, %s, http://%s:%d/ (eth_getLogs, eth_blockNumber), /metrics, /health%n",
                        backend, follow ? "following the seeded chain at " + blocksPerSecond + " blocks/s"
                                : "query-only", host, s.port());
                out.flush();
                stop.await();
            } finally {
                stopped.countDown();
            }
            return 0;
        } finally {
            for (AutoCloseable c : closing) {
                c.close();
            }
            if (local != null) {
                local.close();
            }
            log.moveInto(store);
        }
    }
}
