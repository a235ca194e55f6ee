package io.fli.cli;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;

/** Checks of option values, each failing with one line that names the option, the value and what is expected. */
final class Inputs {
    private static final Pattern DURATION = Pattern.compile("(\\d+)(ms|s|m|h)");

    private Inputs() {
    }

    static CommandLine.ParameterException bad(CommandSpec spec, String message) {
        return new CommandLine.ParameterException(spec.commandLine(), message);
    }

    /** {@code value} of option {@code name}, which must be at least {@code min}. */
    static long atLeast(CommandSpec spec, String name, long value, long min) {
        if (value < min) {
            throw bad(spec, name + " must be at least " + min + ", got " + value);
        }
        return value;
    }

    /** {@code --warm-segment-mb} (fli serve, fli slo): 0..1,048,576 MB; returns the bound in bytes. */
    static long warmSegmentBytes(CommandSpec spec, long mb) {
        if (mb < 0 || mb > 1 << 20) {
            throw bad(spec, "--warm-segment-mb must be 0.." + (1 << 20) + ", got " + mb);
        }
        return mb << 20;
    }

    /** {@code --read-lease-ms}: 0 (no read leases) up to the longest lease a holder grants. */
    static long readLeaseMs(CommandSpec spec, long ms) {
        if (ms < 0 || ms > io.fli.engine.LogIndex.MAX_READ_LEASE_MS) {
            throw bad(spec, "--read-lease-ms must be 0.." + io.fli.engine.LogIndex.MAX_READ_LEASE_MS + ", got " + ms);
        }
        return ms;
    }

    /** {@code value} of {@code --segment-format}: a segment format this build writes (2 to 5). */
    static int segmentFormat(CommandSpec spec, int value) {
        if (value < 2 || value > 5) {
            throw bad(spec, "--segment-format must be 2, 3, 4 or 5, got " + value);
        }
        return value;
    }

    /** A positive duration like {@code 30s}, {@code 500ms}, {@code 5m} or {@code 24h}. */
    static Duration duration(CommandSpec spec, String name, String text) {
        String t = text == null ? "" : text.trim().toLowerCase();
        Matcher m = DURATION.matcher(t);
        if (!m.matches()) {
            throw bad(spec, name + " '" + text + "' is not a duration like 30s, 500ms, 5m or 24h"
                    + (t.startsWith("-") ? " (it must be positive)" : ""));
        }
        long n;
        try {
            n = Long.parseLong(m.group(1));
        } catch (NumberFormatException e) {
            throw bad(spec, name + " '" + text + "' is too large");
        }
        Duration d = switch (m.group(2)) {
            case "ms" -> Duration.ofMillis(n);
            case "s" -> Duration.ofSeconds(n);
            case "m" -> Duration.ofMinutes(n);
            default -> Duration.ofHours(n);
        };
        if (d.isZero()) {
            throw bad(spec, name + " must be positive, got " + text + " (a run that does nothing would report VALID)");
        }
        return d;
    }
}
