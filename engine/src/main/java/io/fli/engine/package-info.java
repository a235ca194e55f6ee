/**
 * The finalized log index: its whole public contract lives in this package.
 *
 * <h2>Concepts</h2>
 * <ul>
 *   <li><b>Block / Log</b> — a finalized block and its EVM logs, as the upstream component hands them over.
 *       Blocks arrive strictly in order; a block that differs from the one already indexed at its number is a
 *       <i>finality violation</i> and the index fails closed.</li>
 *   <li><b>{@code meta/state}</b> — the single compare-and-set record that is the visibility barrier. It holds the
 *       finalized head, the next log id, the lease holder and the list of index segments. Readers read it once per
 *       query and never look past its head; writers change it only by CAS, and only after every blob it names is
 *       durably stored.</li>
 *   <li><b>Writer epoch</b> — acquiring the writer lease bumps the epoch of {@code meta/state} by CAS. Every later CAS
 *       by that writer carries {@code expectedEpoch} inside its condition, so a writer that lost its lease can never
 *       change the state, even if it was paused between its last read and its write.</li>
 *   <li><b>Log pack</b> — an immutable blob holding the logs of one publish batch in log-id order, with a string
 *       dictionary; a log id is global, 64-bit and dense.</li>
 *   <li><b>Index segment</b> — an immutable blob covering a contiguous block range: the block table (hash, parent
 *       hash, log count), the packs it draws logs from, and one roaring bitmap of segment-local log ids per
 *       <i>stream</i> (an address, or a topic value at one position). Segments are merged tier by tier so that a
 *       query touches few of them; the list of live segments is the manifest carried inside {@code meta/state}.</li>
 *   <li><b>Degraded</b> — any checksum mismatch, finality violation or inconsistency makes the index refuse queries
 *       and ingest ({@link io.fli.engine.DegradedException}) instead of serving damaged data.</li>
 * </ul>
 *
 * <h2>Stores</h2>
 * {@link io.fli.engine.MetaStore} (CQL with lightweight transactions in production) and
 * {@link io.fli.engine.BlobStore} (S3 in production) are the only persistence. Their javadoc states which operations
 * are idempotent and which outcomes are <i>unknown</i>; the engine resolves unknown outcomes by re-reading, never by
 * assuming.
 */
package io.fli.engine;
