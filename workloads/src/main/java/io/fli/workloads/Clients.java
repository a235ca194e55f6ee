package io.fli.workloads;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fli.checker.Op;
import io.fli.engine.BackendException;
import io.fli.engine.Block;
import io.fli.engine.DegradedException;
import io.fli.engine.FencedException;
import io.fli.engine.GcReport;
import io.fli.engine.InvalidBlockException;
import io.fli.engine.InvalidQueryException;
import io.fli.engine.LeaseHeldException;
import io.fli.engine.Log;
import io.fli.engine.LogQuery;
import io.fli.engine.MatchedLog;
import io.fli.engine.PublishResult;
import io.fli.engine.QueryResult;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The clients of a run: writers that ingest the chain (racing for the lease in the multi-writer workload), readers
 * that query it, and the final reads after every fault healed. Each records its operations in the history and
 * classifies each outcome: ok, fail (certainly not applied) or info (unknown).
 */
final class Clients {
    private static final Run.Json J = new Run.Json();

    private final Run run;
    private final BlockSource source;
    private final QueryMix mix;

    Clients(Run run, BlockSource source, QueryMix mix) {
        this.run = run;
        this.source = source;
        this.mix = mix;
    }

    // ------------------------------------------------------------------ writers

    /** How one publish ended, as the writer loop needs it. */
    private record Published(int process, boolean keepBatch, boolean fenced) {
    }

    void writer(String id, int k, Node node) {
        int process = run.newProcess();
        SplittableRandom r = new SplittableRandom(run.cfg.seed() * 31 + k);
        boolean racing = run.cfg.workload().equals("multi-writer");
        List<Block> retry = null;
        long published = 0;
        boolean justFenced = false;
        while (run.running.get()) {
            if (node.epoch(id) == 0 || r.nextInt(50) == 0) {
                // In the multi-writer workload an operator sometimes takes the lease over from a live holder (but a
                // writer that was just fenced asks politely: two writers forcing each other out would livelock,
                // since each new holder waits out the lease it broke before it publishes).
                process = acquire(node, id, process, racing && !justFenced && r.nextInt(4) == 0);
                justFenced = false;
                if (node.epoch(id) == 0) {
                    run.pause(20 + r.nextInt(50));
                }
                continue;
            }
            List<Block> batch = retry;
            if (batch == null) {
                Long head;
                try {
                    head = node.head();
                } catch (RuntimeException e) {
                    run.pause(100);
                    continue;
                }
                batch = source.next(head, 1 + r.nextInt(run.cfg.batchBlocks()));
            }
            Published p = publish(node, id, process, batch);
            // Like any ingester, it publishes the same batch again until it is acknowledged (or rejected).
            retry = p.keepBatch() ? batch : null;
            if (p.process() != process) {
                // The outcome is unknown (a lost reply, a crash point): the writer process restarts from the stores.
                process = p.process();
                node.forget(id);
            } else if (p.fenced()) {
                // Another writer holds the lease now: start over and ask for it again.
                node.forget(id);
                justFenced = true;
            } else if (retry == null && ++published % 25 == 0) {
                gc(node, id);
            }
        }
    }

    /** The lease holder collects garbage now and then (fenced, with the grace period); deletions are recorded. */
    private void gc(Node node, String id) {
        try {
            GcReport rep = node.gc(id);
            if (!rep.deleted().isEmpty()) {
                run.nemesisLine(Op.Type.INFO, "gc", J.object().put("process", node.name()).put("writer", id)
                        .put("deleted", rep.deleted().size()).put("kept_young", rep.tooYoung()));
            }
        } catch (RuntimeException e) {
            run.pause(50);
        }
    }

    int acquire(Node node, String id, int process, boolean takeOver) {
        run.yieldPoint();
        run.history.invoke(process, "acquire", J.object().put("writer", id));
        ObjectNode v = J.object().put("writer", id);
        try {
            long epoch = node.acquire(id, takeOver);
            run.yieldPoint();
            run.history.complete(process, Op.Type.OK, v.put("epoch", epoch));
            run.count("acquire", Op.Type.OK);
            return process;
        } catch (LeaseHeldException | DegradedException | BackendException e) {
            // Refused, failed closed, or the store was unreachable before anything was written.
            run.history.complete(process, Op.Type.FAIL, v.put("error", e.getMessage()));
            run.count("acquire", Op.Type.FAIL);
            run.pause(100);
            return process;
        } catch (RuntimeException e) {
            run.history.complete(process, Op.Type.INFO, v.put("error", describe(e)));
            run.count("acquire", Op.Type.INFO);
            node.forget(id);
            run.pause(100);
            return run.newProcess();
        }
    }

    private Published publish(Node node, String id, int process, List<Block> batch) {
        ObjectNode args = J.object().put("writer", id).put("epoch", node.epoch(id));
        args.set("blocks", HistoryJson.blocks(batch));
        run.yieldPoint();
        run.history.invoke(process, "publish", args);
        ObjectNode v = run.cfg.compactAnswers() ? J.object() : args.deepCopy();
        try {
            PublishResult res = node.publish(id, batch);
            run.yieldPoint();
            run.history.complete(process, Op.Type.OK, v.put("head", res.head()));
            run.count("publish", Op.Type.OK);
            if (res.merged() > 0) {
                run.nemesisLine(Op.Type.INFO, "merge", J.object().put("process", node.name()).put("writer", id)
                        .put("segments", res.merged()).put("head", res.head()));
            }
            return new Published(process, false, false);
        } catch (FencedException | LeaseHeldException | InvalidBlockException | DegradedException e) {
            // Definitely not applied: fenced before the CAS, rejected before anything was stored, or failed closed.
            run.history.complete(process, Op.Type.FAIL, v.put("error", e.getMessage()));
            run.count("publish", Op.Type.FAIL);
            if (e instanceof DegradedException) {
                run.pause(200);
            }
            if (e instanceof LeaseHeldException) {
                run.pause(100);
            }
            // Rejected for good (a gap, a bad block, a refused fork): the next batch starts again from the head.
            boolean keep = !(e instanceof InvalidBlockException || e instanceof DegradedException);
            return new Published(process, keep, e instanceof FencedException);
        } catch (BackendException e) {
            // A backend failure before the visibility barrier: nothing became visible by this call.
            run.history.complete(process, Op.Type.FAIL, v.put("error", e.getMessage()));
            run.count("publish", Op.Type.FAIL);
            run.pause(100);
            return new Published(process, true, false);
        } catch (RuntimeException | Error e) {
            // Unknown outcome (a lost CAS reply, a crash point): the process is gone; the next one starts fresh.
            run.history.complete(process, Op.Type.INFO, v.put("error", describe(e)));
            run.count("publish", Op.Type.INFO);
            return new Published(run.newProcess(), true, false);
        }
    }

    private static String describe(Throwable e) {
        return e.getClass().getSimpleName() + ": " + e.getMessage();
    }

    // ------------------------------------------------------------------ readers

    void reader(int k, Node node) {
        int process = run.newProcess();
        SplittableRandom r = new SplittableRandom(run.cfg.seed() * 131 + k);
        while (run.running.get()) {
            Long head;
            try {
                head = node.head();
            } catch (RuntimeException e) {
                head = null;
            }
            process = query(node, process, mix.next(r, 0, head == null ? 0 : head), false);
        }
    }

    /**
     * The final reads: after every fault healed, each process answers the whole range unfiltered and a few
     * filters over it, each on a fresh client process, marked {@code "final": true}. Waits first (unrecorded, up to
     * a minute) until each process answers at all, as an operator would before declaring the system healed.
     */
    void finalReads(List<Node> nodes) {
        SplittableRandom r = new SplittableRandom(run.cfg.seed() * 977);
        for (Node node : nodes) {
            Long head = null;
            long deadline = System.nanoTime() + 60_000_000_000L;
            while (System.nanoTime() < deadline) {
                try {
                    head = node.head();
                    break;
                } catch (DegradedException e) {
                    break; // failed closed: the final reads will show it
                } catch (RuntimeException e) {
                    Run.sleep(200);
                }
            }
            long h = head == null ? 0 : head;
            // Recovery, as Jepsen waits after healing: unrecorded probe reads until one is answered and the node is
            // no longer throttled. A store's circuit breaker opened by the faults closes only after calls succeed
            // through it, so waiting without calls would wait forever; a node that failed closed is left as it is.
            long recovered = System.nanoTime() + 60_000_000_000L;
            while (head != null && System.nanoTime() < recovered) {
                try {
                    node.query(LogQuery.range(h, h, null, null));
                    if (node.health().status() != io.fli.engine.Health.Status.THROTTLED) {
                        break;
                    }
                } catch (DegradedException e) {
                    break;
                } catch (RuntimeException e) {
                    // still recovering
                }
                Run.sleep(500);
            }
            List<LogQuery> qs = new ArrayList<>();
            qs.add(LogQuery.range(null, null, null, null));
            qs.add(mix.of(QueryMix.Kind.SELECTIVE_ADDRESS, r, 0, h));
            qs.add(mix.of(QueryMix.Kind.TOPIC_ONLY, r, 0, h));
            qs.add(mix.of(QueryMix.Kind.ADDRESS_AND_TOPIC, r, 0, h));
            for (LogQuery q : qs) {
                query(node, run.newProcess(), LogQuery.range(null, null, q.addresses(), q.topics()), true);
            }
        }
    }

    /** Issues and records one query; returns the process number to use next. */
    private int query(Node node, int process, LogQuery q, boolean finalRead) {
        ObjectNode args = HistoryJson.queryArgs(q, q.blockHash() == null ? null : mix.blockOfHash(q.blockHash()),
                finalRead);
        run.yieldPoint();
        run.history.invoke(process, "query", args);
        ObjectNode v = run.cfg.compactAnswers() ? J.object() : args.deepCopy();
        try {
            QueryResult res = node.query(q);
            run.yieldPoint();
            HistoryJson.answer(v, res, run.cfg.compactAnswers());
            run.history.complete(process, Op.Type.OK, v);
            run.count("query", Op.Type.OK);
            return process;
        } catch (DegradedException e) {
            run.history.complete(process, Op.Type.FAIL, v.put("error", "degraded"));
            run.count("query", Op.Type.FAIL);
            run.pause(100);
            return process;
        } catch (InvalidQueryException e) {
            run.history.complete(process, Op.Type.FAIL, v.put("error", e.getMessage()));
            run.count("query", Op.Type.FAIL);
            return process;
        } catch (BackendException e) {
            run.history.complete(process, Op.Type.FAIL, v.put("error", e.getMessage()));
            run.count("query", Op.Type.FAIL);
            run.pause(100); // the store is down or its breaker is open: do not spin
            return process;
        } catch (RuntimeException e) {
            run.history.complete(process, Op.Type.INFO, v.put("error", describe(e)));
            run.count("query", Op.Type.INFO);
            return run.newProcess();
        }
    }
}
