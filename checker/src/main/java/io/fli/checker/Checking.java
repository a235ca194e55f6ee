package io.fli.checker;

import java.io.IOException;
import java.nio.file.Path;

/**
 * The checker's whole facade: load, check, render.
 *
 * <pre>{@code
 * CheckResult r = Checking.check(Path.of("history.jsonl"));
 * System.out.print(Reports.text(r));
 * }</pre>
 */
public final class Checking {
    private Checking() {
    }

    /** Reads and checks a history file. Throws {@link HistoryFormatException} when the file breaks format v1. */
    public static CheckResult check(Path history) throws IOException {
        return Checker.check(History.read(history));
    }

    /** The process exit code of a verdict: 0 valid, 1 invalid or unknown (2 is for format errors). */
    public static int exitCode(CheckResult r) {
        return r.valid() == Validity.VALID ? 0 : 1;
    }
}
