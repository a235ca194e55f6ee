package io.fli.faults.net;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Partitions between processes on loopback addresses, made with the kernel's packet filter ({@code iptables}): every
 * rule lives in a chain of this filter's own ({@code FLI-<pid>-<n>}), reached from {@code INPUT} and {@code OUTPUT}
 * by jump rules that match the loopback interface only, and every rule in it names a 127.0.0.0/8 destination and one
 * TCP port (and a 127.0.0.0/8 source, or the control group of the sending process).
 * Nothing else on the machine is touched.
 *
 * <p>No rule outlives the run that made it:
 * <ul>
 *   <li>{@link #heal()} empties the chain and {@link #close()} removes it and its jump (the nemesis's teardown, and a
 *       JVM shutdown hook for SIGTERM and Ctrl-C);</li>
 *   <li>a watchdog process, started with the chain in a session of its own, polls the creating JVM and removes the
 *       chain once that JVM is gone (SIGKILL, OOM, a crash): a JVM cannot run code after SIGKILL, another process
 *       can;</li>
 *   <li>{@link #removeStale()} (run by every new filter, and by {@code fli backends cleanup}) removes chains whose
 *       creating process no longer exists, should even the watchdog have been killed.</li>
 * </ul>
 */
public final class PacketFilter implements AutoCloseable {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(PacketFilter.class);
    /** Every chain of ours starts with this. */
    public static final String PREFIX = "FLI-";
    private static final String COMMENT = "fli packet filter";
    private static final AtomicInteger SEQ = new AtomicInteger();

    private final String chain;
    private final List<String> rules = new ArrayList<>();
    private final Process watchdog;
    private final Thread hook;
    private boolean closed;

    private PacketFilter(String chain, Process watchdog) {
        this.chain = chain;
        this.watchdog = watchdog;
        this.hook = new Thread(this::removeQuietly, "packet filter cleanup " + chain);
        Runtime.getRuntime().addShutdownHook(hook);
    }

    /** Whether {@code iptables} can be run here with the rights to change rules (root, or CAP_NET_ADMIN). */
    public static boolean available() {
        try {
            return run(List.of("iptables", "-w", "5", "-S", "INPUT")).exit == 0;
        } catch (IllegalStateException e) {
            return false;
        }
    }

    /** Why {@link #available()} is false, for a message; null when it is true. */
    public static String unavailableReason() {
        try {
            Result r = run(List.of("iptables", "-w", "5", "-S", "INPUT"));
            return r.exit == 0 ? null : "iptables -S INPUT failed (" + r.exit + "): " + r.output.trim();
        } catch (IllegalStateException e) {
            return e.getMessage() + " (install Debian's iptables package: apt-get install -y iptables; it needs root)";
        }
    }

    /** A new, empty filter: its chain, the jump to it from {@code INPUT} on {@code lo}, and its watchdog. */
    public static PacketFilter create() {
        String reason = unavailableReason();
        if (reason != null) {
            throw new IllegalStateException("partitions need the packet filter: " + reason);
        }
        removeStale();
        long pid = ProcessHandle.current().pid();
        String chain = PREFIX + pid + "-" + SEQ.incrementAndGet();
        must(List.of("iptables", "-w", "5", "-N", chain));
        must(jump("-I", "INPUT", chain));
        must(jump("-I", "OUTPUT", chain));
        Process watchdog;
        try {
            watchdog = startWatchdog(pid, chain);
        } catch (RuntimeException e) {
            remove(chain);
            throw e;
        }
        LOG.info("packet filter {}: jump from INPUT on lo, watchdog pid {}", chain, watchdog.pid());
        return new PacketFilter(chain, watchdog);
    }

    /** This filter's chain. */
    public String chain() {
        return chain;
    }

    /** The watchdog's PID (it removes the chain if this JVM dies without closing the filter). */
    public long watchdogPid() {
        return watchdog.pid();
    }

    /**
     * Drops every TCP packet between {@code a} and {@code b} (both directions) to or from {@code port}: the
     * connections between two nodes on their shared internode port, not the clients' connections to either.
     */
    public synchronized void cut(String a, String b, int port) {
        checkOpen();
        loopback(a);
        loopback(b);
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("port " + port);
        }
        for (String[] pair : new String[][] {{a, b}, {b, a}}) {
            for (String dir : List.of("--dport", "--sport")) {
                List<String> rule = List.of("-s", pair[0] + "/32", "-d", pair[1] + "/32", "-p", "tcp", dir,
                        Integer.toString(port), "-j", "DROP");
                List<String> cmd = new ArrayList<>(List.of("iptables", "-w", "5", "-A", chain));
                cmd.addAll(rule);
                must(cmd);
                rules.add(String.join(" ", rule));
            }
        }
    }

    /**
     * Cuts two processes apart on their shared internode port: drops every TCP packet that a process of control group
     * {@code groupA} sends to {@code hostB:port}, and that a process of {@code groupB} sends to {@code hostA:port}
     * (both directions of every connection either opens to the other). Processes on loopback all connect out from
     * 127.0.0.1, so the sender is told by its group (cgroup v2, relative to the root), the receiver by its address.
     */
    public synchronized void cutGroups(String groupA, String hostA, String groupB, String hostB, int port) {
        checkOpen();
        loopback(hostA);
        loopback(hostB);
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("port " + port);
        }
        for (String[] pair : new String[][] {{groupA, hostB}, {groupB, hostA}}) {
            if (pair[0] == null || !pair[0].matches("[A-Za-z0-9_./-]+") || pair[0].contains("..")) {
                throw new IllegalArgumentException("not a control group path: '" + pair[0] + "'");
            }
            List<String> rule = List.of("-m", "cgroup", "--path", pair[0], "-d", pair[1] + "/32", "-p", "tcp",
                    "--dport", Integer.toString(port), "-j", "DROP");
            List<String> cmd = new ArrayList<>(List.of("iptables", "-w", "5", "-A", chain));
            cmd.addAll(rule);
            must(cmd);
            rules.add(String.join(" ", rule));
        }
    }

    /** The rules in force, as given to iptables after the chain name. */
    public synchronized List<String> rules() {
        return List.copyOf(rules);
    }

    /** Removes every rule of this filter (the chain stays, empty). */
    public synchronized void heal() {
        if (closed) {
            return;
        }
        must(List.of("iptables", "-w", "5", "-F", chain));
        rules.clear();
    }

    /** Removes the rules, the chain and its jump, and stops the watchdog. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        remove(chain);
        rules.clear();
        watchdog.destroy();
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException e) {
            // the JVM is shutting down: the hook is running or has run
        }
    }

    private void removeQuietly() {
        synchronized (this) {
            if (!closed) {
                closed = true;
                remove(chain);
                watchdog.destroy();
            }
        }
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("packet filter " + chain + " is closed");
        }
    }

    /** The chains of any fli packet filter now in the kernel (none after every run has ended). */
    public static List<String> chains() {
        Result r = run(List.of("iptables", "-w", "5", "-S"));
        List<String> out = new ArrayList<>();
        for (String line : r.output.split("\n")) {
            String[] f = line.trim().split("\\s+");
            if (f.length == 2 && f[0].equals("-N") && f[1].startsWith(PREFIX)) {
                out.add(f[1]);
            }
        }
        return out;
    }

    /** Every rule line (of any chain) that mentions one of ours: empty after every run has ended. */
    public static List<String> leftovers() {
        Result r = run(List.of("iptables", "-w", "5", "-S"));
        List<String> out = new ArrayList<>();
        for (String line : r.output.split("\n")) {
            if (line.contains(PREFIX)) {
                out.add(line.trim());
            }
        }
        return out;
    }

    /** Removes the chains (and jumps) of filters whose creating process is gone; returns how many. */
    public static int removeStale() {
        int n = 0;
        for (String c : chains()) {
            long pid = ownerPid(c);
            if (pid > 0 && ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)) {
                continue;
            }
            LOG.warn("removing packet filter chain {}: the process that made it ({}) is gone", c, pid);
            remove(c);
            n++;
        }
        return n;
    }

    static long ownerPid(String chain) {
        String[] parts = chain.substring(PREFIX.length()).split("-");
        try {
            return Long.parseLong(parts[0]);
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /** Removes the jump(s) to {@code chain}, its rules and the chain; tolerates any part being gone already. */
    private static void remove(String chain) {
        for (String builtin : List.of("INPUT", "OUTPUT")) {
            for (int i = 0; i < 10 && run(jump("-D", builtin, chain)).exit == 0; i++) {
                // a jump inserted twice is removed twice
            }
        }
        run(List.of("iptables", "-w", "5", "-F", chain));
        run(List.of("iptables", "-w", "5", "-X", chain));
    }

    /** The jump from {@code INPUT} (packets received on lo) or {@code OUTPUT} (packets sent on lo) to the chain. */
    private static List<String> jump(String op, String builtin, String chain) {
        return List.of("iptables", "-w", "5", op, builtin, builtin.equals("INPUT") ? "-i" : "-o", "lo", "-m",
                "comment", "--comment", COMMENT, "-j", chain);
    }

    private static void loopback(String address) {
        if (!address.matches("127\\.\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}")) {
            throw new IllegalArgumentException("the packet filter only cuts traffic between loopback addresses "
                    + "(127.0.0.0/8), not '" + address + "'");
        }
    }

    /**
     * A shell loop, in a session of its own (so a signal to this JVM's process group does not reach it), that waits
     * while the JVM {@code pid} (the same process: its start time in {@code /proc/pid/stat} unchanged) lives, then
     * removes the chain and its jump.
     */
    private static Process startWatchdog(long pid, String chain) {
        String start = startTime(pid);
        String jumpIn = String.join(" ", jump("-D", "INPUT", chain).stream().map(PacketFilter::quote).toList());
        String jumpOut = String.join(" ", jump("-D", "OUTPUT", chain).stream().map(PacketFilter::quote).toList());
        String script = String.join("\n",
                "pid=" + pid,
                "start='" + start + "'",
                "started() { sed 's/.*) //' /proc/$pid/stat 2>/dev/null | cut -d' ' -f20; }",
                "while [ \"$(started)\" = \"$start\" ]; do sleep 1; done",
                "n=0; while " + jumpIn + " 2>/dev/null && [ $n -lt 10 ]; do n=$((n+1)); done",
                "n=0; while " + jumpOut + " 2>/dev/null && [ $n -lt 10 ]; do n=$((n+1)); done",
                "iptables -w 5 -F " + chain + " 2>/dev/null",
                "iptables -w 5 -X " + chain + " 2>/dev/null",
                "exit 0");
        try {
            ProcessBuilder pb = new ProcessBuilder("setsid", "bash", "-c", script)
                    .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                    .redirectError(ProcessBuilder.Redirect.DISCARD);
            return pb.start();
        } catch (IOException e) {
            throw new UncheckedIOException("starting the packet filter's watchdog", e);
        }
    }

    /** Field 22 of {@code /proc/pid/stat} (start time in clock ticks), as the watchdog reads it. */
    static String startTime(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            String[] f = stat.substring(stat.lastIndexOf(") ") + 2).split(" ");
            return f[19];
        } catch (IOException e) {
            throw new UncheckedIOException("reading /proc/" + pid + "/stat", e);
        }
    }

    private static String quote(String s) {
        return "'" + s.replace("'", "'\\''") + "'";
    }

    private static void must(List<String> cmd) {
        Result r = run(cmd);
        if (r.exit != 0) {
            throw new IllegalStateException(String.join(" ", cmd) + " failed (exit " + r.exit + "): "
                    + r.output.trim());
        }
    }

    private record Result(int exit, String output) {
    }

    private static Result run(List<String> cmd) {
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            byte[] out = p.getInputStream().readAllBytes();
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IllegalStateException(String.join(" ", cmd) + " did not finish within 60 s");
            }
            return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new IllegalStateException("cannot run " + cmd.get(0) + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted running " + String.join(" ", cmd), e);
        }
    }
}
