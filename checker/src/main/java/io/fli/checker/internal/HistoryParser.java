package io.fli.checker.internal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import io.fli.checker.History;
import io.fli.checker.HistoryFormatException;
import io.fli.checker.Op;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.zip.GZIPInputStream;

/**
 * Reads format v1 and enforces every rule of it, naming the line and the rule on the first violation. Strings are
 * interned (addresses and topics repeat across millions of operations) and every distinct block version is kept once.
 */
public final class HistoryParser {
    public static final String FORMAT = "finalized-log-index-history";
    /** The version of the compact form ({@code logRefs} answers, completions without their arguments) read here. */
    public static final int COMPACT_VERSION = 1;
    private static final ObjectMapper JSON = new ObjectMapper();

    /** Interned strings, shared with the parse threads' fast path. */
    private final java.util.concurrent.ConcurrentHashMap<String, String> strings;
    private record VersionKey(long number, String hash) {
    }

    private final Map<VersionKey, Op.Block> versions = new HashMap<>();
    /** Every version seen so far by block number, to share the strings of returned logs with their published log. */
    private final Map<Long, List<Op.Block>> versionsByNumber = new HashMap<>();
    private final Map<VersionKey, Long> versionLine = new HashMap<>();
    private final Map<Integer, Op> outstanding = new HashMap<>();
    private final Map<Integer, Long> outstandingLine = new HashMap<>();
    private final Set<Integer> retired = new HashSet<>();
    private final List<Op> ops = new ArrayList<>();
    /** Where each operation goes: {@link #ops} for a batch parse, a streaming checker otherwise. */
    private final java.util.function.Consumer<Op> sink;
    private final boolean batch;
    /** Operations read so far (the next index expected). */
    private int count;
    private JsonNode test;
    private long lastTime;
    private long line;

    private HistoryParser(java.util.concurrent.ConcurrentHashMap<String, String> strings,
                          java.util.function.Consumer<Op> sink) {
        this.strings = strings;
        this.sink = sink == null ? ops::add : sink;
        this.batch = sink == null;
    }

    private void add(Op op) {
        count++;
        sink.accept(op);
        if (!batch && (count & 4095) == 0 && strings.size() > MAX_STREAMING_STRINGS) {
            strings.clear(); // streaming: sharing strings saves memory, holding all of them would cost it
        }
    }

    /** Distinct strings a streaming parse shares before it starts over (the batch parse keeps them all). */
    static final int MAX_STREAMING_STRINGS = 100_000;

    /** The header's {@code test} object (empty before the header is read). */
    public JsonNode test() {
        return test == null ? JsonNodeFactory.instance.objectNode() : test;
    }

    /** What a streaming parse read. */
    public record Streamed(HistoryParser parser, long ops, boolean truncated) {
    }

    /**
     * Reads a history file operation by operation, handing each to {@code sink} in file order without keeping it;
     * the format is enforced as by {@link #read}. The parser is returned for {@link #resolve} (compact answers whose
     * block was published after them) and the header.
     */
    public static Streamed stream(Path file, java.util.function.Consumer<Op> sink,
                                  java.util.function.Consumer<HistoryParser> started) throws IOException {
        try (InputStream raw = Files.newInputStream(file);
             CompleteLines gz = file.toString().endsWith(".gz") ? new CompleteLines(new GZIPInputStream(raw,
                     1 << 16)) : null;
             BufferedReader r = new BufferedReader(new InputStreamReader(gz != null ? gz : raw,
                     StandardCharsets.UTF_8), 1 << 16)) {
            HistoryParser p = stream(r, sink, started);
            return new Streamed(p, p.count, gz != null && gz.truncated);
        }
    }

    /** Reads lines until the reader ends, handing each operation to {@code sink}; {@code started} gets the parser first. */
    public static HistoryParser stream(BufferedReader r, java.util.function.Consumer<Op> sink,
                                       java.util.function.Consumer<HistoryParser> started) throws IOException {
        java.util.concurrent.ConcurrentHashMap<String, String> strings = new java.util.concurrent.ConcurrentHashMap<>();
        HistoryParser p = new HistoryParser(strings, sink);
        started.accept(p);
        p.run(r, new FastLines(strings));
        return p;
    }

    public static History read(Path file) throws IOException {
        try (InputStream raw = Files.newInputStream(file);
             CompleteLines gz = file.toString().endsWith(".gz") ? new CompleteLines(new GZIPInputStream(raw,
                     1 << 16)) : null;
             BufferedReader r = new BufferedReader(new InputStreamReader(gz != null ? gz : raw,
                     StandardCharsets.UTF_8), 1 << 16)) {
            History h = parse(r);
            return gz != null && gz.truncated ? new History(h.test(), h.ops(), true) : h;
        }
    }

    /**
     * A decompressed stream that, when the compressed data ends early (a gzip file still being written, or cut off by
     * a kill), ends at the last complete line instead of failing, and says so.
     */
    static final class CompleteLines extends InputStream {
        private final InputStream in;
        private final byte[] buf = new byte[1 << 16];
        /** Bytes [pos, safe) may be handed out: they end with a newline, or the stream ended normally. */
        private int pos;
        private int safe;
        private int end;
        private boolean eof;
        boolean truncated;

        CompleteLines(InputStream in) {
            this.in = in;
        }

        private boolean fill() throws IOException {
            while (pos == safe) {
                if (eof) {
                    return false;
                }
                if (pos > 0) {
                    System.arraycopy(buf, pos, buf, 0, end - pos);
                    end -= pos;
                    safe -= pos;
                    pos = 0;
                }
                if (end == buf.length) {
                    safe = end; // a line longer than the buffer: hand it out in pieces
                    continue;
                }
                int n;
                try {
                    n = in.read(buf, end, buf.length - end);
                } catch (java.io.EOFException cutOff) {
                    truncated = true;
                    eof = true;
                    end = safe; // drop the cut-off last line
                    continue;
                }
                if (n < 0) {
                    eof = true;
                    safe = end;
                    continue;
                }
                end += n;
                for (int i = end - 1; i >= safe; i--) {
                    if (buf[i] == '\n') {
                        safe = i + 1;
                        break;
                    }
                }
            }
            return true;
        }

        @Override
        public int read() throws IOException {
            return fill() ? buf[pos++] & 0xff : -1;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (len == 0) {
                return 0;
            }
            if (!fill()) {
                return -1;
            }
            int n = Math.min(len, safe - pos);
            System.arraycopy(buf, pos, b, off, n);
            pos += n;
            return n;
        }

        @Override
        public void close() throws IOException {
            in.close();
        }
    }

    /** A chunk of lines parsed into trees by the reader thread; a line that is not JSON carries its error. */
    private record Chunk(String[] lines, FastLines.FastOp[] fast, JsonNode[] trees, String[] errors, int n,
                         IOException failure) {
    }

    private static final int CHUNK = 256;
    /** Off only in tests, which compare what both paths make of the same files. */
    static volatile boolean FAST_PATH = true;
    private static final Chunk END = new Chunk(new String[0], new FastLines.FastOp[0], new JsonNode[0], new String[0],
            0, null);

    /** Parses JSON lines off the validating thread; daemon threads, shared by all parses. */
    private static final java.util.concurrent.ExecutorService PARSERS = java.util.concurrent.Executors
            .newFixedThreadPool(Math.max(2, Runtime.getRuntime().availableProcessors()), r -> {
                Thread t = new Thread(r, "fli-history-json");
                t.setDaemon(true);
                return t;
            });

    /**
     * Parses a history. A reader thread cuts the file into chunks of lines, a small pool parses them into JSON
     * trees ahead of time, and validation consumes the chunks strictly in file order, so that the first broken rule
     * in the file is the one reported.
     */
    public static History parse(BufferedReader r) throws IOException {
        java.util.concurrent.ConcurrentHashMap<String, String> strings = new java.util.concurrent.ConcurrentHashMap<>();
        HistoryParser p = new HistoryParser(strings, null);
        p.run(r, new FastLines(strings));
        p.resolveLateRefs();
        return new History(p.test, p.ops);
    }

    private void run(BufferedReader r, FastLines fastLines) throws IOException {
        HistoryParser p = this;
        java.util.concurrent.BlockingQueue<java.util.concurrent.Future<Chunk>> queue =
                new java.util.concurrent.ArrayBlockingQueue<>(3);
        java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
        Thread reader = new Thread(() -> readAhead(r, queue, stop, fastLines), "fli-history-reader");
        reader.setDaemon(true);
        reader.start();
        try {
            while (true) {
                Chunk c = queue.take().get();
                if (c == END) {
                    break;
                }
                for (int i = 0; i < c.n; i++) {
                    p.line++;
                    if (c.fast[i] != null) {
                        p.opFast(c.fast[i], c.lines[i]);
                        continue;
                    }
                    if (c.errors[i] != null) {
                        throw p.bad(c.errors[i]);
                    }
                    p.accept(c.trees[i]);
                }
                if (c.failure != null) {
                    throw c.failure;
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException("interrupted while reading the history");
        } catch (java.util.concurrent.ExecutionException e) {
            throw new IllegalStateException("parsing the history failed", e.getCause());
        } finally {
            stop.set(true);
            queue.clear();
        }
        if (p.line == 0) {
            throw new HistoryFormatException(1, "the file is empty; line 1 must be the header {\"format\":\"" + FORMAT
                    + "\",\"version\":1,...}");
        }
    }

    /**
     * Compactly recorded logs of blocks whose publish came later in the file than the query's answer (a visibility
     * anomaly in itself) are resolved once every version is known, so that they are judged as the same logs recorded
     * in full would be.
     */
    private void resolveLateRefs() {
        for (int i = 0; i < ops.size(); i++) {
            Op op = ops.get(i);
            if (!(op.value() instanceof Op.Query q) || q.logs() == null
                    || q.logs().stream().noneMatch(Op.ReturnedLog::unresolved)) {
                continue;
            }
            List<Op.ReturnedLog> logs = new ArrayList<>(q.logs().size());
            for (Op.ReturnedLog l : q.logs()) {
                logs.add(l.unresolved() ? resolve(l.block(), l.index(), l.fingerprint()) : l);
            }
            ops.set(i, new Op(op.index(), op.time(), op.process(), op.type(), op.f(), new Op.Query(q.from(), q.to(),
                    q.addresses(), q.topics(), q.head(), List.copyOf(logs), q.error(), q.finalRead())));
        }
    }

    private static Chunk parseChunk(String[] lines, int n, IOException failure, boolean startsWithHeader,
                                    FastLines fastLines) {
        JsonNode[] trees = new JsonNode[n];
        String[] errors = new String[n];
        FastLines.FastOp[] fast = new FastLines.FastOp[n];
        for (int i = 0; i < n; i++) {
            if (FAST_PATH && (i > 0 || !startsWithHeader)) {
                fast[i] = fastLines.parse(lines[i]);
                if (fast[i] != null) {
                    continue;
                }
            }
            if (i == 0 && startsWithHeader && lines[i].startsWith("\uFEFF")) {
                errors[i] = "the file starts with a UTF-8 byte order mark (BOM, bytes EF BB BF); format v1 is UTF-8 "
                        + "without a BOM: save the file without it";
                return new Chunk(lines, fast, trees, errors, i + 1, null);
            }
            try {
                trees[i] = JSON.readTree(lines[i]);
                if (trees[i] == null || !trees[i].isObject()) {
                    errors[i] = "each line must be one JSON object";
                }
            } catch (JsonProcessingException e) {
                errors[i] = "not valid JSON (" + e.getOriginalMessage() + ")";
            }
            if (errors[i] != null) {
                return new Chunk(lines, fast, trees, errors, i + 1, null);
            }
        }
        return new Chunk(lines, fast, trees, errors, n, failure);
    }

    private static void readAhead(BufferedReader r, java.util.concurrent.BlockingQueue<java.util.concurrent.Future<Chunk>> queue,
                                  java.util.concurrent.atomic.AtomicBoolean stop, FastLines fastLines) {
        try {
            boolean eof = false;
            boolean first = true;
            while (!stop.get() && !eof) {
                String[] lines = new String[CHUNK];
                int n = 0;
                IOException failure = null;
                try {
                    while (n < CHUNK) {
                        String s = r.readLine();
                        if (s == null) {
                            eof = true;
                            break;
                        }
                        lines[n++] = s;
                    }
                } catch (IOException e) {
                    failure = e;
                    eof = true;
                }
                int count = n;
                IOException f = failure;
                boolean header = first;
                first = false;
                queue.put(PARSERS.submit(() -> parseChunk(lines, count, f, header, fastLines)));
            }
            queue.put(java.util.concurrent.CompletableFuture.completedFuture(END));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private HistoryFormatException bad(String rule) {
        return new HistoryFormatException(line, rule);
    }

    private void accept(JsonNode n) {
        if (line == 1) {
            header(n);
        } else {
            op(n);
        }
    }

    private void header(JsonNode n) {
        JsonNode format = n.get("format");
        if (format == null || !FORMAT.equals(format.asText(null))) {
            throw bad("the first line must be the header {\"format\":\"" + FORMAT + "\",\"version\":1,...}"
                    + (n.has("index") ? " (this looks like an operation: the header is missing)" : ""));
        }
        JsonNode version = n.get("version");
        if (version == null || !version.isIntegralNumber() || version.asLong() != 1) {
            throw bad("header version must be 1 (this checker reads format v1), found " + version);
        }
        JsonNode compact = n.get("compact");
        if (compact != null && !compact.isNull() && (!compact.isIntegralNumber() || compact.asLong() < 1
                || compact.asLong() > COMPACT_VERSION)) {
            throw bad("header compact must be " + COMPACT_VERSION + " (this checker reads compact form "
                    + COMPACT_VERSION + ": logRefs and bare completions), found " + compact);
        }
        JsonNode t = n.get("test");
        test = t == null ? JsonNodeFactory.instance.objectNode() : t;
    }

    /** The client f names as shared constants; other names (nemesis faults) through the interner. */
    private String canonicalF(String f) {
        return switch (f) {
            case "acquire" -> "acquire";
            case "publish" -> "publish";
            case "query" -> "query";
            default -> intern(f);
        };
    }

    private String intern(String s) {
        String prev = strings.putIfAbsent(s, s);
        return prev != null ? prev : s;
    }

    private long integer(JsonNode parent, String field, Where where) {
        JsonNode v = parent.get(field);
        if (v == null || !v.isIntegralNumber() || !v.canConvertToLong()) {
            throw bad(where + ": field '" + field + "' must be an integer, found " + (v == null ? "nothing" : v));
        }
        return v.asLong();
    }

    /** Boxed block numbers, shared: heads and ranges repeat across millions of queries. */
    private Long[] boxes = new Long[1024];

    private Long optInteger(JsonNode parent, String field, Where where) {
        JsonNode v = parent.get(field);
        if (v == null || v.isNull()) {
            return null;
        }
        return box(integer(parent, field, where));
    }

    private Long box(Long boxed) {
        return boxed == null ? null : box(boxed.longValue());
    }

    private Long box(long x) {
        if (x < 0 || x >= 1 << 24) {
            return x;
        }
        int i = (int) x;
        if (i >= boxes.length) {
            boxes = java.util.Arrays.copyOf(boxes, Math.max(i + 1, boxes.length * 2));
        }
        Long b = boxes[i];
        if (b == null) {
            b = x;
            boxes[i] = b;
        }
        return b;
    }

    private String string(JsonNode parent, String field, Where where) {
        JsonNode v = parent.get(field);
        if (v == null || !v.isTextual()) {
            throw bad(where + ": field '" + field + "' must be a string, found " + (v == null ? "nothing" : v));
        }
        return intern(v.textValue());
    }


    private List<String> strings(JsonNode v, Where where) {
        if (v == null || v.isNull()) {
            return List.of();
        }
        if (!v.isArray()) {
            throw bad(where + " must be an array of strings, found " + v);
        }
        String[] out = new String[v.size()];
        for (int i = 0; i < out.length; i++) {
            JsonNode e = v.get(i);
            if (!e.isTextual()) {
                throw bad(where + " must contain only strings, found " + e);
            }
            out[i] = intern(e.textValue());
        }
        return List.of(out);
    }

    /**
     * An operation line the fast path parsed: the cross-line rules are checked here; if any is broken, the line is
     * read the ordinary way, which reports the broken rule exactly as for any other line.
     */
    private void opFast(FastLines.FastOp o, String raw) {
        Op open = outstanding.get(o.process());
        boolean fine = o.index() == count && o.time() >= 0 && o.time() >= lastTime
                && (o.type() == Op.Type.INVOKE
                ? open == null && !retired.contains(o.process())
                : open != null && open.f().equals(o.f()));
        if (!fine) {
            try {
                op(JSON.readTree(raw));
            } catch (JsonProcessingException e) {
                throw bad("not valid JSON (" + e.getOriginalMessage() + ")");
            }
            return;
        }
        lastTime = o.time();
        int index = (int) o.index();
        if (o.type() == Op.Type.INVOKE) {
            Op.Value v;
            if (o.value() instanceof FastLines.PublishInvoke p) {
                Where where = Where.op(o.f(), "invoke", index);
                Op.Block[] bs = new Op.Block[p.blocks().size()];
                for (int i = 0; i < bs.length; i++) {
                    bs[i] = version(p.blocks().get(i), where.sub(" blocks[", i, "]"));
                }
                v = new Op.Publish(p.writer(), p.epoch(), List.of(bs), null, null);
            } else if (o.value() instanceof FastLines.QueryInvoke q) {
                v = new Op.Query(box(q.from()), box(q.to()), q.addresses(), q.topics(), null, null, null,
                        q.finalRead());
            } else {
                v = new Op.Acquire(((FastLines.AcquireInvoke) o.value()).writer(), null, null);
            }
            Op op = new Op(index, o.time(), o.process(), o.type(), o.f(), v);
            outstanding.put(o.process(), op);
            outstandingLine.put(o.process(), line);
            add(op);
            return;
        }
        outstanding.remove(o.process());
        outstandingLine.remove(o.process());
        if (o.type() == Op.Type.INFO) {
            retired.add(o.process());
        }
        Op.Value args = open.value();
        String error = o.value() instanceof FastLines.Failed fl ? fl.error() : null;
        Op.Value v;
        if (args instanceof Op.Acquire a) {
            v = new Op.Acquire(a.writer(), o.value() instanceof FastLines.AcquireDone d ? d.epoch() : null, error);
        } else if (args instanceof Op.Publish p) {
            v = new Op.Publish(p.writer(), p.epoch(), p.blocks(),
                    o.value() instanceof FastLines.PublishDone d ? d.head() : null, error);
        } else {
            Op.Query q = (Op.Query) args;
            if (o.value() instanceof FastLines.QueryOk ok) {
                Op.ReturnedLog[] out = new Op.ReturnedLog[ok.logs().size()];
                for (int i = 0; i < out.length; i++) {
                    out[i] = shared(ok.logs().get(i));
                }
                v = new Op.Query(q.from(), q.to(), q.addresses(), q.topics(), box(ok.head()), List.of(out), null,
                        q.finalRead());
            } else {
                v = new Op.Query(q.from(), q.to(), q.addresses(), q.topics(), null, null, error, q.finalRead());
            }
        }
        add(new Op(index, o.time(), o.process(), o.type(), o.f(), v));
    }

    /**
     * A returned log, sharing the strings of the published log it is identical to, so millions of returned logs cost
     * no string memory; otherwise (damaged, phantom, not yet published) it keeps its own.
     */
    private Op.ReturnedLog shared(Op.ReturnedLog r) {
        if (r.address() == null && r.fingerprint() != null) {
            return resolve(r.block(), r.index(), r.fingerprint());
        }
        List<Op.Block> known = versionsByNumber.get(r.block());
        if (known != null) {
            for (Op.Block b : known) {
                Op.Log p = logAt(b, r.index());
                if (p != null && p.address().equals(r.address()) && java.util.Objects.equals(p.data(), r.data())
                        && p.topics().equals(r.topics())) {
                    String txHash = r.txHash() != null && r.txHash().equals(p.txHash()) ? p.txHash() : r.txHash();
                    String blockHash = r.blockHash() != null && r.blockHash().equals(b.hash()) ? b.hash()
                            : r.blockHash();
                    return new Op.ReturnedLog(r.block(), r.index(), box(r.tx()), txHash, blockHash, p.address(),
                            p.topics(), p.data());
                }
            }
        }
        return r;
    }

    /** The shared instance of a block version; a different block under a known number and hash breaks the format. */
    private Op.Block version(Op.Block block, Where bw) {
        VersionKey key = new VersionKey(block.number(), block.hash());
        Op.Block known = versions.putIfAbsent(key, block);
        if (known == null) {
            versionLine.put(key, line);
            versionsByNumber.computeIfAbsent(block.number(), k -> new ArrayList<>(1)).add(block);
            return block;
        }
        if (!known.equals(block)) {
            throw bad(bw + ": block " + block.number() + " with hash " + block.hash() + " has different contents than "
                    + "at line " + versionLine.get(key) + " (blocks of the same number and hash must be identical)");
        }
        return known;
    }

    private void op(JsonNode n) {
        long index = integer(n, "index", Where.of("operation"));
        if (index != count) {
            throw bad("index " + index + " where " + count + " was expected (indexes are 0, 1, 2 ... in file "
                    + "order, no gaps)");
        }
        long time = integer(n, "time", Where.operation(index));
        if (time < 0) {
            throw bad("operation " + index + ": time must be >= 0, found " + time);
        }
        if (time < lastTime) {
            throw bad("operation " + index + ": time " + time + " is before the previous operation's time "
                    + lastTime + " (time must be non-decreasing in file order)");
        }
        lastTime = time;
        JsonNode p = n.get("process");
        int process;
        if (p != null && p.isTextual() && "nemesis".equals(p.textValue())) {
            process = Op.NEMESIS;
        } else if (p != null && p.isIntegralNumber() && p.canConvertToInt() && p.asInt() >= 0) {
            process = p.asInt();
        } else {
            throw bad("operation " + index + ": process must be a non-negative integer or \"nemesis\", found " + p);
        }
        JsonNode t = n.get("type");
        Op.Type type;
        try {
            type = Op.Type.valueOf(t == null || !t.isTextual() ? "?" : t.textValue().toUpperCase());
        } catch (IllegalArgumentException e) {
            throw bad("operation " + index + ": type must be invoke, ok, fail or info, found " + t);
        }
        if (t.textValue().chars().anyMatch(Character::isUpperCase)) {
            throw bad("operation " + index + ": type must be invoke, ok, fail or info, found " + t);
        }
        String f = canonicalF(rawString(n, "f", Where.operation(index)));
        JsonNode value = n.get("value");
        if (value != null && !value.isNull() && !value.isObject()) {
            throw bad("operation " + index + ": value must be an object, found " + value);
        }
        if (value == null || value.isNull()) {
            value = JsonNodeFactory.instance.objectNode();
        }
        Where where = Where.op(f, type.wire(), index);
        if (process == Op.NEMESIS) {
            if (type == Op.Type.OK || type == Op.Type.FAIL) {
                throw bad(where + ": a nemesis operation is an invoke followed by an info, or a lone info");
            }
            add(new Op((int) index, time, process, type, f, new Op.Nemesis(value.toString())));
            return;
        }
        if (!f.equals("acquire") && !f.equals("publish") && !f.equals("query")) {
            throw bad(where + ": a client operation's f must be acquire, publish or query");
        }
        if (type == Op.Type.INVOKE) {
            if (retired.contains(process)) {
                throw bad(where + ": process " + process + " ended in info and must not be used again");
            }
            Op open = outstanding.get(process);
            if (open != null) {
                throw bad(where + ": a second invoke while operation " + open.index() + " (line "
                        + outstandingLine.get(process) + ") of process " + process + " is outstanding");
            }
            Op op = new Op((int) index, time, process, type, f, invokeValue(f, value, where));
            outstanding.put(process, op);
            outstandingLine.put(process, line);
            add(op);
            return;
        }
        Op invoke = outstanding.remove(process);
        if (invoke == null) {
            throw bad(where + ": a completion with no invoke (process " + process + " has no outstanding operation)");
        }
        outstandingLine.remove(process);
        if (!invoke.f().equals(f)) {
            throw bad(where + ": completes operation " + invoke.index() + " whose f is " + invoke.f());
        }
        if (type == Op.Type.INFO) {
            retired.add(process);
        }
        add(new Op((int) index, time, process, type, f, completionValue(invoke.value(), type, value, where)));
    }

    private Op.Value invokeValue(String f, JsonNode v, Where where) {
        return switch (f) {
            case "acquire" -> new Op.Acquire(string(v, "writer", where), null, null);
            case "publish" -> new Op.Publish(string(v, "writer", where), integer(v, "epoch", where), blocks(v, where),
                    null, null);
            default -> query(v, where);
        };
    }

    private Op.Value completionValue(Op.Value args, Op.Type type, JsonNode v, Where where) {
        String error = type == Op.Type.OK ? null : rawOptString(v, "error", where);
        if (args instanceof Op.Acquire a) {
            return new Op.Acquire(a.writer(), type == Op.Type.OK ? integer(v, "epoch", where) : null, error);
        }
        if (args instanceof Op.Publish p) {
            return new Op.Publish(p.writer(), p.epoch(), p.blocks(), type == Op.Type.OK ? integer(v, "head", where)
                    : null, error);
        }
        Op.Query q = (Op.Query) args;
        if (type != Op.Type.OK) {
            return new Op.Query(q.from(), q.to(), q.addresses(), q.topics(), null, null, error, q.finalRead());
        }
        if (!v.has("head")) {
            throw bad(where + ": field 'head' is required (an integer, or null before the first publish)");
        }
        Long head = optInteger(v, "head", where);
        JsonNode logs = v.get("logs");
        JsonNode refs = v.get("logRefs");
        if (logs != null && refs != null) {
            throw bad(where + ": a query answer has 'logs' (full) or 'logRefs' (compact), not both");
        }
        if (refs != null) {
            return new Op.Query(q.from(), q.to(), q.addresses(), q.topics(), head, logRefs(refs, where), null,
                    q.finalRead());
        }
        if (logs == null || !logs.isArray()) {
            throw bad(where + ": field 'logs' must be an array (or 'logRefs', for a compact answer), found "
                    + (logs == null ? "nothing" : logs));
        }
        List<Op.ReturnedLog> out = new ArrayList<>(logs.size());
        for (int i = 0; i < logs.size(); i++) {
            JsonNode l = logs.get(i);
            Where lw = where.sub(" logs[", i, "]");
            if (!l.isObject()) {
                throw bad(lw + " must be an object");
            }
            out.add(returned(l, lw));
        }
        return new Op.Query(q.from(), q.to(), q.addresses(), q.topics(), head, List.copyOf(out), null,
                q.finalRead());
    }

    /** A compact answer: {@code [block, index, fingerprint]} per returned log, each resolved against what is known. */
    private List<Op.ReturnedLog> logRefs(JsonNode refs, Where where) {
        if (!refs.isArray()) {
            throw bad(where + ": field 'logRefs' must be an array of [block, index, fingerprint], found " + refs);
        }
        Op.ReturnedLog[] out = new Op.ReturnedLog[refs.size()];
        for (int i = 0; i < out.length; i++) {
            JsonNode r = refs.get(i);
            Where rw = where.sub(" logRefs[", i, "]");
            if (!r.isArray() || r.size() != 3 || !r.get(0).canConvertToLong() || !r.get(0).isIntegralNumber()
                    || !r.get(1).isIntegralNumber() || !r.get(1).canConvertToInt() || !r.get(2).isTextual()) {
                throw bad(rw + " must be [block, index, fingerprint] (two integers and a string), found " + r);
            }
            if (!io.fli.checker.Fingerprint.wellFormed(r.get(2).asText())) {
                throw bad(rw + ": fingerprint '" + r.get(2).asText() + "' is not 16 lowercase hex digits");
            }
            out[i] = resolve(r.get(0).asLong(), r.get(1).asInt(), r.get(2).asText());
        }
        return List.of(out);
    }

    /**
     * A compactly recorded log: the published version of its block whose log at {@code index} has this fingerprint
     * (computed with that version's hash), else an unresolved log that keeps only its position and fingerprint.
     */
    public Op.ReturnedLog resolve(long block, int index, String fingerprint) {
        List<Op.Block> known = versionsByNumber.get(block);
        if (known != null) {
            for (Op.Block b : known) {
                Op.Log p = logAt(b, index);
                if (p != null && fingerprint.equals(io.fli.checker.Fingerprint.of(p.address(), p.topics(), p.data(),
                        p.tx(), p.txHash(), b.hash()))) {
                    return new Op.ReturnedLog(block, index, box(p.tx()), p.txHash(), b.hash(), p.address(),
                            p.topics(), p.data(), fingerprint);
                }
            }
        }
        return new Op.ReturnedLog(block, index, null, null, null, null, List.of(), null, fingerprint.intern());
    }

    /**
     * Forgets the versions of block {@code number} (the streaming checker keeps it elsewhere now): returned logs of
     * it are no longer resolved or shared here, and a later publish of it is not compared with them (the streaming
     * checker hands such a history to the batch checker, which reads every line again).
     */
    public void forget(long number) {
        List<Op.Block> known = versionsByNumber.remove(number);
        if (known != null) {
            for (Op.Block b : known) {
                VersionKey k = new VersionKey(number, b.hash());
                versions.remove(k);
                versionLine.remove(k);
            }
        }
    }

    /** A returned log, read from its tree, then sharing a published log's strings when it is identical. */
    private Op.ReturnedLog returned(JsonNode l, Where lw) {
        long block = integer(l, "block", lw);
        int index = (int) integer(l, "index", lw);
        String address = rawString(l, "address", lw);
        JsonNode t = l.get("topics");
        String data = rawOptString(l, "data", lw);
        return shared(new Op.ReturnedLog(block, index, optInteger(l, "tx", lw), rawOptString(l, "txHash", lw),
                rawOptString(l, "blockHash", lw), intern(address), strings(t, lw.sub(".topics")), data));
    }

    static Op.Log logAt(Op.Block b, int index) {
        List<Op.Log> logs = b.logs();
        if (index >= 0 && index < logs.size() && logs.get(index).index() == index) {
            return logs.get(index);
        }
        for (Op.Log l : logs) {
            if (l.index() == index) {
                return l;
            }
        }
        return null;
    }

    private String rawString(JsonNode parent, String field, Where where) {
        JsonNode v = parent.get(field);
        if (v == null || !v.isTextual()) {
            throw bad(where + ": field '" + field + "' must be a string, found " + (v == null ? "nothing" : v));
        }
        return v.textValue();
    }

    private String rawOptString(JsonNode parent, String field, Where where) {
        JsonNode v = parent.get(field);
        return v == null || v.isNull() ? null : rawString(parent, field, where);
    }

    private Op.Query query(JsonNode v, Where where) {
        Long from = optInteger(v, "from", where);
        Long to = optInteger(v, "to", where);
        List<String> addresses = strings(v.get("addresses"), where.sub(".addresses"));
        JsonNode t = v.get("topics");
        List<List<String>> topics = new ArrayList<>();
        if (t != null && !t.isNull()) {
            if (!t.isArray()) {
                throw bad(where + ".topics must be an array, found " + t);
            }
            for (int i = 0; i < t.size(); i++) {
                JsonNode pos = t.get(i);
                topics.add(pos.isNull() ? null : strings(pos, where.sub(".topics[", i, "]")));
            }
        }
        JsonNode fin = v.get("final");
        if (fin != null && !fin.isNull() && !fin.isBoolean()) {
            throw bad(where + ": field 'final' must be true or false, found " + fin);
        }
        return new Op.Query(from, to, addresses, topics.isEmpty() ? List.of()
                : Collections.unmodifiableList(topics), null, null, null, fin != null && fin.asBoolean(false));
    }

    private List<Op.Block> blocks(JsonNode v, Where where) {
        JsonNode bs = v.get("blocks");
        if (bs == null || !bs.isArray() || bs.isEmpty()) {
            throw bad(where + ": field 'blocks' must be a non-empty array, found " + (bs == null ? "nothing" : bs));
        }
        List<Op.Block> out = new ArrayList<>(bs.size());
        for (int i = 0; i < bs.size(); i++) {
            JsonNode b = bs.get(i);
            Where bw = where.sub(" blocks[", i, "]");
            if (!b.isObject()) {
                throw bad(bw + " must be an object");
            }
            long number = integer(b, "number", bw);
            if (i > 0 && number != out.get(i - 1).number() + 1) {
                throw bad(bw + ": block " + number + " follows block " + out.get(i - 1).number()
                        + " (a publish carries contiguous block numbers)");
            }
            String hash = rawString(b, "hash", bw); // unique per block: not worth interning
            JsonNode logs = b.get("logs");
            if (logs == null || !logs.isArray()) {
                throw bad(bw + ": field 'logs' must be an array");
            }
            List<Op.Log> ls = new ArrayList<>(logs.size());
            Set<Integer> seen = new HashSet<>();
            for (int j = 0; j < logs.size(); j++) {
                JsonNode l = logs.get(j);
                Where lw = bw.sub(".logs[", j, "]");
                if (!l.isObject()) {
                    throw bad(lw + " must be an object");
                }
                int idx = (int) integer(l, "index", lw);
                if (!seen.add(idx)) {
                    throw bad(lw + ": log index " + idx + " appears twice in block " + number);
                }
                ls.add(new Op.Log(idx, optInteger(l, "tx", lw), rawOptString(l, "txHash", lw), string(l, "address", lw),
                        strings(l.get("topics"), lw.sub(".topics")), rawOptString(l, "data", lw)));
            }
            ls.sort((x, y) -> Integer.compare(x.index(), y.index()));
            out.add(version(new Op.Block(number, hash, List.copyOf(ls)), bw));
        }
        return List.copyOf(out);
    }
}
