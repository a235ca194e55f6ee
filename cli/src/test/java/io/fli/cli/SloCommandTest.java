package io.fli.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The short profile of {@code fli slo} (the 50M-log run is a command, see docs/slo.md): every figure is measured and
 * compared, and the verdict follows the targets — never a wall-clock deadline: the passing run uses targets no
 * machine misses, the failing run targets no machine meets.
 */
class SloCommandTest {
    @TempDir
    Path dir;

    private Path targets(double latencyMs, double logsPerS, double coldStartMs) throws Exception {
        JsonNode real = new ObjectMapper().readTree(Path.of("..", "slo.json").toFile());
        String q = "{\"p50_ms\": " + latencyMs + ", \"p95_ms\": " + latencyMs + ", \"p99_ms\": " + latencyMs + "}";
        StringBuilder queries = new StringBuilder();
        for (String c : SloCommand.CLASSES.keySet()) {
            queries.append(queries.length() == 0 ? "" : ",").append('"').append(c).append("\": ").append(q);
            assertThat(real.path("queries").has(c)).as("slo.json has class %s", c).isTrue();
        }
        Path f = dir.resolve("slo-" + latencyMs + ".json");
        Files.writeString(f, "{\"version\": 1, \"margin\": 0.2, \"queries\": {" + queries + "}, \"ingest\": "
                + "{\"logs_per_s\": " + logsPerS + ", \"blocks_per_s\": " + logsPerS / 100 + "}, \"cold_start_ms\": "
                + "{\"target\": " + coldStartMs + "}, \"warm_up_s\": {\"target\": " + (latencyMs > 1 ? 600 : 1e-9)
                + "}, \"error_budget\": {\"query_error_ratio\": 0.5}}");
        return f;
    }

    /** A window's GETs per query leave out those made off the query path (warming, merges), kind by kind. */
    @Test
    void aWindowsGetsPerQueryLeaveOutTheBackgroundOnes() {
        java.util.Map<String, Double> all = SloCommand.perQuery(java.util.Map.of("directory", 10L, "filter", 4L),
                java.util.Map.of("directory", 70L, "filter", 4L, "pack-chunk", 30L), 100);
        assertThat(all).containsExactly(java.util.Map.entry("directory", 0.6), java.util.Map.entry("pack-chunk", 0.3));
        java.util.Map<String, Double> background = SloCommand.perQuery(java.util.Map.of(),
                java.util.Map.of("directory", 60L), 100);
        assertThat(SloCommand.minus(all, background)).containsOnlyKeys("pack-chunk");
        assertThat(SloCommand.minus(all, java.util.Map.of("directory", 0.5)).get("directory"))
                .isCloseTo(0.1, org.assertj.core.data.Offset.offset(1e-9));
    }

    /** A slow query is put down to what it waited on: a state read, a GET of its own (not the warmer's), or neither. */
    @Test
    void slowQueriesArePutDownToWhatTheyWaitedOn() {
        SloCommand.SlowQueries slow = new SloCommand.SlowQueries(4.0);
        io.fli.engine.IndexStats s0 = stats(10, 100, 40);
        slow.add(3_900_000, s0, stats(11, 105, 40)); // under the limit: not slow, whatever it read
        slow.add(4_100_000, s0, stats(11, 100, 40)); // a state read
        slow.add(9_000_000, s0, stats(10, 101, 40)); // one GET of its own
        slow.add(9_000_000, s0, stats(10, 103, 43)); // three GETs, all the warmer's: not the query's
        slow.add(9_000_000, s0, stats(12, 102, 40)); // both
        assertThat(slow.measured).isEqualTo(5);
        assertThat(slow.slow).isEqualTo(4);
        assertThat(slow.stateRead).isEqualTo(1);
        assertThat(slow.blobGet).isEqualTo(1);
        assertThat(slow.both).isEqualTo(1);
        assertThat(slow.neither()).isEqualTo(1);
        assertThat(slow.describe()).isEqualTo("4 of 5 (80.0%): state read 1, GET 1, both 1, slow question to the "
                + "holder 0, neither 1");
        // Waiting on neither, but its question to the holder took half the limit or more.
        slow.add(9_000_000, s0, stats(10, 100, 40), 2_000_000);
        slow.add(9_000_000, s0, stats(10, 100, 40), 1_999_999);
        assertThat(slow.holderQuestion).isEqualTo(1);
        assertThat(slow.neither()).isEqualTo(2);
    }

    /** The timed holder view passes questions and answers through and adds up each thread's time asking. */
    @Test
    void theTimedHolderViewCountsEachThreadsQuestions() throws Exception {
        io.fli.engine.ViewStamp named = new io.fli.engine.ViewStamp(3, 9, new byte[]{7});
        java.util.List<io.fli.engine.ViewStamp> had = new java.util.ArrayList<>();
        SloCommand.TimedHolderView t = new SloCommand.TimedHolderView(new io.fli.engine.HolderView() {
            @Override
            public java.util.Optional<io.fli.engine.ViewStamp> current() {
                throw new AssertionError("the stamp the asker has must be passed on");
            }

            @Override
            public java.util.Optional<io.fli.engine.ViewStamp> current(io.fli.engine.ViewStamp have) {
                had.add(have);
                try {
                    Thread.sleep(2);
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
                return java.util.Optional.of(named);
            }
        });
        io.fli.engine.ViewStamp mine = new io.fli.engine.ViewStamp(3, 8);
        assertThat(t.current(mine)).contains(named);
        assertThat(had).containsExactly(mine);
        assertThat(t.spent()).isGreaterThanOrEqualTo(2_000_000);
        long[] other = new long[1];
        Thread th = new Thread(() -> other[0] = t.spent());
        th.start();
        th.join();
        assertThat(other[0]).as("another thread asked nothing").isZero();
        assertThat(t.latencies.getIntervalHistogram().getTotalCount()).isEqualTo(1);
    }

    private static io.fli.engine.IndexStats stats(long stateReads, long gets, long background) {
        return new io.fli.engine.IndexStats(0, 0, 0, 0, 0, gets, 0, stateReads, 0, java.util.Map.of("directory", gets),
                java.util.Map.of("directory", background), 0);
    }

    @Test
    void theShortProfileMeasuresEveryFigureAndPassesGenerousTargets() throws Exception {
        Path out = dir.resolve("run");
        CliTest.Run r = CliTest.fli("slo", "--backend", "memory", "--logs", "30000", "--queries", "20",
                "--cold-queries", "2", "--ingest-rate", "5000", "--slo", targets(60_000, 1, 600_000).toString(),
                "--out", out.toString());
        assertThat(r.code()).as(r.out() + r.err()).isZero();
        for (String c : SloCommand.CLASSES.keySet()) {
            assertThat(r.out()).contains("| lease-holder | " + c + " |").contains("| other-process | " + c + " |");
            assertThat(out.resolve("other-process-" + c + "-cold.hgrm")).exists();
        }
        for (String plot : List.of("lease-holder-warm", "lease-holder-cold", "other-process-warm",
                "other-process-cold")) {
            assertThat(out.resolve("slo-" + plot + ".png")).as(plot).exists().isNotEmptyFile();
        }
        assertThat(r.out()).contains("| process | class | warm GETs per query by what they read | GETs off the query "
                + "path in the same window, per query (warming, merges) | warm queries over the p99 limit, by what they "
                + "waited on |");
        assertThat(r.out()).contains("cold start").contains("warm-up after restart").contains("storage packs/")
                .contains("PASS: 47 figures, 47 within target");
        JsonNode res = new ObjectMapper().readTree(out.resolve("results.json").toFile());
        assertThat(res.path("pass").asBoolean()).isTrue();
        assertThat(res.path("figures")).hasSize(47);
        // What it ran on: the collector decides the query tails as much as the code does.
        assertThat(res.path("collector").asText()).isNotBlank().isEqualTo(SloCommand.collector());
        assertThat(r.out()).contains("collector " + SloCommand.collector());
        assertThat(res.path("cores").asInt()).isPositive();
        // The second process's warm figures wait for its warming queue (in memory: nothing to warm, at once).
        assertThat(res.path("second_process_warmed_s").asDouble()).isNotNegative();
        assertThat(r.out()).contains("second process warmed (its warming queue first empty): ");
        // The publishes while measuring: a tenth of --batch-blocks unless --ingest-batch-blocks says otherwise.
        assertThat(res.path("ingest_while_measuring").path("logs_per_s").asLong()).isEqualTo(5000);
        assertThat(res.path("ingest_while_measuring").path("batch_blocks").asInt()).isEqualTo(100);
        // Each class's GETs per measured query: none without bytes, no bytes without a GET.
        for (String c : SloCommand.CLASSES.keySet()) {
            JsonNode q = res.path("queries").path("other-process/" + c);
            assertThat(q.has("warm_gets_per_query")).as(c).isTrue();
            double gets = q.path("warm_gets_per_query").asDouble();
            assertThat(gets).as(c).isNotNegative();
            // Every measured query counted, the slow ones split by what they waited on (the four parts add up).
            JsonNode slow = q.path("warm_slow_queries");
            assertThat(slow.path("measured").asLong()).as(c).isEqualTo(20);
            assertThat(slow.path("state_read").asLong() + slow.path("get").asLong() + slow.path("both").asLong()
                    + slow.path("neither").asLong()).as(c).isEqualTo(slow.path("slow").asLong());
            assertThat(q.path("warm_kb_per_query").asDouble() > 0).as(c).isEqualTo(gets > 0);
            double byKind = 0;
            for (JsonNode k : q.path("warm_gets_per_query_by_kind")) {
                byKind += k.asDouble();
            }
            assertThat(byKind).as("%s: GETs by kind add up to the GETs", c).isCloseTo(gets, org.assertj.core.data
                    .Offset.offset(1e-9));
            assertThat(q.path("warm_background_gets_per_query_by_kind").isObject()).as(c).isTrue();
        }
        // Warm means warm: every class's warm queries run before any cold query of that process drops its caches.
        List<String> phases = new java.util.ArrayList<>();
        res.path("phases").forEach(p -> phases.add(p.asText()));
        assertThat(phases).hasSize(2 * 2 * SloCommand.CLASSES.size());
        for (String who : List.of("lease-holder", "other-process")) {
            int lastWarm = -1;
            int firstCold = Integer.MAX_VALUE;
            for (int i = 0; i < phases.size(); i++) {
                if (phases.get(i).startsWith(who + " warm ")) {
                    lastWarm = i;
                } else if (phases.get(i).startsWith(who + " cold ")) {
                    firstCold = Math.min(firstCold, i);
                }
            }
            assertThat(lastWarm).as("%s: %s", who, phases).isLessThan(firstCold);
        }
        assertThat(res.path("storage").path("packs/").path("bytes_per_log").asDouble()).isPositive();
        // Every backend call's distribution over the run: the committed state reads queries made (the in-memory
        // stores are shared by both processes here), with percentiles in order.
        JsonNode reads = res.path("backend_calls").path("memory/get-committed");
        assertThat(reads.path("count").asLong()).isPositive();
        assertThat(reads.path("p50_ms").asDouble()).isLessThanOrEqualTo(reads.path("p99_ms").asDouble());
        assertThat(reads.path("p99_ms").asDouble()).isLessThanOrEqualTo(reads.path("max_ms").asDouble() * 1.05);
        // The second process asked the holder over HTTP which state is current and answered from its own copy: per
        // question, or under a read lease the holder granted (the default, 200 ms), without asking.
        JsonNode hv = res.path("holder_view");
        JsonNode leases = res.path("read_leases");
        assertThat(hv.path("asked").asLong()).isPositive();
        assertThat(leases.path("ms").asLong()).isEqualTo(200);
        assertThat(leases.path("granted").asLong()).as("read leases granted").isPositive()
                .isLessThanOrEqualTo(hv.path("named").asLong());
        assertThat(leases.path("answers").asLong()).as("queries answered under one").isPositive();
        assertThat(hv.path("answers").asLong()).isPositive().isLessThanOrEqualTo(hv.path("named").asLong()
                + leases.path("answers").asLong());
        assertThat(r.out()).contains("second process holder view: ", "second process read leases (200 ms): ");
    }

    @Test
    void targetsNoMachineMeetsFailTheRun() throws Exception {
        CliTest.Run r = CliTest.fli("slo", "--backend", "memory", "--logs", "5000", "--queries", "10",
                "--cold-queries", "1", "--ingest-rate", "0", "--slo", targets(1e-9, 1e12, 1e-9).toString(),
                "--out", dir.resolve("fail").toString());
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.out()).contains("FAIL: ").contains("| FAIL |");
    }

    /**
     * The build publishes a batch again after an unknown outcome or a backend error (a stalled server over a
     * half-hour build), and the index ends up holding it once; a fence is not retried, nor a failure that lasts.
     */
    @Test
    void theBuildRetriesAPublishWhoseFailureMayPass() throws Exception {
        io.fli.engine.LogIndex index = io.fli.engine.LogIndex.open(io.fli.engine.MetaStore.inMemory(),
                io.fli.engine.BlobStore.inMemory(), io.fli.engine.IndexConfig.defaults());
        io.fli.engine.Writer real = index.writer("w");
        real.acquire();
        List<io.fli.engine.Block> batch = new io.fli.workloads.ChainGenerator(
                io.fli.workloads.ChainGenerator.Shape.defaults(3)).blocks(0, 20);
        java.util.concurrent.atomic.AtomicInteger calls = new java.util.concurrent.atomic.AtomicInteger();
        java.util.function.Function<List<RuntimeException>, io.fli.engine.Writer> failing = faults ->
                (io.fli.engine.Writer) java.lang.reflect.Proxy.newProxyInstance(getClass().getClassLoader(),
                        new Class<?>[] {io.fli.engine.Writer.class}, (proxy, m, args) -> {
                            if (m.getName().equals("publish")) {
                                int n = calls.getAndIncrement();
                                if (n < faults.size()) {
                                    if (n == 0) {
                                        real.publish(batch); // indexed, but the reply is lost
                                    }
                                    throw faults.get(n);
                                }
                            }
                            try {
                                return m.invoke(real, args);
                            } catch (java.lang.reflect.InvocationTargetException e) {
                                throw e.getCause();
                            }
                        });
        java.io.StringWriter log = new java.io.StringWriter();
        int failed = SloCommand.publishRetrying(failing.apply(List.of(
                new io.fli.engine.OutcomeUnknownException("CAS outcome unknown"),
                new io.fli.engine.BackendException("cql unreachable"))), batch, new java.io.PrintWriter(log), 1);
        assertThat(failed).isEqualTo(2);
        assertThat(log.toString()).contains("publish of blocks 0..19 failed (CAS outcome unknown)")
                .contains("(cql unreachable)");
        assertThat(index.head()).isEqualTo(19L);

        calls.set(0);
        List<RuntimeException> forever = java.util.Collections.nCopies(SloCommand.BUILD_RETRIES + 1,
                new io.fli.engine.BackendException("down"));
        List<io.fli.engine.Block> more = new io.fli.workloads.ChainGenerator(
                io.fli.workloads.ChainGenerator.Shape.defaults(3)).blocks(20, 5);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> SloCommand.publishRetrying(failing.apply(forever),
                more, new java.io.PrintWriter(new java.io.StringWriter()), 0)).hasMessage("down");
        assertThat(calls.get()).isEqualTo(SloCommand.BUILD_RETRIES + 1);

        calls.set(0);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> SloCommand.publishRetrying(failing.apply(
                List.of(new io.fli.engine.FencedException("fenced by epoch 2"))), more,
                new java.io.PrintWriter(new java.io.StringWriter()), 0)).hasMessage("fenced by epoch 2");
        assertThat(calls.get()).as("a fence is not retried").isEqualTo(1);
        index.close();
    }

    @Test
    void badInputsAreNamed() {
        CliTest.Run r = CliTest.fli("slo", "--backend", "cloud");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("--backend must be memory, local or remote, got 'cloud'");
        CliTest.Run s = CliTest.fli("slo", "--backend", "memory", "--slo", dir.resolve("none.json").toString());
        assertThat(s.code()).isEqualTo(2);
        assertThat(s.err()).contains("--slo: no SLO file at");
        CliTest.Run h = CliTest.fli("slo", "--backend", "memory", "--holder-view", "telepathy");
        assertThat(h.code()).isEqualTo(2);
        assertThat(h.err()).contains("--holder-view must be http or none, got 'telepathy'");
    }
}
