package io.fli.backends;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Control groups (cgroup v2) for the local servers a command starts: each node of a local cluster runs in a group of
 * its own, so that the kernel's packet filter can tell its connections apart ({@code iptables -m cgroup --path}).
 * Every node's outgoing connections leave from 127.0.0.1, whatever its listen address, so addresses alone cannot say
 * which node opened a connection; the group can. Groups live under {@code <cgroup2 root>/fli/<pid>-<n>/} and are
 * removed when their servers are gone (and, if this process was killed, by the next one: {@link #removeStale()}).
 */
public final class Cgroups {
    private static final AtomicInteger SEQ = new AtomicInteger();

    private Cgroups() {
    }

    /** The cgroup v2 mount point, or null where there is none. */
    public static Path root() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/mounts"))) {
                String[] f = line.split(" ");
                if (f.length > 2 && f[2].equals("cgroup2")) {
                    return Path.of(f[1]);
                }
            }
        } catch (IOException | RuntimeException e) {
            return null;
        }
        return null;
    }

    /** Why groups cannot be made here, or null when they can. */
    public static String unavailableReason() {
        Path root = root();
        if (root == null) {
            return "no cgroup v2 hierarchy is mounted (/proc/self/mounts has no cgroup2)";
        }
        if (!Files.isWritable(root)) {
            return "the cgroup v2 hierarchy at " + root + " is not writable (run as root)";
        }
        return null;
    }

    /**
     * Makes a set of groups for this process, {@code fli/<pid>-<n>}, returning its path relative to the root (as
     * iptables names it), or null where groups cannot be made.
     */
    public static String newSet() {
        if (unavailableReason() != null) {
            return null;
        }
        removeStale();
        String rel = "fli/" + ProcessHandle.current().pid() + "-" + SEQ.incrementAndGet();
        try {
            Files.createDirectories(root().resolve(rel));
            return rel;
        } catch (IOException e) {
            return null;
        }
    }

    /** Makes group {@code rel} (relative to the root). */
    public static void create(String rel) {
        try {
            Files.createDirectories(root().resolve(rel));
        } catch (IOException e) {
            throw new UncheckedIOException("creating cgroup " + rel, e);
        }
    }

    /** The file a process writes its PID to in order to join group {@code rel}. */
    public static Path procs(String rel) {
        return root().resolve(rel).resolve("cgroup.procs");
    }

    /** Removes group {@code rel} and the groups under it, deepest first; those still holding a process stay. */
    public static void remove(String rel) {
        Path root = root();
        if (root == null || rel == null) {
            return;
        }
        Path top = root.resolve(rel);
        if (!Files.isDirectory(top)) {
            return;
        }
        try (var walk = Files.walk(top)) {
            // cgroupfs directories hold only control files, which rmdir removes with them.
            List<Path> dirs = walk.filter(Files::isDirectory).sorted(java.util.Comparator.reverseOrder()).toList();
            for (Path d : dirs) {
                try {
                    Files.delete(d);
                } catch (IOException e) {
                    // still populated: a process is in it
                }
            }
        } catch (IOException | UncheckedIOException e) {
            // the groups go with the next removeStale
        }
        Path parent = top.getParent();
        if (parent != null && parent.getFileName().toString().equals("fli") && parent.getParent().equals(root)) {
            try {
                Files.delete(parent); // the last set of any process here: leave no trace
            } catch (IOException e) {
                // another set is in it
            }
        }
    }

    /** Removes the sets of processes that are gone. */
    public static void removeStale() {
        Path root = root();
        if (root == null || !Files.isDirectory(root.resolve("fli"))) {
            return;
        }
        try (var sets = Files.list(root.resolve("fli"))) {
            for (Path s : sets.toList()) {
                String name = s.getFileName().toString();
                long pid;
                try {
                    pid = Long.parseLong(name.substring(0, name.indexOf('-')));
                } catch (RuntimeException e) {
                    continue;
                }
                if (!ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)) {
                    remove("fli/" + name);
                }
            }
        } catch (IOException e) {
            // nothing to clean
        }
    }
}
