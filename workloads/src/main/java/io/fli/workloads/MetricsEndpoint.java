package io.fli.workloads;

import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.prometheus.metrics.exporter.httpserver.HTTPServer;
import java.io.IOException;

/**
 * The Prometheus endpoint of a long-running command: a Micrometer registry with the JVM's metrics bound, served in
 * the Prometheus text format at {@code http://127.0.0.1:PORT/metrics} by the Prometheus client's HTTP server.
 */
public final class MetricsEndpoint implements AutoCloseable {
    private final PrometheusMeterRegistry registry;
    private final java.util.List<AutoCloseable> binders;
    private final HTTPServer server;

    private MetricsEndpoint(PrometheusMeterRegistry registry, java.util.List<AutoCloseable> binders,
                            HTTPServer server) {
        this.registry = registry;
        this.binders = binders;
        this.server = server;
    }

    /**
     * A Prometheus registry with the JVM's memory, GC, thread and processor metrics bound, for a process that serves
     * the exposition itself ({@code fli serve}); what must be closed with the registry is added to {@code closeWithIt}.
     */
    public static PrometheusMeterRegistry newRegistry(java.util.List<AutoCloseable> closeWithIt) {
        return newRegistry(closeWithIt, new io.micrometer.core.instrument.config.MeterFilter[0]);
    }

    /**
     * As {@link #newRegistry(java.util.List)}, with {@code filters} configured before any meter is registered.
     * (The overload without filters stays: modules compiled against it keep linking after an incremental build.)
     */
    public static PrometheusMeterRegistry newRegistry(java.util.List<AutoCloseable> closeWithIt,
                                                      io.micrometer.core.instrument.config.MeterFilter... filters) {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        for (io.micrometer.core.instrument.config.MeterFilter f : filters) {
            registry.config().meterFilter(f); // before any meter is registered, as Micrometer requires
        }
        new JvmMemoryMetrics().bindTo(registry);
        JvmGcMetrics gc = new JvmGcMetrics();
        gc.bindTo(registry);
        closeWithIt.add(gc);
        new JvmThreadMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        return registry;
    }

    /** Starts serving on 127.0.0.1:{@code port} (0: a free port). */
    public static MetricsEndpoint start(int port) throws IOException {
        return start(port, new io.micrometer.core.instrument.config.MeterFilter[0]);
    }

    /** Starts serving on 127.0.0.1:{@code port} (0: a free port), with {@code filters} configured first. */
    public static MetricsEndpoint start(int port, io.micrometer.core.instrument.config.MeterFilter... filters)
            throws IOException {
        java.util.List<AutoCloseable> binders = new java.util.ArrayList<>();
        PrometheusMeterRegistry registry = newRegistry(binders, filters);
        HTTPServer server = HTTPServer.builder().hostname("127.0.0.1").port(port)
                .registry(registry.getPrometheusRegistry()).buildAndStart();
        return new MetricsEndpoint(registry, binders, server);
    }

    public PrometheusMeterRegistry registry() {
        return registry;
    }

    public int port() {
        return server.getPort();
    }

    public String url() {
        return "http://127.0.0.1:" + port() + "/metrics";
    }

    /** The current exposition, as a scrape would return it. */
    public String scrape() {
        return registry.scrape();
    }

    @Override
    public void close() {
        server.close();
        for (AutoCloseable b : binders) {
            try {
                b.close();
            } catch (Exception e) {
                // a binder that cannot stop listening: the registry closes regardless
            }
        }
        registry.close();
    }
}
