package io.fli.checker;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class CheckerRobustnessTest {

    private static List<Checker.Detector> withBrokenFailClosedDetector() {
        List<Checker.Detector> ds = new ArrayList<>();
        for (Checker.Detector d : Checker.DETECTORS) {
            if (d.covers().contains(Invariant.FAIL_CLOSED)) {
                ds.add(new Checker.Detector(d.covers(), (a, out) -> {
                    throw new IllegalStateException("boom");
                }));
            } else {
                ds.add(d);
            }
        }
        return ds;
    }

    @Test
    void aDetectorThatThrowsMakesOnlyItsInvariantUnknown() throws Exception {
        Path valid = GoldenHistoryTest.dir("valid").resolve("restart.jsonl");
        CheckResult r = Checker.check(History.read(valid), withBrokenFailClosedDetector());
        assertThat(r.invariants().get(Invariant.FAIL_CLOSED).valid()).isEqualTo(Validity.UNKNOWN);
        assertThat(r.invariants().get(Invariant.FAIL_CLOSED).error()).contains("IllegalStateException: boom");
        assertThat(r.invariants().get(Invariant.SINGLE_WRITER).valid()).isEqualTo(Validity.VALID);
        assertThat(r.valid()).isEqualTo(Validity.UNKNOWN);
        assertThat(Reports.json(r).get("valid").asText()).isEqualTo("unknown");
        assertThat(Reports.text(r)).contains("fail-closed", "unknown: IllegalStateException: boom");
        assertThat(Checking.exitCode(r)).isEqualTo(1);
    }

    @Test
    void anInvalidVerdictElsewhereStillWinsOverUnknown() throws Exception {
        Path invalid = GoldenHistoryTest.dir("invalid").resolve("snapshot-consistent--stale-read-after-acknowledged-publish.jsonl");
        CheckResult r = Checker.check(History.read(invalid), withBrokenFailClosedDetector());
        assertThat(r.valid()).isEqualTo(Validity.INVALID);
        assertThat(r.invariants().get(Invariant.SNAPSHOT_CONSISTENT).anomalies()).isEqualTo(1);
    }

    @Test
    void validityMergeKeepsTheWorst() {
        assertThat(Validity.VALID.merge(Validity.UNKNOWN)).isEqualTo(Validity.UNKNOWN);
        assertThat(Validity.UNKNOWN.merge(Validity.INVALID)).isEqualTo(Validity.INVALID);
        assertThat(Validity.INVALID.merge(Validity.VALID)).isEqualTo(Validity.INVALID);
        assertThat(Validity.VALID.merge(Validity.VALID)).isEqualTo(Validity.VALID);
    }

    @Test
    void theResultObjectFollowsTheFormatDocument() throws Exception {
        Path invalid = GoldenHistoryTest.dir("invalid").resolve("snapshot-consistent--stale-read-after-acknowledged-publish.jsonl");
        var json = Reports.json(Checking.check(invalid));
        assertThat(json.get("valid").asBoolean(true)).isFalse();
        assertThat(json.get("anomalies").get(0).get("invariant").asText()).isEqualTo("snapshot-consistent");
        assertThat(json.get("anomalies").get(0).get("ops").toString()).isEqualTo("[3,5]");
        assertThat(json.get("anomalies").get(0).get("explanation").asText())
                .isEqualTo("query 5 returned head 1 after publish 3 was acknowledged at head 2 (a stale read)");
        assertThat(json.get("stats").get("ops").asLong()).isEqualTo(6);
        assertThat(json.get("stats").get("by_f").get("publish").get("ok").asLong()).isEqualTo(1);
        assertThat(json.get("test").get("name").asText()).isEqualTo("x");
    }
}
