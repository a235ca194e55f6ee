package io.fli.engine;

import java.util.List;

/**
 * What one GC pass did.
 *
 * @param referenced   blobs the current state references (kept)
 * @param tooYoung     unreferenced blobs kept because they are younger than the grace period
 * @param deleted      the keys deleted
 */
public record GcReport(int referenced, int tooYoung, List<String> deleted) {
    public GcReport {
        deleted = List.copyOf(deleted);
    }
}
