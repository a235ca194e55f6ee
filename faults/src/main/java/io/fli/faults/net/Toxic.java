package io.fli.faults.net;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One toxic on a proxy, as the Toxiproxy API describes it: a name, a type, the stream it acts on
 * ({@code upstream} = client to server, {@code downstream} = server to client), a toxicity (the probability that it
 * applies to a given connection) and integer attributes. Mutable only through {@link #update}, under the proxy's lock.
 */
final class Toxic {
    /** The toxic types this proxy serves, each with its attributes and their defaults (Toxiproxy 2.x). */
    static final Map<String, Map<String, Long>> TYPES = Map.of(
            "latency", attrs("latency", "jitter"),
            "bandwidth", attrs("rate"),
            "slow_close", attrs("delay"),
            "timeout", attrs("timeout"),
            "reset_peer", attrs("timeout"),
            "slicer", attrs("average_size", "size_variation", "delay"),
            "limit_data", attrs("bytes"));

    static final List<String> STREAMS = List.of("upstream", "downstream");

    final String name;
    final String type;
    final String stream;
    volatile double toxicity;
    volatile Map<String, Long> attributes;
    /** Changes on every update, so connections re-roll their toxicity when it changes. */
    volatile long generation;

    Toxic(String name, String type, String stream, double toxicity, Map<String, Long> attributes) {
        this.name = name;
        this.type = type;
        this.stream = stream;
        this.toxicity = toxicity;
        Map<String, Long> a = new LinkedHashMap<>(TYPES.get(type));
        a.putAll(attributes);
        this.attributes = Map.copyOf(a);
    }

    private static Map<String, Long> attrs(String... names) {
        Map<String, Long> m = new LinkedHashMap<>();
        for (String n : names) {
            m.put(n, 0L);
        }
        return m;
    }

    long attr(String key) {
        return attributes.getOrDefault(key, 0L);
    }

    boolean upstream() {
        return stream.equals("upstream");
    }

    void update(Double newToxicity, Map<String, Long> newAttributes) {
        if (newToxicity != null) {
            toxicity = newToxicity;
        }
        if (newAttributes != null) {
            Map<String, Long> a = new LinkedHashMap<>(attributes);
            a.putAll(newAttributes);
            attributes = Map.copyOf(a);
        }
        generation++;
    }

    Map<String, Object> json() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", name);
        m.put("type", type);
        m.put("stream", stream);
        m.put("toxicity", toxicity);
        Map<String, Long> ordered = new LinkedHashMap<>();
        TYPES.get(type).keySet().forEach(k -> ordered.put(k, attributes.get(k)));
        m.put("attributes", ordered);
        return m;
    }
}
