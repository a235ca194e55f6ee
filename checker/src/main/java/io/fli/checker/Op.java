package io.fli.checker;

import java.util.List;

/**
 * One line of a history after the header.
 *
 * @param index   0, 1, 2 ... in file order
 * @param time    nanoseconds since the test started, non-decreasing
 * @param process a client process ({@code >= 0}) or {@link #NEMESIS}
 * @param type    invoke, ok, fail or info
 * @param f       what the operation does
 * @param value   its arguments (invoke) or arguments plus outcome (completion), typed by {@code f}
 */
public record Op(int index, long time, int process, Type type, String f, Value value) {
    /** The process number used for the nemesis. */
    public static final int NEMESIS = -1;

    /** The four operation types of format v1. */
    public enum Type {
        INVOKE, OK, FAIL, INFO;

        public String wire() {
            return name().toLowerCase();
        }
    }

    public boolean isNemesis() {
        return process == NEMESIS;
    }

    /** An operation's value, by {@code f}. */
    public sealed interface Value permits Acquire, Publish, Query, Nemesis {
    }

    /** {@code acquire}: {@code epoch} on ok; {@code error} on fail/info. */
    public record Acquire(String writer, Long epoch, String error) implements Value {
    }

    /** {@code publish}: the blocks published under {@code epoch}; {@code head} on ok. */
    public record Publish(String writer, long epoch, List<Block> blocks, Long head, String error) implements Value {
    }

    /**
     * {@code query}: the filter; {@code head} and {@code logs} on ok.
     *
     * @param from      lowest block, null for no bound
     * @param to        highest block, null for the head
     * @param addresses OR-list, empty for any
     * @param topics    per position an OR-list, null or empty for any
     * @param finalRead the invoke carried {@code "final": true}: issued after every fault healed, it must end ok
     */
    public record Query(Long from, Long to, List<String> addresses, List<List<String>> topics, Long head,
                        List<ReturnedLog> logs, String error, boolean finalRead) implements Value {
    }

    /** A nemesis operation: its value as written, for the reader; {@code f} gives it meaning. */
    public record Nemesis(String description) implements Value {
    }

    /** A published block. Blocks of the same number and hash have identical contents. */
    public record Block(long number, String hash, List<Log> logs) {
    }

    /** A published log. {@code tx}, {@code txHash} and {@code data} are optional (null). */
    public record Log(int index, Long tx, String txHash, String address, List<String> topics, String data) {
    }

    /**
     * A log as a query returned it. The identity fields {@code tx}, {@code txHash} and {@code blockHash} are optional
     * (null); where present they must equal the published log's (for {@code blockHash}: its block's hash).
     *
     * <p>A log recorded compactly ({@code logRefs}) carries its {@code fingerprint} ({@link Fingerprint}); the parser
     * gives it the contents of the published version whose fingerprint is the same. When none is, it stays
     * {@linkplain #unresolved() unresolved}: {@code address} null, no topics, no data.
     */
    public record ReturnedLog(long block, int index, Long tx, String txHash, String blockHash, String address,
                              List<String> topics, String data, String fingerprint) {
        /** A log recorded in full. */
        public ReturnedLog(long block, int index, Long tx, String txHash, String blockHash, String address,
                           List<String> topics, String data) {
            this(block, index, tx, txHash, blockHash, address, topics, data, null);
        }

        /** A compactly recorded log whose fingerprint matched no published version known when it was returned. */
        public boolean unresolved() {
            return address == null;
        }
    }
}
