package io.fli.engine;

import java.util.List;
import java.util.Optional;

/** Everything stored, to assert that a rejected operation changed nothing. */
record StoreSnapshot(Optional<MetaRecord> state, List<BlobStore.BlobInfo> blobs) {
    static StoreSnapshot of(MetaStore meta, BlobStore blobs) {
        return new StoreSnapshot(meta.get("meta/state"), blobs.list(""));
    }
}
