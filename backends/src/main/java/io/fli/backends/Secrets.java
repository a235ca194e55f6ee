package io.fli.backends;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/** Secrets come from the environment or from a file a secret manager mounts ({@code NAME_FILE}); never from code. */
final class Secrets {
    private Secrets() {
    }

    static String value(Map<String, String> env, String name) {
        String file = env.get(name + "_FILE");
        if (file != null && !file.isBlank()) {
            try {
                return Files.readString(Path.of(file)).strip();
            } catch (IOException e) {
                throw new UncheckedIOException("reading " + name + "_FILE " + file, e);
            }
        }
        return env.get(name);
    }
}
