package io.fli.engine;

/**
 * The outcome of a successful publish.
 *
 * @param head          the finalized head after the publish (query-visible)
 * @param blocksIndexed how many of the batch's blocks were new (the rest were already indexed with the same hash)
 * @param logsIndexed   how many logs those new blocks carried
 * @param merged        how many segments the same state change replaced by merged ones (finished merges folded in)
 */
public record PublishResult(long head, int blocksIndexed, long logsIndexed, int merged) {
    public PublishResult(long head, int blocksIndexed, long logsIndexed) {
        this(head, blocksIndexed, logsIndexed, 0);
    }
}
