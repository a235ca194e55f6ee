package io.fli.backends;

import java.nio.file.Path;

/**
 * The servers of one test run: started once, on first use, shared by every test class, and stopped when the test
 * JVM exits — also when tests fail.
 */
final class SharedBackends {
    private static LocalBackends backends;

    private SharedBackends() {
    }

    static synchronized LocalBackends get() {
        if (backends == null) {
            Path dir = Path.of(System.getProperty("fli.work", "target/backends"), "run-" + ProcessHandle.current().pid());
            LocalBackends b = new LocalBackends(dir);
            Runtime.getRuntime().addShutdownHook(new Thread(b::close, "fli-backends-stop"));
            backends = b.start();
        }
        return backends;
    }
}
