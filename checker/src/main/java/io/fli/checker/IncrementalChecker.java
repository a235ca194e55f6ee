package io.fli.checker;

import io.fli.checker.internal.Emitter;
import io.fli.checker.internal.HistoryParser;
import io.fli.checker.internal.Streaming;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.Reader;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * Checks a history while reading it, operation by operation, in memory that does not grow with the operations read:
 * each query is judged as soon as what it depends on has settled and then dropped; what is kept is the published
 * chain, the operations in flight and the queries waiting to settle. It gives the batch {@link Checker}'s verdict
 * and anomalies (the same judgments, see {@code docs/history-format.md}, "Checking while the history grows");
 * a history whose judgments depend on lines after them (a block published again after a query showed it) is handed
 * to the batch checker, and the outcome says so.
 */
public final class IncrementalChecker {
    private IncrementalChecker() {
    }

    /**
     * What a streaming check found.
     *
     * @param result   the verdict: this checker's, or the batch checker's when {@code inexact} is set
     * @param inexact  why the batch checker had to decide, or null
     * @param progress  the streaming checker's counters at the end
     * @param truncated the file is a gzip stream that ends early: its complete lines were checked
     */
    public record Outcome(CheckResult result, String inexact, Progress progress, boolean truncated) {
    }

    /**
     * How far a streaming check has got.
     *
     * @param opsRead    operations read
     * @param judged     queries judged
     * @param waiting    completed queries waiting for a publish they depend on
     * @param maxWaiting the most that ever waited
     * @param blocks     blocks in the kept chain
     * @param coldBlocks of which on disk
     * @param anomalies  anomalies found so far
     */
    public record Progress(long opsRead, long judged, int waiting, int maxWaiting, int blocks, long coldBlocks,
                           long anomalies) {
    }

    /**
     * Checks a history file ({@code .gz} too, including one still being written: it stops at the last complete
     * line), handing each anomaly to {@code found} as it is found.
     *
     * @throws HistoryFormatException the file breaks format v1 (the message names the line and the rule)
     */
    public static Outcome check(Path file, Consumer<Anomaly> found) throws IOException {
        return check(file, found, new Memory(HOT_LOGS, 16));
    }

    /** Published logs the streaming checker keeps in memory before it moves the oldest settled blocks to disk. */
    public static final long HOT_LOGS = 200_000;

    /**
     * How much of the chain stays in memory.
     *
     * @param hotLogs    published logs kept in memory; beyond them the oldest settled blocks go to a temporary
     *                   on-disk store (0: all in memory)
     * @param keepNewest the newest blocks always kept in memory
     * @param spillDir   where the on-disk store's temporary folder goes (null: the system's temporary folder)
     */
    public record Memory(long hotLogs, int keepNewest, Path spillDir) {
        public Memory(long hotLogs, int keepNewest) {
            this(hotLogs, keepNewest, null);
        }
    }

    /** {@link #check(Path, Consumer)} with the chain's memory bounded as given. */
    public static Outcome check(Path file, Consumer<Anomaly> found, Memory memory) throws IOException {
        Run run = new Run(found, memory);
        HistoryParser.Streamed s = HistoryParser.stream(file, run::accept, run::parser);
        return run.finish(s.parser().test(), s.truncated(), file);
    }

    /** One streaming check: the checker, its emitter, and the failure that stopped it, if any. */
    private static final class Run {
        final Emitter emitter;
        final Streaming checker;
        String failure;
        long ops;

        Run(Consumer<Anomaly> found, Memory memory) {
            emitter = new Emitter(Checker.MAX_ANOMALIES_PER_INVARIANT, found);
            checker = new Streaming(emitter, memory.hotLogs(), memory.keepNewest(), memory.spillDir());
        }

        void accept(Op op) {
            ops++;
            if (failure != null) {
                return;
            }
            try {
                checker.accept(op);
            } catch (RuntimeException e) {
                failure = "the streaming checker failed at operation " + op.index() + ": " + Checker.describe(e);
            }
        }

        void parser(HistoryParser p) {
            checker.parser(p);
        }

        Progress progress() {
            long n = 0;
            for (Invariant inv : Invariant.values()) {
                n += checker.count(inv);
            }
            return new Progress(checker.opsRead(), checker.judged(), checker.waiting(), checker.maxWaiting(),
                    checker.blocks(), checker.coldBlocks(), n);
        }

        Outcome finish(com.fasterxml.jackson.databind.JsonNode test, boolean truncated, Path file)
                throws IOException {
            if (failure == null) {
                try {
                    checker.finish();
                } catch (RuntimeException e) {
                    failure = "the streaming checker failed at the end: " + Checker.describe(e);
                }
            }
            checker.close();
            String inexact = failure != null ? failure : checker.inexact();
            if (inexact != null) {
                if (file == null) {
                    return new Outcome(null, inexact, progress(), truncated);
                }
                return new Outcome(Checker.check(History.read(file)), inexact, progress(), truncated);
            }
            Map<Invariant, CheckResult.Verdict> verdicts = new EnumMap<>(Invariant.class);
            List<Anomaly> anomalies = new ArrayList<>();
            Validity valid = Validity.VALID;
            for (Invariant inv : Invariant.values()) {
                long n = emitter.count(inv);
                verdicts.put(inv, new CheckResult.Verdict(n == 0 ? Validity.VALID : Validity.INVALID, n, null));
                anomalies.addAll(emitter.anomalies(inv));
                valid = valid.merge(n == 0 ? Validity.VALID : Validity.INVALID);
            }
            anomalies.sort(Checker.REPORT_ORDER);
            return new Outcome(new CheckResult(valid, anomalies, verdicts, Checker.stats(ops, checker.counts()),
                    test), null, progress(), truncated);
        }
    }

    /**
     * A check fed line by line while the history is written (the soak's): a thread parses and judges the lines
     * offered, in order. The feed holds at most {@code capacity} lines not yet read; {@link #offer} waits when it is
     * full, so the checker's lag behind the history is bounded by construction and measured by {@link #lag()}.
     */
    public static final class Live implements AutoCloseable {
        private static final String END = new String("end of history");
        private final BlockingQueue<String> lines;
        private final Run run;
        private final Path file;
        private final Thread thread;
        private final AtomicLong offered = new AtomicLong();
        private final AtomicLong blockedNanos = new AtomicLong();
        private volatile HistoryParser parser;
        private volatile Throwable parseFailure;
        private volatile Outcome outcome;

        /**
         * Starts a live check.
         *
         * @param file     the history file being written, read by the batch checker if this check cannot decide
         * @param capacity lines the feed holds before {@link #offer} waits
         * @param found    called with each anomaly when it is found, on the checker's thread
         */
        public Live(Path file, int capacity, Consumer<Anomaly> found) {
            this(file, capacity, found, new Memory(HOT_LOGS, 16));
        }

        /** As above, with the chain's memory bounded as given. */
        public Live(Path file, int capacity, Consumer<Anomaly> found, Memory memory) {
            this.file = file;
            this.lines = new ArrayBlockingQueue<>(capacity);
            this.run = new Run(found, memory);
            this.thread = new Thread(this::parse, "fli-live-check");
            thread.setDaemon(true);
            thread.start();
        }

        private void parse() {
            try (BufferedReader r = new BufferedReader(new FeedReader(lines))) {
                parser = HistoryParser.stream(r, run::accept, run::parser);
            } catch (Throwable e) {
                parseFailure = e;
                lines.clear();
                drain();
            }
        }

        /** After a failure, keep taking lines so that the writer never waits on a dead feed. */
        private void drain() {
            try {
                while (lines.take() != END) {
                    lines.clear();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        /** Offers one line of the history (header or operation, without its newline). */
        public void offer(String line) {
            offered.incrementAndGet();
            if (lines.offer(line)) {
                return;
            }
            long t0 = System.nanoTime();
            try {
                lines.put(line);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                blockedNanos.addAndGet(System.nanoTime() - t0);
            }
        }

        /** Lines offered and not yet judged into the checker: the lines in the feed plus those read but waiting. */
        public long lag() {
            return Math.max(0, offered.get() - 1 - run.checker.opsRead());
        }

        /** Time {@link #offer} has waited on a full feed, in nanoseconds. */
        public long blockedNanos() {
            return blockedNanos.get();
        }

        public Progress progress() {
            return run.progress();
        }

        /** The streaming checker's own reason to defer to the batch checker, so far. */
        public String inexact() {
            return run.failure != null ? run.failure : run.checker.inexact();
        }

        /**
         * Ends the history: waits for the checker to read every line offered, then judges what is left.
         *
         * @throws HistoryFormatException a line offered broke format v1
         */
        public Outcome finish() throws IOException, InterruptedException {
            if (outcome != null) {
                return outcome;
            }
            lines.put(END);
            thread.join();
            if (parseFailure instanceof HistoryFormatException e) {
                throw e;
            }
            if (parseFailure instanceof IOException e) {
                throw e;
            }
            if (parseFailure != null) {
                throw new IllegalStateException("the live check failed", parseFailure);
            }
            outcome = run.finish(parser.test(), false, file);
            return outcome;
        }

        /** Stops a check that was not finished (its history abandoned) and deletes what it kept on disk. */
        @Override
        public void close() {
            if (outcome == null) {
                lines.clear();
                lines.offer(END);
                try {
                    thread.join(60_000);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            run.checker.close();
        }

        /** Reads the queued lines as one character stream, each followed by a newline; {@link #END} ends it. */
        private static final class FeedReader extends Reader {
            private final BlockingQueue<String> lines;
            private String current;
            private int pos;
            private boolean ended;

            FeedReader(BlockingQueue<String> lines) {
                this.lines = lines;
            }

            @Override
            public int read(char[] buf, int off, int len) throws IOException {
                if (len == 0) {
                    return 0;
                }
                if (ended) {
                    return -1;
                }
                if (current == null || pos > current.length()) {
                    try {
                        String next = lines.take();
                        if (next == END) {
                            ended = true;
                            return -1;
                        }
                        current = next;
                        pos = 0;
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw new java.io.InterruptedIOException("interrupted while waiting for history lines");
                    }
                }
                int n = 0;
                while (n < len && pos <= current.length()) {
                    buf[off + n++] = pos < current.length() ? current.charAt(pos) : '\n';
                    pos++;
                }
                return n;
            }

            @Override
            public void close() {
            }
        }
    }
}
