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

    /**
     * The secret {@code name}: the contents of the file {@code NAME_FILE} names (trailing newline stripped) when it is
     * set, else the variable {@code NAME}, else null. An unreadable or empty file is an error naming the variable and
     * the file, never the secret.
     */
    static String value(Map<String, String> env, String name) {
        String file = env.get(name + "_FILE");
        if (file != null && !file.isBlank()) {
            String v;
            try {
                v = Files.readString(Path.of(file)).strip();
            } catch (IOException e) {
                throw new UncheckedIOException(name + "_FILE names " + file + ", which cannot be read ("
                        + e.getClass().getSimpleName() + ")", e);
            }
            if (v.isEmpty()) {
                throw new IllegalArgumentException(name + "_FILE names " + file + ", which is empty");
            }
            return v;
        }
        return env.get(name);
    }

    /**
     * Writes {@code text} to {@code file} readable and writable by the owner only (0600), created so from the start
     * (never briefly world-readable), replacing what was there.
     */
    static void writePrivate(Path file, String text) throws IOException {
        Files.deleteIfExists(file);
        java.util.Set<java.nio.file.attribute.PosixFilePermission> owner =
                java.nio.file.attribute.PosixFilePermissions.fromString("rw-------");
        try {
            Files.createFile(file, java.nio.file.attribute.PosixFilePermissions.asFileAttribute(owner));
        } catch (UnsupportedOperationException notPosix) {
            Files.createFile(file);
        }
        Files.writeString(file, text);
    }

    /**
     * Makes {@code path} owner-only: 0700 for a folder, 0600 for a file. On a file system without POSIX permissions
     * it is left as it is (the secrets written with {@link #writePrivate} are still created owner-only where possible).
     */
    static void ownerOnly(Path path) throws IOException {
        try {
            Files.setPosixFilePermissions(path, java.nio.file.attribute.PosixFilePermissions.fromString(
                    Files.isDirectory(path) ? "rwx------" : "rw-------"));
        } catch (UnsupportedOperationException notPosix) {
            // not a POSIX file system
        }
    }
}
