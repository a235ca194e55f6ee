package io.fli.engine;

import java.util.Arrays;

/**
 * A metadata record as stored: its value plus the two numbers every conditional write is checked against.
 *
 * @param key     the record key, e.g. {@code meta/state}
 * @param version starts at 1 on creation and grows by exactly 1 on every applied compare-and-set
 * @param epoch   the writer epoch that last wrote the record
 * @param value   the encoded value (the engine frames it with a format version and a checksum)
 */
public record MetaRecord(String key, long version, long epoch, byte[] value) {
    @Override
    public boolean equals(Object o) {
        return o instanceof MetaRecord r && key.equals(r.key) && version == r.version && epoch == r.epoch
                && Arrays.equals(value, r.value);
    }

    @Override
    public int hashCode() {
        return key.hashCode() * 31 + Long.hashCode(version);
    }

    @Override
    public String toString() {
        return "MetaRecord[" + key + " v" + version + " epoch " + epoch + ", " + value.length + " bytes]";
    }
}
