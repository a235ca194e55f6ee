package io.fli.serve;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fli.engine.BlobStore;
import io.fli.engine.Block;
import io.fli.engine.LogQuery;
import io.fli.engine.MatchedLog;
import io.fli.engine.MetaStore;
import io.fli.workloads.ChainGenerator;
import io.fli.workloads.ExpectedAnswers;
import java.math.BigInteger;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.web3j.protocol.Web3j;
import org.web3j.protocol.core.DefaultBlockParameter;
import org.web3j.protocol.core.methods.request.EthFilter;
import org.web3j.protocol.core.methods.response.EthLog;
import org.web3j.protocol.core.methods.response.Log;
import org.web3j.protocol.http.HttpService;

/**
 * {@code fli serve} answers a real Ethereum client (web3j's {@code ethGetLogs}) exactly as a brute-force scan of the
 * published chain does, refuses bad parameters with the standard JSON-RPC errors naming the field, and serves
 * {@code /health} and {@code /metrics}.
 */
class ServeTest {
    static Serve serve;
    static Web3j web3;
    static ChainGenerator gen = new ChainGenerator(ChainGenerator.Shape.defaults(11));
    static long head;
    static List<Block> chain;
    static String url;

    @BeforeAll
    static void start() throws Exception {
        serve = Serve.start(new Serve.Config("127.0.0.1", 0, true, 400, 100, 11, "serve-test"), MetaStore.inMemory(),
                BlobStore.inMemory(), "memory");
        url = "http://127.0.0.1:" + serve.port() + "/";
        long deadline = System.nanoTime() + 120_000_000_000L;
        while (serve.indexedHead() < 400 && System.nanoTime() < deadline) {
            Thread.sleep(100);
        }
        head = serve.indexedHead();
        assertThat(head).as("the follower indexed the chain").isGreaterThanOrEqualTo(400);
        chain = gen.blocks(0, (int) head + 1);
        web3 = Web3j.build(new HttpService(url));
    }

    @AfterAll
    static void stop() {
        if (web3 != null) {
            web3.shutdown();
        }
        if (serve != null) {
            serve.close();
        }
    }

    /** What a client sees of a log, for comparison. */
    static String show(long block, String blockHash, long index, Long tx, String txHash, String address,
                       List<String> topics, String data) {
        return block + "/" + index + " " + blockHash + " tx" + tx + " " + txHash + " " + address + " " + topics + " "
                + data;
    }

    static List<String> expected(LogQuery q) {
        List<String> out = new ArrayList<>();
        for (MatchedLog m : ExpectedAnswers.answer(chain, q, head)) {
            out.add(show(m.block(), m.blockHash(), m.log().index(), m.log().tx() == null ? 0L : m.log().tx(),
                    m.log().txHash(), m.log().address(), m.log().topics(), m.log().data() == null ? "0x"
                            : m.log().data()));
        }
        return out;
    }

    static List<String> got(EthFilter f) throws Exception {
        EthLog r = web3.ethGetLogs(f).send();
        assertThat(r.hasError()).as(r.hasError() ? r.getError().getMessage() : "").isFalse();
        List<String> out = new ArrayList<>();
        for (EthLog.LogResult<?> lr : r.getLogs()) {
            Log l = (Log) lr.get();
            assertThat(l.isRemoved()).isFalse();
            out.add(show(l.getBlockNumber().longValueExact(), l.getBlockHash(), l.getLogIndex().longValueExact(),
                    l.getTransactionIndex().longValueExact(), l.getTransactionHash(), l.getAddress(), l.getTopics(),
                    l.getData()));
        }
        return out;
    }

    static DefaultBlockParameter at(long n) {
        return DefaultBlockParameter.valueOf(BigInteger.valueOf(n));
    }

    @Test
    void web3jGetsExactlyTheBruteForceAnswer() throws Exception {
        SplittableRandom r = new SplittableRandom(5);
        int nonEmpty = 0;
        for (int i = 0; i < 40; i++) {
            long from = r.nextLong(head - 50);
            long to = Math.min(head, from + r.nextLong(200));
            String address = gen.address(r.nextInt(50)); // popular ranks: the answers are not empty
            List<String> want = expected(LogQuery.range(from, to, List.of(address), null));
            assertThat(got(new EthFilter(at(from), at(to), address))).isEqualTo(want);
            nonEmpty += want.isEmpty() ? 0 : 1;

            String t0 = gen.topic0(r.nextInt(20));
            String t0b = gen.topic0(r.nextInt(20));
            List<String> wantTopics = expected(LogQuery.range(from, to, null, Arrays.asList(List.of(t0, t0b))));
            assertThat(got(new EthFilter(at(from), at(to), List.of()).addOptionalTopics(t0, t0b)))
                    .isEqualTo(wantTopics);

            List<String> addrs = List.of(gen.address(r.nextInt(100)), gen.address(r.nextInt(100)),
                    gen.address(r.nextInt(100)));
            List<String> wantAnd = expected(LogQuery.range(from, to, addrs, Arrays.asList(null, null)));
            assertThat(got(new EthFilter(at(from), at(to), addrs).addNullTopic().addNullTopic())).isEqualTo(wantAnd);

            Block b = chain.get((int) r.nextLong(head + 1));
            assertThat(got(new EthFilter(b.hash()))).isEqualTo(expected(LogQuery.byHash(b.hash(), null, null)));
        }
        assertThat(nonEmpty).isGreaterThan(20);
        assertThat(web3.ethBlockNumber().send().getBlockNumber().longValueExact()).isGreaterThanOrEqualTo(head);
    }

    static JsonNode rpc(String body) throws Exception {
        HttpResponse<String> resp = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(url))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(resp.statusCode()).isEqualTo(200);
        return new ObjectMapper().readTree(resp.body());
    }

    static void refused(String params, int code, String message) throws Exception {
        JsonNode r = rpc("{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"eth_getLogs\",\"params\":" + params + "}");
        assertThat(r.get("id").asInt()).isEqualTo(7);
        assertThat(r.has("result")).isFalse();
        assertThat(r.path("error").path("code").asInt()).as(r.toString()).isEqualTo(code);
        assertThat(r.path("error").path("message").asText()).contains(message);
    }

    @Test
    void badParametersGetTheStandardErrorsNamingTheField() throws Exception {
        refused("[{\"address\":\"0x1234\"}]", -32602, "address must be a 20-byte hex string");
        refused("[{\"fromBlock\":\"12\"}]", -32602, "fromBlock must be a hex quantity");
        refused("[{\"fromBlock\":\"0x10\",\"toBlock\":\"0x5\"}]", -32602, "fromBlock 0x10 is after toBlock 0x5");
        refused("[{\"topics\":[1]}]", -32602, "topics[0] must be null, a topic or an array of topics");
        refused("[{\"topics\":[null,null,null,null,null]}]", -32602, "topics has 5 positions");
        refused("[{\"blockHash\":\"0xabc\"}]", -32602, "blockHash must be a 32-byte hex string");
        refused("[{\"blockHash\":\"" + chain.get(1).hash() + "\",\"fromBlock\":\"0x1\"}]", -32602,
                "blockHash cannot be combined");
        refused("[{\"colour\":\"red\"}]", -32602, "unknown filter field 'colour'");
        refused("[]", -32602, "eth_getLogs takes one parameter");
        StringBuilder many = new StringBuilder("[{\"fromBlock\":\"0x0\",\"address\":[");
        for (int i = 0; i < 300; i++) {
            many.append(i == 0 ? "" : ",").append('"').append(gen.address(i)).append('"');
        }
        refused(many.append("]}]").toString(), -32005, "addresses has 300 terms; the limit is 256");
        assertThat(rpc("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"eth_sendTransaction\",\"params\":[]}")
                .path("error").path("code").asInt()).isEqualTo(-32601);
        assertThat(rpc("{not json").path("error").path("code").asInt()).isEqualTo(-32700);
        assertThat(rpc("{\"id\":1,\"method\":\"eth_getLogs\"}").path("error").path("code").asInt()).isEqualTo(-32600);
        // A batch answers each request in order, the good beside the bad.
        JsonNode batch = rpc("[{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"eth_blockNumber\",\"params\":[]},"
                + "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"eth_getLogs\",\"params\":[{\"address\":\"0x1\"}]}]");
        assertThat(batch.get(0).path("result").asText()).startsWith("0x");
        assertThat(batch.get(1).path("error").path("code").asInt()).isEqualTo(-32602);
        // web3j sees the same error.
        EthLog bad = web3.ethGetLogs(new EthFilter(at(10), at(5), List.of())).send();
        assertThat(bad.hasError()).isTrue();
        assertThat(bad.getError().getCode()).isEqualTo(-32602);
    }

    @Test
    void healthAndMetricsAreServed() throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        HttpResponse<String> health = http.send(HttpRequest.newBuilder(URI.create(url + "health")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(health.statusCode()).isEqualTo(200);
        assertThat(new ObjectMapper().readTree(health.body()).get("status").asText()).isEqualTo("ok");
        web3.ethGetLogs(new EthFilter(at(1), at(3), gen.address(1))).send();
        String metrics = http.send(HttpRequest.newBuilder(URI.create(url + "metrics")).build(),
                HttpResponse.BodyHandlers.ofString()).body();
        assertThat(metrics).contains("fli_query_seconds_count{class=\"selective-address\",outcome=\"ok\"",
                "fli_ingest_logs_total", "fli_head_lag_blocks", "fli_health{", "jvm_memory_used_bytes");
    }
}
