package io.fli.backends;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A server this process runs as its own child JVM, with its own data folder, log file and loopback ports, so a test
 * can kill it ({@code SIGKILL}), pause it ({@code SIGSTOP}) and resume it ({@code SIGCONT}), and restart it on the same
 * data. Signals go only to the child's own PID.
 */
public abstract class LocalServer implements AutoCloseable {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(LocalServer.class);
    protected final Path dir;
    private Process process;

    protected LocalServer(Path dir) {
        this.dir = dir.toAbsolutePath().normalize();
    }

    /** The command line that runs the server; called on every (re)start. */
    protected abstract List<String> command() throws IOException;

    /** The loopback port that accepts connections once the server is ready. */
    public abstract int readyPort();

    /** The loopback address {@link #readyPort()} is on. */
    public String readyHost() {
        return "127.0.0.1";
    }

    /** How long a start may take before it is a failure. */
    protected abstract Duration startTimeout();

    /** A short name for messages, e.g. {@code cassandra}. */
    public abstract String name();

    /** The folder with this server's data and logs. */
    public Path dir() {
        return dir;
    }

    /** The server's log file (stdout and stderr of the child). */
    public Path log() {
        return dir.resolve("logs").resolve("console.log");
    }

    /**
     * Chooses new ports before a first start when the ones chosen were taken by another process between choosing and
     * binding (another test JVM, or a client's outgoing connection). Returns false when the ports cannot change: the
     * server has started before on them (clients and data know them) or it has fixed ones.
     */
    protected boolean choosePortsAgain() {
        return false;
    }

    /** Starts the server and waits until its port accepts connections. Idempotent while running. */
    public synchronized void start() {
        if (process != null && process.isAlive()) {
            return;
        }
        for (int attempt = 1;; attempt++) {
            try {
                startOnce();
                started = true;
                return;
            } catch (PortTakenException e) {
                if (started || attempt >= 5 || !choosePortsAgain()) {
                    throw new IllegalStateException(e.getMessage(), e);
                }
                LOG.warn("{}: a port was taken before the server bound it (attempt {}); starting on new ports",
                        name(), attempt);
            }
        }
    }

    private boolean started;

    /** A start that failed because a port was in use. */
    private static final class PortTakenException extends RuntimeException {
        PortTakenException(String message) {
            super(message);
        }
    }

    private void startOnce() {
        if (accepts(readyHost(), readyPort())) {
            // Another process listens there: its answers would pass for this server's readiness.
            throw new PortTakenException(name() + " cannot start: " + readyHost() + ":" + readyPort()
                    + " is in use by another process (it already accepts connections)");
        }
        long logBefore;
        try {
            Files.createDirectories(dir.resolve("logs"));
            logBefore = Files.exists(log()) ? Files.size(log()) : 0;
            ProcessBuilder pb = new ProcessBuilder(command()).directory(dir.toFile()).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log().toFile()));
            process = pb.start();
        } catch (IOException e) {
            throw new UncheckedIOException("starting " + name() + " in " + dir, e);
        }
        long deadline = System.nanoTime() + startTimeout().toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                String message = name() + " exited with code " + process.exitValue() + " while starting; see " + log()
                        + ":\n" + tail();
                if (portInUse(logSince(logBefore))) {
                    throw new PortTakenException(message);
                }
                throw new IllegalStateException(message);
            }
            if (accepts(readyHost(), readyPort()) && process.isAlive()) {
                LOG.info("{} started: pid {}, {}:{}, data {}", name(), process.pid(), readyHost(), readyPort(), dir);
                return;
            }
            sleep(100);
        }
        kill();
        throw new IllegalStateException(name() + " did not accept connections on " + readyHost() + ":" + readyPort()
                + " within " + startTimeout().toSeconds() + " s; see " + log() + ":\n" + tail());
    }

    /** Whether a failed start's output says a port was in use (Cassandra's and Jetty's wordings). */
    static boolean portInUse(String output) {
        return output.contains("is in use by another process") || output.contains("Address already in use");
    }

    private String logSince(long offset) {
        try (var ch = Files.newByteChannel(log())) {
            ch.position(offset);
            return new String(java.nio.channels.Channels.newInputStream(ch).readAllBytes(),
                    java.nio.charset.StandardCharsets.UTF_8);
        } catch (IOException | UncheckedIOException e) {
            return "";
        }
    }

    /** The last lines of the server's log, for error messages. */
    public String tail() {
        try {
            List<String> lines = Files.exists(log()) ? Files.readAllLines(log()) : List.of();
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 15), lines.size()));
        } catch (IOException | UncheckedIOException e) {
            return "(log unreadable: " + e.getMessage() + ")";
        }
    }

    static boolean accepts(int port) {
        return accepts("127.0.0.1", port);
    }

    static boolean accepts(String host, int port) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(host, port), 200);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    public synchronized boolean isRunning() {
        return process != null && process.isAlive();
    }

    /** The child's PID, or -1 when not running. */
    public synchronized long pid() {
        return isRunning() ? process.pid() : -1;
    }

    /** {@code SIGKILL}: the process dies at once, losing whatever it had not made durable. */
    public synchronized void kill() {
        if (process != null) {
            if (process.isAlive()) {
                LOG.info("{} killed (SIGKILL): pid {}", name(), process.pid());
            }
            process.destroyForcibly();
            waitFor(Duration.ofSeconds(30));
        }
    }

    /** {@code SIGTERM} and wait. */
    public synchronized void stop() {
        if (process != null && process.isAlive()) {
            resume();
            LOG.info("{} stopping (SIGTERM): pid {}", name(), process.pid());
            process.destroy();
            if (!waitFor(Duration.ofSeconds(30))) {
                kill();
            }
        }
    }

    /**
     * {@code SIGSTOP}: connections are accepted by the kernel but nothing is answered until {@link #resume()}. Returns
     * once every thread of the process is stopped (where {@code /proc} tells): a signal is delivered asynchronously,
     * and a fault meant to land between two writes must not let the second through.
     */
    public synchronized void pause() {
        LOG.info("{} paused (SIGSTOP): pid {}", name(), pid());
        signal("STOP");
        if (process != null && process.isAlive() && !awaitStopped(process.pid(), Duration.ofSeconds(30))) {
            LOG.warn("{}: pid {} not seen stopped within 30 s of SIGSTOP", name(), process.pid());
        }
    }

    /**
     * Whether every thread of {@code pid} reports state T (stopped; or a dead thread's Z or X) within {@code limit};
     * true without /proc.
     */
    static boolean awaitStopped(long pid, Duration limit) {
        java.nio.file.Path tasks = java.nio.file.Path.of("/proc", Long.toString(pid), "task");
        if (!java.nio.file.Files.isDirectory(tasks)) {
            return true;
        }
        long deadline = System.nanoTime() + limit.toNanos();
        while (System.nanoTime() < deadline) {
            if (allStopped(tasks)) {
                return true;
            }
            sleep(2);
        }
        return false;
    }

    private static boolean allStopped(java.nio.file.Path tasks) {
        try (java.util.stream.Stream<java.nio.file.Path> ts = java.nio.file.Files.list(tasks)) {
            for (java.nio.file.Path t : (Iterable<java.nio.file.Path>) ts::iterator) {
                String stat;
                try {
                    stat = java.nio.file.Files.readString(t.resolve("stat"));
                } catch (IOException gone) {
                    continue; // the thread ended meanwhile
                }
                // "pid (comm) S ...": the state follows the last ')' (a command name may hold parentheses).
                int close = stat.lastIndexOf(')');
                char state = close >= 0 && close + 2 < stat.length() ? stat.charAt(close + 2) : '?';
                if (state != 'T' && state != 't' && state != 'Z' && state != 'X') { // a dead thread serves nothing
                    return false;
                }
            }
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** {@code SIGCONT}. */
    public synchronized void resume() {
        if (isRunning()) {
            LOG.debug("{} resumed (SIGCONT): pid {}", name(), pid());
        }
        signal("CONT");
    }

    /** Kill (if running) and start again on the same data. */
    public synchronized void restart() {
        kill();
        start();
    }

    private void signal(String sig) {
        if (process == null || !process.isAlive()) {
            return;
        }
        try {
            Process p = new ProcessBuilder("kill", "-" + sig, Long.toString(process.pid())).inheritIO().start();
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IllegalStateException("kill -" + sig + " " + process.pid() + " did not finish within 60 s");
            }
        } catch (IOException e) {
            throw new UncheckedIOException("kill -" + sig + " " + process.pid(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private boolean waitFor(Duration d) {
        try {
            return process.waitFor(d.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    @Override
    public void close() {
        stop();
    }

    static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * A free TCP port on 127.0.0.1, chosen at random below the kernel's ephemeral range: a port from that range can be
     * handed to any client's outgoing connection (another test JVM's driver, say) between choosing it and the server
     * binding it. A port still taken at bind time makes {@link #start()} choose again.
     */
    public static int freePort() {
        int[] ephemeral = ephemeralRange();
        int low = 20000;
        int high = Math.min(ephemeral[0], 32768);
        if (high - low < 1000) {
            low = 10000;
        }
        var random = java.util.concurrent.ThreadLocalRandom.current();
        for (int i = 0; i < 200; i++) {
            int port = random.nextInt(low, high);
            if (bindable(port)) {
                return port;
            }
        }
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static boolean bindable(int port) {
        try (ServerSocket s = new ServerSocket()) {
            s.setReuseAddress(false);
            s.bind(new InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), port), 1);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** The kernel's ephemeral port range (Linux), or the IANA one where it cannot be read. */
    static int[] ephemeralRange() {
        try {
            String[] parts = Files.readString(Path.of("/proc/sys/net/ipv4/ip_local_port_range")).trim().split("\\s+");
            return new int[] {Integer.parseInt(parts[0]), Integer.parseInt(parts[1])};
        } catch (IOException | RuntimeException e) {
            return new int[] {49152, 65535};
        }
    }

    /** The java executable running this process, so children use the same JDK. */
    static String java() {
        return ProcessHandle.current().info().command().orElse("java");
    }

    /** The folder the build laid the server jars in ({@code servers/target}). */
    static Path serversDir() {
        List<Path> candidates = new ArrayList<>();
        String prop = System.getProperty("fli.servers");
        if (prop != null) {
            candidates.add(Path.of(prop));
        }
        String home = System.getProperty("fli.home", System.getenv("FLI_HOME"));
        if (home != null) {
            candidates.add(Path.of(home, "servers", "target"));
        }
        candidates.add(Path.of("servers", "target"));
        candidates.add(Path.of("..", "servers", "target"));
        for (Path p : candidates) {
            if (Files.isDirectory(p.resolve("cassandra")) && Files.isDirectory(p.resolve("s3proxy"))) {
                return p.toAbsolutePath().normalize();
            }
        }
        throw new IllegalStateException("cannot find the server jars (servers/target/cassandra and "
                + "servers/target/s3proxy); build them with 'mvn -pl servers generate-resources' or set FLI_HOME "
                + "to the repository root. Looked in " + candidates);
    }
}
