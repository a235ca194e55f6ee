package io.fli.engine;

import java.util.List;

/**
 * What one GC pass did.
 *
 * @param referenced    blobs the current state references (kept)
 * @param tooYoung      unreferenced blobs kept because they are younger than the grace period: the GC backlog left
 *                      after this pass
 * @param deleted       the keys deleted
 * @param tooYoungBytes the bytes of the {@code tooYoung} blobs
 * @param deletedBytes  the bytes of the deleted blobs
 */
public record GcReport(int referenced, int tooYoung, List<String> deleted, long tooYoungBytes, long deletedBytes) {
    public GcReport {
        deleted = List.copyOf(deleted);
    }

    /** A report without byte counts. */
    public GcReport(int referenced, int tooYoung, List<String> deleted) {
        this(referenced, tooYoung, deleted, 0, 0);
    }
}
