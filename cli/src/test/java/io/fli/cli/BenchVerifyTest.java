package io.fli.cli;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fli.engine.Log;
import io.fli.engine.MatchedLog;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The bench compares fli's and SQLite's answers whole: a difference in any field an answer carries fails the run. */
class BenchVerifyTest {
    private static final MatchedLog FLI = new MatchedLog(7, "0xb7", new Log(2, 1, "0xt1", "0xa", List.of("0x1", "0x2"),
            "0xdd"));
    private static final BenchCommand.SqlRow SAME = new BenchCommand.SqlRow(7, "0xb7", 2, 1, "0xt1", "0xa",
            List.of("0x1", "0x2"), "0xdd");

    @Test
    void identicalAnswersPass() {
        assertThatCode(() -> BenchCommand.verifySame("c", List.of(FLI), List.of(SAME))).doesNotThrowAnyException();
    }

    @Test
    void anyDifferingFieldFails() {
        List<BenchCommand.SqlRow> broken = List.of(
                new BenchCommand.SqlRow(8, "0xb7", 2, 1, "0xt1", "0xa", List.of("0x1", "0x2"), "0xdd"),
                new BenchCommand.SqlRow(7, "0xb8", 2, 1, "0xt1", "0xa", List.of("0x1", "0x2"), "0xdd"),
                new BenchCommand.SqlRow(7, "0xb7", 3, 1, "0xt1", "0xa", List.of("0x1", "0x2"), "0xdd"),
                new BenchCommand.SqlRow(7, "0xb7", 2, 0, "0xt1", "0xa", List.of("0x1", "0x2"), "0xdd"),
                new BenchCommand.SqlRow(7, "0xb7", 2, 1, "0xt2", "0xa", List.of("0x1", "0x2"), "0xdd"),
                new BenchCommand.SqlRow(7, "0xb7", 2, 1, "0xt1", "0xb", List.of("0x1", "0x2"), "0xdd"),
                new BenchCommand.SqlRow(7, "0xb7", 2, 1, "0xt1", "0xa", List.of("0x1"), "0xdd"),
                new BenchCommand.SqlRow(7, "0xb7", 2, 1, "0xt1", "0xa", List.of("0x1", "0x2"), null));
        for (BenchCommand.SqlRow row : broken) {
            assertThatThrownBy(() -> BenchCommand.verifySame("c", List.of(FLI), List.of(row)))
                    .as("%s", row).isInstanceOf(IllegalStateException.class).hasMessageContaining("differs");
        }
        assertThatThrownBy(() -> BenchCommand.verifySame("c", List.of(FLI), List.of()))
                .hasMessageContaining("fli returned 1 logs, sqlite 0");
    }
}
