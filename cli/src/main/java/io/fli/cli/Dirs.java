package io.fli.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Folders the commands create and remove. */
final class Dirs {
    private Dirs() {
    }

    /** Deletes {@code dir} and everything under it (nothing if it does not exist). */
    static void delete(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (var paths = Files.walk(dir)) {
            for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
