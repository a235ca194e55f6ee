package io.fli.engine;

/**
 * A log returned by a query, with the block that holds it.
 *
 * @param block     the block number
 * @param blockHash the block hash
 * @param log       the log as it was published
 */
public record MatchedLog(long block, String blockHash, Log log) {
}
