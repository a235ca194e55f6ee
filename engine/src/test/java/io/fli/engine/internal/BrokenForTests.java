package io.fli.engine.internal;

import io.fli.engine.BlobStore;
import io.fli.engine.IndexConfig;
import io.fli.engine.LogIndex;
import io.fli.engine.MetaStore;

/** The engine's own tests of their power: an index whose writer checks its fence outside the CAS. */
public final class BrokenForTests {
    private BrokenForTests() {
    }

    public static LogIndex fenceOutsideCas(MetaStore meta, BlobStore blobs, IndexConfig config) {
        return new DefaultLogIndex(meta, blobs, config, new Seams() {
            @Override
            boolean fenceOutsideCas() {
                return true;
            }
        });
    }
}
