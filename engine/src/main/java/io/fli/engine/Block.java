package io.fli.engine;

import java.util.List;

/**
 * A finalized block.
 *
 * @param number     the block number, {@code >= 0}
 * @param hash       the block hash (opaque, non-empty)
 * @param parentHash the parent's hash, or {@code null} when the source does not provide it; when present it must
 *                   equal the hash of the block indexed just before
 * @param logs       the block's logs; their {@link Log#index()} values are unique within the block
 */
public record Block(long number, String hash, String parentHash, List<Log> logs) {
    public Block {
        logs = logs == null ? List.of() : List.copyOf(logs);
    }

    public Block(long number, String hash, List<Log> logs) {
        this(number, hash, null, logs);
    }
}
