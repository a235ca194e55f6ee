package io.fli.checker;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fli.checker.internal.HistoryParser;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.function.LongSupplier;

/**
 * Records a history as it happens: every operation is one line, written with one write call and flushed, so a run
 * killed midway leaves a valid, checkable prefix (operations still outstanding are simply incomplete). Thread-safe.
 *
 * <p>It refuses to write a line that would break format v1 (a second invoke on a busy process, a completion with
 * no invoke, a process reused after {@code info}) by throwing {@link IllegalStateException}.
 */
public final class HistoryWriter implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final OutputStream out;
    private final java.util.function.Consumer<String> tee;
    private final LongSupplier nanos;
    private final long start;
    private final Map<Integer, String> outstanding = new HashMap<>();
    private final Set<Integer> retired = new HashSet<>();
    private int next;
    private long lastTime;

    /**
     * @param out   where lines go (closed by {@link #close()})
     * @param test  the header's free-form {@code test} object (name, seed, configuration)
     * @param nanos a nanosecond clock; times are written relative to its value now
     */
    public HistoryWriter(OutputStream out, JsonNode test, LongSupplier nanos) {
        this(out, test, nanos, false);
    }

    /**
     * @param compact the header declares the compact form ({@code "compact":1}, {@code docs/history-format.md}):
     *                the writer's caller records answers as {@code logRefs} and completions without arguments
     */
    public HistoryWriter(OutputStream out, JsonNode test, LongSupplier nanos, boolean compact) {
        this(out, test, nanos, compact, line -> { });
    }

    /**
     * @param tee gets every line written (header included, without its newline), in file order, right after it is
     *            written: a live check reading the history as it grows ({@link IncrementalChecker.Live#offer})
     */
    public HistoryWriter(OutputStream out, JsonNode test, LongSupplier nanos, boolean compact,
                         java.util.function.Consumer<String> tee) {
        this.tee = tee;
        this.out = out;
        this.nanos = nanos;
        this.start = nanos.getAsLong();
        ObjectNode h = JSON.createObjectNode();
        h.put("format", HistoryParser.FORMAT);
        h.put("version", 1);
        if (compact) {
            h.put("compact", HistoryParser.COMPACT_VERSION);
        }
        h.set("test", test == null ? JSON.createObjectNode() : test);
        write(h);
    }

    /** A writer appending to {@code file} (created or truncated), timed by {@link System#nanoTime()}. */
    public static HistoryWriter create(Path file, JsonNode test) throws IOException {
        return create(file, test, System::nanoTime);
    }

    /** A writer appending to {@code file} (created or truncated), timed by {@code nanos} (a simulation's clock). */
    public static HistoryWriter create(Path file, JsonNode test, LongSupplier nanos) throws IOException {
        return new HistoryWriter(new FileOutputStream(file.toFile()), test, nanos);
    }

    /** Records the invoke of a client operation; returns its index. */
    public synchronized int invoke(int process, String f, JsonNode value) {
        if (process < 0) {
            throw new IllegalArgumentException("client processes are non-negative, got " + process);
        }
        if (retired.contains(process)) {
            throw new IllegalStateException("process " + process + " ended in info and must not be used again");
        }
        if (outstanding.containsKey(process)) {
            throw new IllegalStateException("process " + process + " already has an outstanding " + outstanding.get(process));
        }
        // Record the state only once the line is on disk, so a failed write leaves the writer consistent.
        int index = line(JsonNodeFactory.instance.numberNode(process), "invoke", f, value);
        outstanding.put(process, f);
        return index;
    }

    /** Records the completion ({@code ok}, {@code fail} or {@code info}) of a process's outstanding operation. */
    public synchronized int complete(int process, Op.Type type, JsonNode value) {
        if (type == Op.Type.INVOKE) {
            throw new IllegalArgumentException("a completion is ok, fail or info");
        }
        String f = outstanding.get(process);
        if (f == null) {
            throw new IllegalStateException("process " + process + " has no outstanding operation to complete");
        }
        int index = line(JsonNodeFactory.instance.numberNode(process), type.wire(), f, value);
        outstanding.remove(process);
        if (type == Op.Type.INFO) {
            retired.add(process);
        }
        return index;
    }

    /** Records a nemesis operation: {@code invoke} or {@code info}. */
    public synchronized int nemesis(Op.Type type, String f, JsonNode value) {
        if (type != Op.Type.INVOKE && type != Op.Type.INFO) {
            throw new IllegalArgumentException("a nemesis operation is invoke or info");
        }
        return line(JsonNodeFactory.instance.textNode("nemesis"), type.wire(), f, value);
    }

    private int line(JsonNode process, String type, String f, JsonNode value) {
        long t = Math.max(lastTime, nanos.getAsLong() - start);
        lastTime = t;
        ObjectNode n = JSON.createObjectNode();
        n.put("index", next);
        n.put("time", t);
        n.set("process", process);
        n.put("type", type);
        n.put("f", f);
        n.set("value", value == null ? JSON.createObjectNode() : value);
        write(n);
        return next++;
    }

    private void write(JsonNode n) {
        try {
            String text = JSON.writeValueAsString(n);
            out.write((text + "\n").getBytes(StandardCharsets.UTF_8));
            out.flush();
            tee.accept(text);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        } catch (IOException e) {
            throw new UncheckedIOException("writing the history", e);
        }
    }

    @Override
    public synchronized void close() throws IOException {
        out.close();
    }
}
