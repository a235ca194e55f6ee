package io.fli.checker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.StringReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Compact answers ({@code logRefs}): every golden history, with its answers rewritten as a recorder that records
 * position + fingerprint would have written them, gets the same verdict and the same anomalies (invariant and
 * operations) as in full; and broken compact answers are caught under the invariant their full form breaks.
 */
class CompactAnswersTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    static Stream<Path> goldens() throws Exception {
        return Stream.concat(GoldenHistoryTest.valid(), GoldenHistoryTest.invalid());
    }

    /**
     * {@code text} with every query answer's {@code logs} replaced by {@code logRefs}, and every completion reduced to
     * its outcome.
     */
    static String compact(String text) throws Exception {
        List<ObjectNode> lines = new ArrayList<>();
        for (String l : text.split("\n")) {
            if (!l.isBlank()) {
                lines.add((ObjectNode) JSON.readTree(l));
            }
        }
        // Published versions by block number (in file order), for the identity fields a full answer left out.
        Map<Long, List<JsonNode>> versions = new HashMap<>();
        for (ObjectNode n : lines) {
            if ("publish".equals(n.path("f").asText()) && "invoke".equals(n.path("type").asText())) {
                for (JsonNode b : n.path("value").path("blocks")) {
                    versions.computeIfAbsent(b.get("number").asLong(), k -> new ArrayList<>()).add(b);
                }
            }
        }
        StringBuilder out = new StringBuilder();
        for (ObjectNode n : lines) {
            JsonNode v = n.path("value");
            if ("query".equals(n.path("f").asText()) && "ok".equals(n.path("type").asText()) && v.has("logs")) {
                ArrayNode refs = JSON.createArrayNode();
                for (JsonNode l : v.get("logs")) {
                    refs.addArray().add(l.get("block").asLong()).add(l.get("index").asInt())
                            .add(fingerprint(l, versions.getOrDefault(l.get("block").asLong(), List.of())));
                }
                ((ObjectNode) v).remove("logs");
                ((ObjectNode) v).set("logRefs", refs);
            }
            if (!"invoke".equals(n.path("type").asText()) && !"nemesis".equals(n.path("process").asText())
                    && v.isObject()) {
                // Compact completions carry only their outcome: the arguments are the invoke's.
                ((ObjectNode) v).retain("head", "logRefs", "logs", "error", "epoch");
            }
            out.append(n).append('\n');
        }
        return out.toString();
    }

    /**
     * The fingerprint a recorder would have written: the returned fields, and where the full answer left an
     * identity field out, that of the published version whose contents it shows (as the engine returns them all);
     * identity fields the published log does not carry are left out (they are not judged).
     */
    static String fingerprint(JsonNode l, List<JsonNode> versions) {
        List<String> topics = new ArrayList<>();
        l.path("topics").forEach(t -> topics.add(t.asText()));
        String data = l.hasNonNull("data") ? l.get("data").asText() : null;
        Long tx = l.hasNonNull("tx") ? l.get("tx").asLong() : null;
        String txHash = l.hasNonNull("txHash") ? l.get("txHash").asText() : null;
        String blockHash = l.hasNonNull("blockHash") ? l.get("blockHash").asText() : null;
        for (JsonNode b : versions) {
            for (JsonNode p : b.get("logs")) {
                List<String> pt = new ArrayList<>();
                p.path("topics").forEach(t -> pt.add(t.asText()));
                String pd = p.hasNonNull("data") ? p.get("data").asText() : null;
                if (p.get("index").asInt() == l.get("index").asInt() && p.get("address").asText()
                        .equals(l.path("address").asText()) && pt.equals(topics) && java.util.Objects.equals(pd, data)
                        && (blockHash == null || blockHash.equals(b.get("hash").asText()))) {
                    // A field the published log leaves out cannot be judged, so a recorder leaves it out too.
                    tx = !p.hasNonNull("tx") ? null : tx != null ? tx : Long.valueOf(p.get("tx").asLong());
                    txHash = !p.hasNonNull("txHash") ? null : txHash != null ? txHash : p.get("txHash").asText();
                    blockHash = blockHash != null ? blockHash : b.get("hash").asText();
                }
            }
        }
        return Fingerprint.of(l.path("address").asText(), topics, data, tx, txHash, blockHash);
    }

    static List<String> anomalies(CheckResult r) {
        return r.anomalies().stream().map(a -> a.invariant().wire() + " " + a.ops()).sorted().toList();
    }

    static CheckResult check(String text) throws Exception {
        return Checker.check(io.fli.checker.internal.HistoryParser.parse(new BufferedReader(new StringReader(text))));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("goldens")
    void aCompactGoldenHistoryHasTheSameVerdictAndAnomaliesAsInFull(Path file) throws Exception {
        String full = Files.readString(file);
        String compact = compact(full);
        assertThat(compact).doesNotContain("\"logs\":[{\"block\"");
        CheckResult a = check(full);
        CheckResult b = check(compact);
        assertThat(b.valid()).as(Reports.text(b)).isEqualTo(a.valid());
        assertThat(anomalies(b)).isEqualTo(anomalies(a));
    }

    @Test
    void randomModelHistoriesStayValidInCompactForm() throws Exception {
        for (long seed = 1; seed <= 20; seed++) {
            String text = new ModelHistories(seed).generate(300).text();
            CheckResult r = check(compact(text));
            assertThat(r.valid()).as("seed " + seed + ": " + Reports.text(r)).isEqualTo(Validity.VALID);
        }
    }

    /** The first query answer of a compact model history that returned at least two logs, as (line, refs). */
    private static Object[] firstAnswerWithTwoLogs(List<ObjectNode> lines) {
        for (int i = 0; i < lines.size(); i++) {
            JsonNode refs = lines.get(i).path("value").path("logRefs");
            if (refs.size() >= 2) {
                return new Object[]{i, (ArrayNode) refs};
            }
        }
        throw new AssertionError("no answer with two logs");
    }

    private static List<ObjectNode> lines(String text) throws Exception {
        List<ObjectNode> out = new ArrayList<>();
        for (String l : text.split("\n")) {
            out.add((ObjectNode) JSON.readTree(l));
        }
        return out;
    }

    private static String text(List<ObjectNode> lines) {
        StringBuilder sb = new StringBuilder();
        lines.forEach(l -> sb.append(l).append('\n'));
        return sb.toString();
    }

    private static List<String> brokenUnder(java.util.function.Consumer<ArrayNode> breakIt) throws Exception {
        List<ObjectNode> lines = lines(compact(new ModelHistories(3).generate(300).text()));
        ArrayNode refs = (ArrayNode) firstAnswerWithTwoLogs(lines)[1];
        breakIt.accept(refs);
        CheckResult r = check(text(lines));
        assertThat(r.valid()).isEqualTo(Validity.INVALID);
        return r.anomalies().stream().map(a -> a.invariant().wire() + ": " + a.explanation()).toList();
    }

    @Test
    void aWrongFingerprintIsDamagedDataServed() throws Exception {
        List<String> found = brokenUnder(refs -> {
            ArrayNode ref = (ArrayNode) refs.get(0);
            String fp = ref.get(2).asText();
            ref.set(2, JSON.getNodeFactory().textNode((fp.charAt(0) == '0' ? "1" : "0") + fp.substring(1)));
        });
        assertThat(found).singleElement().asString().startsWith("fail-closed: ").contains("content fingerprint");
    }

    @Test
    void aMissingLogIsMissing() throws Exception {
        List<String> found = brokenUnder(refs -> refs.remove(1));
        assertThat(found).isNotEmpty().allMatch(s -> s.startsWith("no-duplicate-or-missing: "));
    }

    @Test
    void aLogReturnedTwiceIsADuplicate() throws Exception {
        List<String> found = brokenUnder(refs -> refs.add(refs.get(0).deepCopy()));
        assertThat(found).singleElement().asString().startsWith("no-duplicate-or-missing: ")
                .contains("more than once");
    }

    @Test
    void aLogOfNoVersionIsAPhantom() throws Exception {
        List<String> found = brokenUnder(refs -> ((ArrayNode) refs.get(0)).set(1,
                JSON.getNodeFactory().numberNode(9_999)));
        assertThat(found).anyMatch(s -> s.startsWith("no-duplicate-or-missing: ") && s.contains("which no published"));
    }

    @Test
    void malformedRefsAreFormatErrorsNamingTheLine() {
        String header = "{\"format\":\"finalized-log-index-history\",\"version\":1,\"test\":{}}\n"
                + "{\"index\":0,\"time\":1,\"process\":0,\"type\":\"invoke\",\"f\":\"query\",\"value\":{\"from\":null,"
                + "\"to\":null}}\n";
        String bad = header + "{\"index\":1,\"time\":2,\"process\":0,\"type\":\"ok\",\"f\":\"query\",\"value\":{"
                + "\"from\":null,\"to\":null,\"head\":null,\"logRefs\":[[1,0]]}}\n";
        assertThatThrownBy(() -> check(bad)).isInstanceOf(HistoryFormatException.class)
                .hasMessageContaining("line 3").hasMessageContaining("logRefs[0] must be [block, index, fingerprint]");
        String notHex = header + "{\"index\":1,\"time\":2,\"process\":0,\"type\":\"ok\",\"f\":\"query\",\"value\":{"
                + "\"from\":null,\"to\":null,\"head\":null,\"logRefs\":[[1,0,\"XYZ\"]]}}\n";
        assertThatThrownBy(() -> check(notHex)).isInstanceOf(HistoryFormatException.class)
                .hasMessageContaining("line 3").hasMessageContaining("is not 16 lowercase hex digits");
        String both = header + "{\"index\":1,\"time\":2,\"process\":0,\"type\":\"ok\",\"f\":\"query\",\"value\":{"
                + "\"from\":null,\"to\":null,\"head\":null,\"logs\":[],\"logRefs\":[]}}\n";
        assertThatThrownBy(() -> check(both)).isInstanceOf(HistoryFormatException.class)
                .hasMessageContaining("line 3").hasMessageContaining("not both");
    }

    @Test
    void theFingerprintEncodingIsTheDocumentedOne() {
        StringBuilder s = new StringBuilder();
        Fingerprint.field(s, "0xab");
        s.append(1).append(';');
        Fingerprint.field(s, "0x01");
        Fingerprint.field(s, null);
        Fingerprint.field(s, "3");
        Fingerprint.field(s, null);
        Fingerprint.field(s, "0x9f");
        assertThat(s.toString()).isEqualTo("4:0xab1;4:0x01-1:3-4:0x9f");
        String fp = Fingerprint.of("0xab", List.of("0x01"), null, 3L, null, "0x9f");
        assertThat(fp).matches("[0-9a-f]{16}");
        assertThat(Fingerprint.of("0xab", List.of("0x01"), null, 3L, null, "0x9e")).isNotEqualTo(fp);
        // Field boundaries are unambiguous: moving a character from one field to the next changes the fingerprint.
        assertThat(Fingerprint.of("0xa", List.of("b0x01"), null, 3L, null, "0x9f")).isNotEqualTo(fp);
    }
}
