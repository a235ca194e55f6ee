package io.fli.checker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Saved histories with their expected verdicts: valid ones, one invalid history per rule, and format errors. */
class GoldenHistoryTest {

    static Path dir(String name) throws URISyntaxException {
        return Path.of(GoldenHistoryTest.class.getResource("/golden/" + name).toURI());
    }

    static Stream<Path> files(String name) throws Exception {
        try (Stream<Path> s = Files.list(dir(name))) {
            return s.filter(p -> p.toString().endsWith(".jsonl")).sorted().toList().stream();
        }
    }

    static Stream<Path> valid() throws Exception {
        return files("valid");
    }

    static Stream<Path> invalid() throws Exception {
        return files("invalid");
    }

    static Stream<Path> format() throws Exception {
        return files("format");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("valid")
    void validHistoriesHaveNoAnomalies(Path file) throws IOException {
        CheckResult r = Checking.check(file);
        assertThat(r.anomalies()).as(Reports.text(r)).isEmpty();
        assertThat(r.valid()).isEqualTo(Validity.VALID);
        assertThat(Checking.exitCode(r)).isZero();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("invalid")
    void eachInvalidHistoryIsFlaggedUnderExactlyItsInvariant(Path file) throws IOException {
        String expected = file.getFileName().toString().split("--")[0];
        CheckResult r = Checking.check(file);
        Set<String> found = r.anomalies().stream().map(a -> a.invariant().wire()).collect(Collectors.toSet());
        assertThat(found).as(Reports.text(r)).containsExactly(expected);
        assertThat(r.valid()).isEqualTo(Validity.INVALID);
        assertThat(Checking.exitCode(r)).isEqualTo(1);
        assertThat(r.anomalies()).allSatisfy(a -> {
            assertThat(a.ops()).isNotEmpty();
            assertThat(a.explanation()).isNotBlank();
            for (int op : a.ops()) {
                assertThat(a.explanation()).contains(String.valueOf(op));
            }
        });
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("format")
    void formatErrorsNameTheLineAndTheRule(Path file) throws Exception {
        JsonNode expected = new ObjectMapper().readTree(dir("format").resolve("expected-messages.json").toFile());
        String name = file.getFileName().toString().replace(".jsonl", "");
        assertThat(expected.has(name)).as("expected message for " + name).isTrue();
        assertThatThrownBy(() -> History.read(file)).isInstanceOf(HistoryFormatException.class)
                .hasMessageContaining(expected.get(name).asText());
    }
}
