package io.fli.workloads;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fli.checker.Op;
import io.fli.engine.Health;
import io.fli.faults.Nemesis;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;

/**
 * The faults of a run that act on its index processes (restart, pause-process, lease-loss, fork, and the operator's
 * repair after corruption), and the nemesis schedule that gives every fault asked for its turn.
 */
final class Faults {
    private final Run run;
    private final List<Node> nodes;

    Faults(Run run, List<Node> nodes) {
        this.run = run;
        this.nodes = nodes;
    }

    /** An index process loses its memory: caches, writer objects, lease view. */
    Nemesis restart() {
        return new Nemesis() {
            @Override
            public List<String> faults() {
                return List.of("restart");
            }

            @Override
            public Map<String, Object> invoke(String fault, Random random) {
                Node n = nodes.get(random.nextInt(nodes.size()));
                n.restart();
                return Map.of("target", "index", "process", n.name());
            }
        };
    }

    /** The operator restarts every process after a repair (they failed closed); recorded as a restart. */
    void restartAll(String why) {
        run.nemesisLine(Op.Type.INVOKE, "restart", null);
        for (Node n : nodes) {
            n.restart();
        }
        run.nemesisLine(Op.Type.INFO, "restart", Run.JSON.createObjectNode().put("target", "index")
                .put("process", "all").put("why", why));
    }

    /**
     * A whole index process stops — its writer, lease view, readers — for longer than its lease, while the other
     * processes carry on (a standby takes the lease over); then it wakes and carries on as if nothing happened.
     */
    Nemesis pauseProcess(long leaseMillis) {
        return new Nemesis() {
            @Override
            public List<String> faults() {
                return List.of("pause-process");
            }

            @Override
            public Map<String, Object> invoke(String fault, Random random) {
                // Mostly the lease holder's process (the one whose lease must run out for another to take over),
                // sometimes any process.
                Node any = nodes.get(random.nextInt(nodes.size()));
                Node paused = random.nextInt(4) != 0 ? holder() : any;
                long ms = 3 * leaseMillis + 800;
                paused.pause();
                try {
                    run.pause(ms);
                } finally {
                    paused.resume();
                }
                return Map.of("process", paused.name(), "paused_ms", ms);
            }

            @Override
            public void teardown() {
                nodes.forEach(Node::resume);
            }
        };
    }

    /**
     * The block source hands the next writer a different block at an already indexed number. The publish carrying
     * it must not be acknowledged and the index fails closed; the operator then restarts what failed closed.
     */
    Nemesis fork(BlockSource source) {
        return new Nemesis() {
            @Override
            public List<String> faults() {
                return List.of("fork");
            }

            @Override
            public Map<String, Object> invoke(String fault, Random random) {
                source.armFork();
                for (int waited = 0; source.forkTaken() < 0 && waited < 5_000 && run.running.get(); waited += 20) {
                    run.pause(20);
                }
                long block = source.forkTaken();
                source.disarmFork();
                if (block < 0) {
                    return Map.of("skipped", "no writer asked for a batch");
                }
                run.pause(300); // the publish carrying the fork fails, and the index fails closed
                if (nodes.stream().anyMatch(n -> n.health().status() == Health.Status.DEGRADED)) {
                    restartAll("repair after fork");
                }
                return Map.of("block", block);
            }

            @Override
            public void teardown() {
                source.disarmFork();
            }
        };
    }

    /**
     * Crash points or lost replies inside index processes in JVMs of their own: the fault is armed in one process
     * (of the seed's choice) at its next write to one store, before or after the write applies.
     */
    Nemesis armedInProcess(String fault) {
        return new Nemesis() {
            @Override
            public List<String> faults() {
                return List.of(fault);
            }

            @Override
            public Map<String, Object> invoke(String f, Random random) {
                String store = random.nextBoolean() ? "meta" : "blob";
                String phase = random.nextBoolean() ? "before" : "after";
                RemoteNode n = (RemoteNode) nodes.get(random.nextInt(nodes.size()));
                n.arm(fault, store, phase);
                return Map.of("process", n.name(), "target", fault.equals("crash") ? "writer" : store, "at",
                        (fault.equals("crash") ? "crash at the next " : "reply lost of the next ") + store
                                + " write, " + phase + " it applies");
            }
        };
    }

    /** Where a lease-loss stall is armed: the shared stores' hook in one JVM, or the lease holder's own JVM. */
    interface StallSite {
        String where();

        void arm(long ms);

        boolean stalled();

        void disarm();
    }

    StallSite inProcess(Stall stall) {
        return new StallSite() {
            public String where() {
                return "any process";
            }

            public void arm(long ms) {
                stall.arm(ms, run::pause);
            }

            public boolean stalled() {
                return stall.stalled();
            }

            public void disarm() {
                stall.disarm();
            }
        };
    }

    /** The lease holder's process (the one whose writer has the highest epoch), in a JVM of its own. */
    StallSite holderProcess() {
        RemoteNode n = (RemoteNode) holder();
        return new StallSite() {
            public String where() {
                return n.name();
            }

            public void arm(long ms) {
                n.stall(ms);
            }

            public boolean stalled() {
                return n.stalled();
            }

            public void disarm() {
                n.unstall();
            }
        };
    }

    /**
     * Lease loss: the writer that next reaches a write of meta/state stalls there past its lease; meanwhile a standby
     * writer in a process of the seed's choice asks for the lease (the other process's writer may get it first).
     * When the stalled writer wakes, its write must be fenced.
     */
    Nemesis leaseLoss(java.util.function.Supplier<StallSite> sites, Clients clients, long leaseMillis) {
        return new Nemesis() {
            private StallSite site;

            @Override
            public List<String> faults() {
                return List.of("lease-loss");
            }

            @Override
            public Map<String, Object> invoke(String fault, java.util.Random random) {
                long stallMs = leaseMillis + 1_500;
                site = sites.get();
                site.arm(stallMs);
                for (int waited = 0; !site.stalled() && waited < 5_000 && run.running.get(); waited += 10) {
                    run.pause(10);
                }
                if (!site.stalled()) {
                    site.disarm();
                    return Map.of("skipped", "no writer of " + site.where() + " reached a write of meta/state");
                }
                run.pause(leaseMillis + 200); // the stalled writer's lease runs out
                Node n = nodes.get(random.nextInt(nodes.size()));
                clients.acquire(n, "standby", run.newProcess(), false);
                return Map.of("target", "writer", "stalled_ms", stallMs, "taken_over_by", "standby", "process",
                        n.name(), "epoch", n.epoch("standby"));
            }

            @Override
            public void teardown() {
                if (site != null) {
                    site.disarm();
                }
            }
        };
    }

    /** The index (in process order) of the lease holder's process. */
    int holderIndex() {
        try {
            return nodes.indexOf(holder());
        } catch (RuntimeException e) {
            return -1; // a process that cannot answer now (its store is cut off): no coordinator to isolate
        }
    }

    /** The lease holder's process: the one whose writer holds the highest epoch. */
    private Node holder() {
        return nodes.stream().max(java.util.Comparator.comparingLong(Node::leaseEpoch)).orElseThrow();
    }

    /** Runs the nemesis: after half an interval, one fault per interval, every fault in turn (seeded shuffles). */
    void schedule(List<Nemesis> nemeses, List<String> faults) {
        Random r = new Random(run.cfg.seed() * 7919);
        for (Nemesis n : nemeses) {
            n.setup();
        }
        long interval = run.cfg.nemesisInterval().toMillis();
        run.pause(interval / 2);
        List<String> turn = new ArrayList<>();
        while (run.running.get() && !faults.isEmpty()) {
            run.pause(interval);
            if (!run.running.get()) {
                break;
            }
            if (turn.isEmpty()) {
                turn.addAll(faults);
                java.util.Collections.shuffle(turn, r);
            }
            String f = turn.remove(0);
            Nemesis n = nemeses.stream().filter(x -> x.faults().contains(f)).findFirst().orElseThrow();
            run.nemesisLine(Op.Type.INVOKE, f, null);
            long startMs = System.currentTimeMillis();
            ObjectNode v;
            try {
                // Sorted keys: the same fault is recorded the same way in every run (Map.of has no fixed order).
                v = Run.JSON.valueToTree(new TreeMap<>(n.invoke(f, r)));
            } catch (RuntimeException e) {
                v = Run.JSON.createObjectNode().put("error", String.valueOf(e.getMessage()));
            }
            run.nemesisLine(Op.Type.INFO, f, v);
            run.windows.add(new CasOutcomes.Window(f, startMs, System.currentTimeMillis()));
            run.counts.computeIfAbsent("nemesis " + f, k -> new java.util.concurrent.atomic.AtomicInteger())
                    .incrementAndGet();
        }
    }
}
