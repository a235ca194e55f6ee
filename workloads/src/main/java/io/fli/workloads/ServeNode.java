package io.fli.workloads;

import io.fli.backends.CqlConfig;
import io.fli.backends.S3Config;
import io.fli.engine.BackendException;
import io.fli.engine.Block;
import io.fli.engine.GcReport;
import io.fli.engine.Health;
import io.fli.engine.LogQuery;
import io.fli.engine.PublishResult;
import io.fli.engine.QueryResult;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A query-only {@code fli serve} process over the run's stores, and the readers' client of it: each query is an
 * Ethereum JSON-RPC {@code eth_getLogs} over HTTP, answered by the same code operators run; the head the answer was
 * computed against comes back in the {@code X-Fli-Head} response header. Needs the fli command line on the class path
 * (the run is started by {@code fli test}).
 */
final class ServeNode implements Node {
    static final String MAIN = "io.fli.cli.Main";
    private final String name;
    private final Process process;
    private final String url;
    private final RpcClient client;

    ServeNode(String name, CqlConfig cql, S3Config s3, Path dir) throws IOException {
        try {
            Class.forName(MAIN);
        } catch (ClassNotFoundException e) {
            throw new IllegalArgumentException("--readers-via serve starts fli serve: run it from the fli command line "
                    + "(" + MAIN + " is not on the class path)");
        }
        this.name = name;
        int port = io.fli.backends.LocalServer.freePort();
        Files.createDirectories(dir);
        List<String> cmd = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx512m",
                "-XX:+UseSerialGC", "-cp", System.getProperty("java.class.path"), MAIN, "serve", "--backend", "remote",
                "--no-follow", "--port", Integer.toString(port), "--store", dir.toString());
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("serve.out").toFile()));
        pb.environment().putAll(cql.toEnvironment());
        pb.environment().putAll(s3.toEnvironment());
        this.process = pb.start();
        this.url = "http://127.0.0.1:" + port;
        this.client = new RpcClient(url);
        long end = System.nanoTime() + TimeUnit.MINUTES.toNanos(3);
        while (System.nanoTime() < end && process.isAlive()) {
            try {
                client.health();
                return;
            } catch (BackendException e) {
                Run.sleep(300);
            }
        }
        process.destroyForcibly();
        throw new IOException("fli serve (" + name + ") did not answer within 3 minutes; see " + dir.resolve("serve.out"));
    }

    String url() {
        return url;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public QueryResult query(LogQuery q) {
        return client.query(q);
    }

    @Override
    public Long head() {
        return client.head();
    }

    @Override
    public Health health() {
        return client.health();
    }

    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
        }
    }

    // A query-only process: nothing below is asked of it (readers query, final reads query).

    @Override
    public long acquire(String writer, boolean takeOver) {
        throw new UnsupportedOperationException("fli serve --no-follow does not write");
    }

    @Override
    public long epoch(String writer) {
        throw new UnsupportedOperationException("fli serve --no-follow does not write");
    }

    @Override
    public PublishResult publish(String writer, List<Block> batch) {
        throw new UnsupportedOperationException("fli serve --no-follow does not write");
    }

    @Override
    public GcReport gc(String writer) {
        throw new UnsupportedOperationException("fli serve --no-follow does not write");
    }

    @Override
    public void forget(String writer) {
    }

    @Override
    public long leaseEpoch() {
        throw new UnsupportedOperationException("fli serve --no-follow holds no lease");
    }

    @Override
    public void restart() {
        throw new UnsupportedOperationException("not a fault target");
    }

    @Override
    public void dropCaches() {
        throw new UnsupportedOperationException("not a fault target");
    }

    @Override
    public void pause() {
        throw new UnsupportedOperationException("not a fault target");
    }

    @Override
    public void resume() {
        throw new UnsupportedOperationException("not a fault target");
    }
}
