package io.fli.backends;

import static org.assertj.core.api.Assertions.assertThat;

import com.datastax.oss.driver.internal.core.metadata.DefaultEndPoint;
import java.net.InetSocketAddress;
import javax.net.ssl.SSLEngine;
import org.junit.jupiter.api.Test;

/** TLS to CQL verifies the server's hostname, not only its certificate chain. */
class CqlTlsTest {
    @Test
    void theSslEnginesOfTheCqlSessionVerifyTheHostname() throws Exception {
        try (var factory = ScyllaMetaStore.sslEngineFactory(null)) {
            SSLEngine engine = factory.newSslEngine(new DefaultEndPoint(new InetSocketAddress("127.0.0.1", 9142)));
            assertThat(engine.getUseClientMode()).isTrue();
            assertThat(engine.getSSLParameters().getEndpointIdentificationAlgorithm()).isEqualTo("HTTPS");
            // The name checked against the certificate: the endpoint's host as the resolver names it.
            assertThat(engine.getPeerHost()).isIn("127.0.0.1", "localhost");
        }
    }
}
