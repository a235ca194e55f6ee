package io.fli.checker;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class TimelineTest {

    @Test
    void anomaliesAreListedAndLinkedToTheirOperations() throws Exception {
        History h = History.read(GoldenHistoryTest.dir("invalid")
                .resolve("snapshot-consistent--stale-read-after-acknowledged-publish.jsonl"));
        String html = Timeline.html(h, Checker.check(h));
        assertThat(html).contains("snapshot-consistent", "href=\"#op-3\"", "href=\"#op-5\"", "id=\"op-5\"",
                "class=\"ok bad\"");
    }

    @Test
    void aLongHistoryIsSummarisedAroundItsAnomalies() {
        ModelHistories m = new ModelHistories(11).generate(20_000);
        // Corrupt one query in the middle so there is something to draw.
        var queries = m.lines.stream().filter(n -> n.get("f").asText().equals("query")
                && n.get("type").asText().equals("ok") && !n.get("value").get("logs").isEmpty()).toList();
        var q = queries.get(queries.size() / 2);
        ((com.fasterxml.jackson.databind.node.ArrayNode) q.get("value").get("logs")).remove(0);
        History h = ModelHistories.parse(m.text());
        CheckResult r = Checker.check(h);
        String html = Timeline.html(h, r);
        assertThat(r.anomalies()).isNotEmpty();
        assertThat(html).contains("not drawn", "id=\"op-" + q.get("index").asInt() + "\"");
        assertThat(html.length()).isLessThan(200_000);
        assertThat(h.ops().size()).isGreaterThan(15_000);
    }
}
