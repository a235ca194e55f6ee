package io.fli.cli;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** {@code fli serve}'s command line: --follow makes the writer, --no-follow a query-only process. */
class ServeCommandTest {
    private static boolean follows(String... args) {
        ServeCommand c = new ServeCommand();
        new CommandLine(c).parseArgs(args);
        return c.follow;
    }

    @Test
    void followIsTheDefaultAndNoFollowServesQueriesOnly() {
        // Regression: picocli reads a negatable option whose field defaults to true as the opposite of the default,
        // so '--follow' once made a query-only process and '--no-follow' a second writer (found by fli test
        // --readers-via serve: the checker saw logs no publish had written).
        assertThat(follows()).isTrue();
        assertThat(follows("--follow")).isTrue();
        assertThat(follows("--no-follow")).isFalse();
    }
}
