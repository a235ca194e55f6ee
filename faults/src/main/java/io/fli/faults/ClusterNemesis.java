package io.fli.faults;

import io.fli.backends.LocalCassandra;
import io.fli.faults.net.PacketFilter;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.IntSupplier;

/**
 * Faults of a Cassandra cluster's nodes, each recorded as one nemesis operation and healed before it returns (and
 * again at teardown):
 * <ul>
 *   <li>{@code kill-node}: SIGKILL one node of the seed's choice, or a majority (one time in four); they stay down a
 *       while, then start again on their data;</li>
 *   <li>{@code pause-node}: SIGSTOP one node, or a majority, for a while, then SIGCONT;</li>
 *   <li>{@code partition-nodes}: the internode traffic of one node cut from every other node (a minority of one
 *       against the majority), either a node of the seed's choice or the coordinator the lease holder's process is
 *       pinned to ({@code isolate-coordinator}); the clients still reach every node. Made with {@link PacketFilter}
 *       on the loopback interface.</li>
 * </ul>
 * Signals go to the nodes' own PIDs only.
 */
public final class ClusterNemesis implements Nemesis {
    public static final List<String> FAULTS = List.of("kill-node", "pause-node", "partition-nodes");

    private final List<LocalCassandra> nodes;
    private final IntSupplier holderCoordinator;
    private final long faultMillis;
    private PacketFilter filter;

    /**
     * @param nodes             the cluster's nodes, in address order
     * @param holderCoordinator the index of the node the lease holder's process sends its requests to, or -1 when
     *                          none is pinned (then {@code isolate-coordinator} isolates a node of the seed's choice)
     * @param faultMillis       how long a node stays killed, paused or cut off
     */
    public ClusterNemesis(List<LocalCassandra> nodes, IntSupplier holderCoordinator, long faultMillis) {
        if (nodes.size() < 3) {
            throw new IllegalArgumentException("node faults need a cluster of at least 3 nodes (--nodes 3), not "
                    + nodes.size());
        }
        this.nodes = List.copyOf(nodes);
        this.holderCoordinator = holderCoordinator;
        this.faultMillis = faultMillis;
    }

    /** Whether {@code fault} is one of these. */
    public static boolean offers(String fault) {
        return FAULTS.contains(fault);
    }

    @Override
    public List<String> faults() {
        return FAULTS;
    }

    /** The packet filter, made at the first partition (kill and pause need none: no iptables, no root). */
    private synchronized PacketFilter filterForPartitions() {
        if (filter == null) {
            filter = PacketFilter.create();
        }
        return filter;
    }

    /** The packet filter (after the first partition), for tests. */
    public synchronized PacketFilter filter() {
        return filter;
    }

    @Override
    public Map<String, Object> invoke(String fault, Random random) {
        return switch (fault) {
            case "kill-node" -> kill(random);
            case "pause-node" -> pause(random);
            case "partition-nodes" -> partition(random);
            default -> throw new IllegalArgumentException("ClusterNemesis offers " + FAULTS + ", not " + fault);
        };
    }

    /** One node, or (one time in four) a majority, in the seed's order. */
    private List<LocalCassandra> targets(Random random, Map<String, Object> out) {
        List<LocalCassandra> order = new ArrayList<>(nodes);
        Collections.shuffle(order, random);
        boolean majority = random.nextInt(4) == 0;
        List<LocalCassandra> chosen = order.subList(0, majority ? nodes.size() / 2 + 1 : 1);
        out.put("nodes", chosen.stream().map(LocalCassandra::host).toList());
        out.put("majority", majority);
        return List.copyOf(chosen);
    }

    private Map<String, Object> kill(Random random) {
        Map<String, Object> out = new LinkedHashMap<>();
        List<LocalCassandra> down = targets(random, out);
        out.put("pids", down.stream().map(LocalCassandra::pid).toList());
        for (LocalCassandra n : down) {
            n.kill();
        }
        out.put("signal", "KILL");
        sleep(faultMillis);
        startAll(down);
        out.put("down_ms", faultMillis);
        out.put("restarted", true);
        return out;
    }

    private Map<String, Object> pause(Random random) {
        Map<String, Object> out = new LinkedHashMap<>();
        List<LocalCassandra> stopped = targets(random, out);
        out.put("pids", stopped.stream().map(LocalCassandra::pid).toList());
        try {
            for (LocalCassandra n : stopped) {
                n.pause();
            }
            out.put("signal", "STOP");
            sleep(faultMillis);
        } finally {
            for (LocalCassandra n : stopped) {
                n.resume();
            }
        }
        out.put("paused_ms", faultMillis);
        return out;
    }

    private Map<String, Object> partition(Random random) {
        Map<String, Object> out = new LinkedHashMap<>();
        int pinned = holderCoordinator.getAsInt();
        boolean coordinator = pinned >= 0 && pinned < nodes.size() && random.nextBoolean();
        LocalCassandra minority = coordinator ? nodes.get(pinned) : nodes.get(random.nextInt(nodes.size()));
        List<LocalCassandra> majority = nodes.stream().filter(n -> n != minority).toList();
        out.put("mode", coordinator ? "isolate-coordinator" : "majority-minority");
        out.put("minority", List.of(minority.host()));
        out.put("majority", majority.stream().map(LocalCassandra::host).toList());
        PacketFilter f = filterForPartitions();
        try {
            for (LocalCassandra other : majority) {
                if (minority.cgroup() == null || other.cgroup() == null) {
                    throw new IllegalStateException("partition-nodes needs each node in a control group of its own "
                            + "(cgroup v2, as root): " + io.fli.backends.Cgroups.unavailableReason());
                }
                f.cutGroups(minority.cgroup(), minority.host(), other.cgroup(), other.host(),
                        minority.storagePort());
            }
            out.put("rules", f.rules().size());
            sleep(faultMillis);
        } finally {
            f.heal();
        }
        out.put("held_ms", faultMillis);
        return out;
    }

    private static void startAll(List<LocalCassandra> nodes) {
        var failed = LocalCassandra.startAll(nodes);
        if (!failed.isEmpty()) {
            throw failed.values().iterator().next();
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Heals every partition, resumes every node and starts any that is down; removes the packet filter. */
    @Override
    public synchronized void teardown() {
        try {
            if (filter != null) {
                filter.close();
                filter = null;
            }
        } finally {
            for (LocalCassandra n : nodes) {
                n.resume();
            }
            startAll(nodes.stream().filter(n -> !n.isRunning()).toList());
        }
    }
}
