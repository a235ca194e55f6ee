package io.fli.checker.internal;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import io.fli.checker.Op;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The fast path for client operation lines: a streaming parse straight into typed values, with no JSON tree. It
 * accepts only lines that plainly follow the format — the client fields in the expected shapes — and answers
 * {@code null} for anything else (a nemesis line, an unexpected type, a missing or duplicated field, a malformed
 * value), which the parser then reads the ordinary way, so every broken rule is still reported exactly as before.
 * Cross-line rules (index order, time order, outstanding operations, block versions) stay with the validating
 * thread.
 */
final class FastLines {
    private static final JsonFactory FACTORY = new JsonFactory();

    /** One client operation line, parsed. */
    record FastOp(long index, long time, int process, Op.Type type, String f, Value value) {
    }

    /** The parts of a value the checker keeps, by kind of operation. */
    sealed interface Value permits AcquireInvoke, AcquireDone, PublishInvoke, PublishDone, QueryInvoke, QueryOk,
            Failed {
    }

    record AcquireInvoke(String writer) implements Value {
    }

    record AcquireDone(long epoch) implements Value {
    }

    record PublishInvoke(String writer, long epoch, List<Op.Block> blocks) implements Value {
    }

    record PublishDone(long head) implements Value {
    }

    record QueryInvoke(Long from, Long to, List<String> addresses, List<List<String>> topics, boolean finalRead)
            implements Value {
    }

    record QueryOk(Long head, List<Op.ReturnedLog> logs) implements Value {
    }

    /** A fail or info completion: its error, or null. */
    record Failed(String error) implements Value {
    }

    /** Thrown inside the fast path when a line needs the ordinary path. */
    private static final class Bail extends Exception {
        static final Bail INSTANCE = new Bail();

        private Bail() {
            super(null, null, false, false);
        }
    }

    private final ConcurrentHashMap<String, String> strings;

    FastLines(ConcurrentHashMap<String, String> strings) {
        this.strings = strings;
    }

    private String intern(String s) {
        String prev = strings.putIfAbsent(s, s);
        return prev != null ? prev : s;
    }

    /** The line as a client operation, or null when it needs the ordinary path. */
    FastOp parse(String line) {
        try (JsonParser p = FACTORY.createParser(line)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                return null;
            }
            long index = -1;
            long time = -1;
            int process = -1;
            Op.Type type = null;
            String f = null;
            Value value = null;
            int seen = 0;
            for (JsonToken t = p.nextToken(); t != JsonToken.END_OBJECT; t = p.nextToken()) {
                if (t != JsonToken.FIELD_NAME) {
                    return null;
                }
                String name = p.currentName();
                JsonToken v = p.nextToken();
                int bit;
                switch (name) {
                    case "index" -> {
                        bit = 1;
                        index = longValue(p, v);
                    }
                    case "time" -> {
                        bit = 2;
                        time = longValue(p, v);
                    }
                    case "process" -> {
                        bit = 4;
                        long x = longValue(p, v);
                        if (x < 0 || x > Integer.MAX_VALUE) {
                            return null;
                        }
                        process = (int) x;
                    }
                    case "type" -> {
                        bit = 8;
                        type = type(p, v);
                    }
                    case "f" -> {
                        bit = 16;
                        if (v != JsonToken.VALUE_STRING) {
                            return null;
                        }
                        f = switch (p.getText()) {
                            case "acquire" -> "acquire";
                            case "publish" -> "publish";
                            case "query" -> "query";
                            default -> throw Bail.INSTANCE;
                        };
                    }
                    case "value" -> {
                        bit = 32;
                        if (f == null || type == null || v != JsonToken.START_OBJECT) {
                            return null; // value before f and type (legal, but not the fast path's business)
                        }
                        value = value(p, f, type);
                    }
                    default -> {
                        bit = 0;
                        p.skipChildren();
                    }
                }
                seen = mark(seen, bit); // a duplicated field goes to the tree path
            }
            if (seen != 63 || p.nextToken() != null) {
                return null;
            }
            return new FastOp(index, time, process, type, f, value);
        } catch (IOException | Bail | RuntimeException e) {
            return null;
        }
    }

    private static long longValue(JsonParser p, JsonToken t) throws IOException, Bail {
        if (t != JsonToken.VALUE_NUMBER_INT || p.getNumberType() == JsonParser.NumberType.BIG_INTEGER) {
            throw Bail.INSTANCE;
        }
        return p.getLongValue();
    }

    private static Long optLong(JsonParser p, JsonToken t) throws IOException, Bail {
        return t == JsonToken.VALUE_NULL ? null : longValue(p, t);
    }

    private static Op.Type type(JsonParser p, JsonToken t) throws IOException, Bail {
        if (t != JsonToken.VALUE_STRING) {
            throw Bail.INSTANCE;
        }
        return switch (p.getText()) {
            case "invoke" -> Op.Type.INVOKE;
            case "ok" -> Op.Type.OK;
            case "fail" -> Op.Type.FAIL;
            case "info" -> Op.Type.INFO;
            default -> throw Bail.INSTANCE;
        };
    }

    private String string(JsonParser p, JsonToken t) throws IOException, Bail {
        if (t != JsonToken.VALUE_STRING) {
            throw Bail.INSTANCE;
        }
        return p.getText();
    }

    private String optString(JsonParser p, JsonToken t) throws IOException, Bail {
        return t == JsonToken.VALUE_NULL ? null : string(p, t);
    }

    /** An array of strings (interned), or the empty list for null. */
    private List<String> strings(JsonParser p, JsonToken t) throws IOException, Bail {
        if (t == JsonToken.VALUE_NULL) {
            return List.of();
        }
        if (t != JsonToken.START_ARRAY) {
            throw Bail.INSTANCE;
        }
        List<String> out = new ArrayList<>(4);
        for (JsonToken e = p.nextToken(); e != JsonToken.END_ARRAY; e = p.nextToken()) {
            out.add(intern(string(p, e)));
        }
        return List.copyOf(out);
    }

    /** The fields of the value object the checker keeps; others are skipped. */
    private Value value(JsonParser p, String f, Op.Type type) throws IOException, Bail {
        String writer = null;
        Long epoch = null;
        List<Op.Block> blocks = null;
        Long from = null;
        Long to = null;
        List<String> addresses = List.of();
        List<List<String>> topics = List.of();
        boolean hasHead = false;
        Long head = null;
        List<Op.ReturnedLog> logs = null;
        String error = null;
        boolean finalRead = false;
        boolean invoke = type == Op.Type.INVOKE;
        boolean ok = type == Op.Type.OK;
        int seen = 0;
        for (JsonToken t = p.nextToken(); t != JsonToken.END_OBJECT; t = p.nextToken()) {
            String name = p.currentName();
            JsonToken v = p.nextToken();
            int bit = switch (name) {
                case "writer" -> 1;
                case "epoch" -> 2;
                case "blocks" -> 4;
                case "from" -> 8;
                case "to" -> 16;
                case "addresses" -> 32;
                case "topics" -> 64;
                case "head" -> 128;
                case "logs" -> 256;
                case "error" -> 512;
                case "final" -> 1024;
                case "logRefs" -> 2048;
                default -> 0;
            };
            seen = mark(seen, bit);
            if (invoke && f.equals("acquire") && bit == 1) {
                writer = intern(string(p, v));
            } else if (invoke && f.equals("publish") && bit == 1) {
                writer = intern(string(p, v));
            } else if (invoke && f.equals("publish") && bit == 2) {
                epoch = longValue(p, v);
            } else if (invoke && f.equals("publish") && bit == 4) {
                blocks = blocks(p, v);
            } else if (invoke && f.equals("query") && bit == 8) {
                from = optLong(p, v);
            } else if (invoke && f.equals("query") && bit == 16) {
                to = optLong(p, v);
            } else if (invoke && f.equals("query") && bit == 32) {
                addresses = strings(p, v);
            } else if (invoke && f.equals("query") && bit == 64) {
                topics = topics(p, v);
            } else if (invoke && f.equals("query") && bit == 1024) {
                if (v != JsonToken.VALUE_TRUE && v != JsonToken.VALUE_FALSE && v != JsonToken.VALUE_NULL) {
                    throw Bail.INSTANCE;
                }
                finalRead = v == JsonToken.VALUE_TRUE;
            } else if (ok && f.equals("acquire") && bit == 2) {
                epoch = longValue(p, v);
            } else if (ok && !f.equals("acquire") && bit == 128) {
                hasHead = true;
                head = f.equals("publish") ? Long.valueOf(longValue(p, v)) : optLong(p, v);
            } else if (ok && f.equals("query") && bit == 256) {
                if (logs != null) {
                    throw Bail.INSTANCE;
                }
                logs = returned(p, v);
            } else if (ok && f.equals("query") && bit == 2048) {
                if (logs != null) {
                    throw Bail.INSTANCE;
                }
                logs = refs(p, v);
            } else if (!invoke && !ok && bit == 512) {
                error = optString(p, v);
            } else {
                p.skipChildren();
            }
        }
        if (!invoke && !ok) {
            return new Failed(error);
        }
        return switch (f + (invoke ? " invoke" : " ok")) {
            case "acquire invoke" -> new AcquireInvoke(require(writer));
            case "acquire ok" -> new AcquireDone(require(epoch));
            case "publish invoke" -> new PublishInvoke(require(writer), require(epoch), require(blocks));
            case "publish ok" -> new PublishDone(require(head));
            case "query invoke" -> new QueryInvoke(from, to, addresses, topics, finalRead);
            default -> {
                if (!hasHead) {
                    throw Bail.INSTANCE;
                }
                yield new QueryOk(head, require(logs));
            }
        };
    }

    private static <T> T require(T x) throws Bail {
        if (x == null) {
            throw Bail.INSTANCE;
        }
        return x;
    }

    private List<List<String>> topics(JsonParser p, JsonToken t) throws IOException, Bail {
        if (t == JsonToken.VALUE_NULL) {
            return List.of();
        }
        if (t != JsonToken.START_ARRAY) {
            throw Bail.INSTANCE;
        }
        List<List<String>> out = new ArrayList<>(4);
        for (JsonToken e = p.nextToken(); e != JsonToken.END_ARRAY; e = p.nextToken()) {
            out.add(e == JsonToken.VALUE_NULL ? null : strings(p, e));
        }
        return out.isEmpty() ? List.of() : Collections.unmodifiableList(out);
    }

    private List<Op.Block> blocks(JsonParser p, JsonToken t) throws IOException, Bail {
        if (t != JsonToken.START_ARRAY) {
            throw Bail.INSTANCE;
        }
        List<Op.Block> out = new ArrayList<>();
        for (JsonToken e = p.nextToken(); e != JsonToken.END_ARRAY; e = p.nextToken()) {
            if (e != JsonToken.START_OBJECT) {
                throw Bail.INSTANCE;
            }
            Long number = null;
            String hash = null;
            List<Op.Log> logs = null;
            int seen = 0;
            for (JsonToken ft = p.nextToken(); ft != JsonToken.END_OBJECT; ft = p.nextToken()) {
                String name = p.currentName();
                JsonToken v = p.nextToken();
                int bit = switch (name) {
                    case "number" -> 1;
                    case "hash" -> 2;
                    case "logs" -> 4;
                    default -> 0;
                };
                seen = mark(seen, bit);
                switch (bit) {
                    case 1 -> number = longValue(p, v);
                    case 2 -> hash = string(p, v);
                    case 4 -> logs = logs(p, v);
                    default -> p.skipChildren();
                }
            }
            if (seen != 7 || (!out.isEmpty() && number != out.get(out.size() - 1).number() + 1)) {
                throw Bail.INSTANCE;
            }
            out.add(new Op.Block(number, hash, logs));
        }
        if (out.isEmpty()) {
            throw Bail.INSTANCE;
        }
        return List.copyOf(out);
    }

    private List<Op.Log> logs(JsonParser p, JsonToken t) throws IOException, Bail {
        if (t != JsonToken.START_ARRAY) {
            throw Bail.INSTANCE;
        }
        List<Op.Log> out = new ArrayList<>();
        boolean sorted = true;
        for (JsonToken e = p.nextToken(); e != JsonToken.END_ARRAY; e = p.nextToken()) {
            LogFields l = logFields(p, e, false);
            int idx = (int) (long) l.index;
            if (!out.isEmpty()) {
                int prev = out.get(out.size() - 1).index();
                if (idx == prev) {
                    throw Bail.INSTANCE;
                }
                sorted &= idx > prev;
            }
            out.add(new Op.Log(idx, l.tx, l.txHash, l.address, l.topics, l.data));
        }
        if (!sorted) {
            out.sort((x, y) -> Integer.compare(x.index(), y.index()));
            for (int i = 1; i < out.size(); i++) {
                if (out.get(i).index() == out.get(i - 1).index()) {
                    throw Bail.INSTANCE;
                }
            }
        }
        return List.copyOf(out);
    }

    private List<Op.ReturnedLog> returned(JsonParser p, JsonToken t) throws IOException, Bail {
        if (t != JsonToken.START_ARRAY) {
            throw Bail.INSTANCE;
        }
        List<Op.ReturnedLog> out = new ArrayList<>();
        for (JsonToken e = p.nextToken(); e != JsonToken.END_ARRAY; e = p.nextToken()) {
            LogFields l = logFields(p, e, true);
            out.add(new Op.ReturnedLog(l.block, (int) (long) l.index, l.tx, l.txHash, l.blockHash, l.address, l.topics,
                    l.data));
        }
        return out;
    }

    /** A compact answer: {@code [block, index, fingerprint]} per log, left for the parser to resolve. */
    private List<Op.ReturnedLog> refs(JsonParser p, JsonToken t) throws IOException, Bail {
        if (t != JsonToken.START_ARRAY) {
            throw Bail.INSTANCE;
        }
        List<Op.ReturnedLog> out = new ArrayList<>();
        for (JsonToken e = p.nextToken(); e != JsonToken.END_ARRAY; e = p.nextToken()) {
            if (e != JsonToken.START_ARRAY) {
                throw Bail.INSTANCE;
            }
            long block = longValue(p, p.nextToken());
            if (p.nextToken() != JsonToken.VALUE_NUMBER_INT || p.getNumberType() != JsonParser.NumberType.INT) {
                throw Bail.INSTANCE;
            }
            int index = p.getIntValue();
            if (p.nextToken() != JsonToken.VALUE_STRING) {
                throw Bail.INSTANCE;
            }
            String fp = p.getText();
            if (!io.fli.checker.Fingerprint.wellFormed(fp) || p.nextToken() != JsonToken.END_ARRAY) {
                throw Bail.INSTANCE;
            }
            out.add(new Op.ReturnedLog(block, index, null, null, null, null, List.of(), null, fp));
        }
        return out;
    }

    /** The fields of one log object (a returned log's {@code block} and {@code blockHash}). */
    private static final class LogFields {
        Long block;
        Long index;
        Long tx;
        String txHash;
        String blockHash;
        String address;
        List<String> topics = List.of();
        String data;
    }

    private LogFields logFields(JsonParser p, JsonToken e, boolean returned) throws IOException, Bail {
        if (e != JsonToken.START_OBJECT) {
            throw Bail.INSTANCE;
        }
        LogFields l = new LogFields();
        int seen = 0;
        for (JsonToken ft = p.nextToken(); ft != JsonToken.END_OBJECT; ft = p.nextToken()) {
            String name = p.currentName();
            JsonToken v = p.nextToken();
            int bit = switch (name) {
                case "index" -> 1;
                case "address" -> 2;
                case "topics" -> 4;
                case "data" -> 8;
                case "block" -> returned ? 16 : 0;
                case "tx" -> 32;
                case "txHash" -> 64;
                case "blockHash" -> returned ? 128 : 0;
                default -> 0;
            };
            seen = mark(seen, bit);
            switch (bit) {
                case 1 -> l.index = longValue(p, v);
                case 2 -> l.address = intern(string(p, v));
                case 4 -> l.topics = strings(p, v);
                case 8 -> l.data = optString(p, v);
                case 16 -> l.block = longValue(p, v);
                case 32 -> l.tx = optLong(p, v);
                case 64 -> l.txHash = optString(p, v);
                case 128 -> l.blockHash = optString(p, v);
                default -> p.skipChildren();
            }
        }
        if (l.index == null || l.address == null || (returned && l.block == null)) {
            throw Bail.INSTANCE;
        }
        return l;
    }

    /** Marks field {@code bit} as seen; a field seen twice (bit 0: fields not kept) sends the line to the tree path. */
    private static int mark(int seen, int bit) throws Bail {
        if ((seen & bit) != 0) {
            throw Bail.INSTANCE;
        }
        return seen | bit;
    }
}
