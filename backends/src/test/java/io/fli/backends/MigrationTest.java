package io.fli.backends;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/**
 * Schema migrations are versioned and run by an operator ({@code fli admin migrate}), never implicitly by the
 * application: connecting to a keyspace whose schema is older refuses with the command to run, and changes nothing.
 */
class MigrationTest {
    @Test
    void theApplicationRefusesAnOutdatedSchemaAndMigrateBringsItCurrent() {
        LocalBackends servers = SharedBackends.get();
        String ks = "migration_" + Long.toHexString(System.nanoTime());
        CqlConfig app = servers.cql(ks).withMigrate(false);
        assertThatThrownBy(() -> ScyllaMetaStore.connect(app))
                .isInstanceOf(ScyllaMetaStore.SchemaOutdatedException.class)
                .hasMessageContaining("keyspace '" + ks + "'")
                .hasMessageContaining("is at version 0, this fli needs version "
                        + ScyllaMetaStore.requiredSchemaVersion())
                .hasMessageContaining("fli admin migrate");
        // The refusal changed nothing: still version 0.
        assertThatThrownBy(() -> ScyllaMetaStore.connect(app))
                .hasMessageContaining("is at version 0");

        int[] versions = ScyllaMetaStore.migrate(app);
        assertThat(versions).containsExactly(0, ScyllaMetaStore.requiredSchemaVersion());
        assertThat(ScyllaMetaStore.migrate(app)).as("idempotent").containsExactly(
                ScyllaMetaStore.requiredSchemaVersion(), ScyllaMetaStore.requiredSchemaVersion());
        try (ScyllaMetaStore m = ScyllaMetaStore.connect(app)) {
            assertThat(m.schemaVersion()).isEqualTo(ScyllaMetaStore.requiredSchemaVersion());
            assertThat(m.putIfAbsent("k", 1, new byte[]{1})).isNotNull();
        }
    }
}
