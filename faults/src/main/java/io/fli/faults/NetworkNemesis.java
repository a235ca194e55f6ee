package io.fli.faults;

import eu.rekawek.toxiproxy.Proxy;
import eu.rekawek.toxiproxy.ToxiproxyClient;
import eu.rekawek.toxiproxy.model.Toxic;
import eu.rekawek.toxiproxy.model.ToxicDirection;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Network faults between the engine and each backend, through the Toxiproxy HTTP API ({@code toxiproxy-java}): one
 * proxy per backend endpoint, the engine connected to the proxies, and toxics added for a while and removed again.
 * It drives a real Toxiproxy server where one is configured, and the in-JVM {@link io.fli.faults.net.ToxiproxyServer}
 * elsewhere. The faults, as recorded in histories:
 *
 * <ul>
 *   <li>{@code latency}: 50–250 ms (±25% jitter) on every chunk from a random backend;</li>
 *   <li>{@code hang}: data to and from a random backend is dropped, and the proxy closes the connections after
 *       0.5–2 s (Toxiproxy's {@code timeout} toxic): requests hang until the client's timeout or the close;</li>
 *   <li>{@code reset}: connections to a random backend are reset (RST) within 0–300 ms ({@code reset_peer});</li>
 *   <li>{@code refuse}: the proxy of a random backend is disabled: connections are closed and new ones refused;</li>
 *   <li>{@code bandwidth}: a random backend is throttled to 64 KB/s both ways;</li>
 *   <li>{@code partition-meta}, {@code partition-blob}: the CQL or the S3 backend is cut off: every byte both ways
 *       is dropped, connections stay open (a black hole, {@code timeout} with 0), until healed.</li>
 * </ul>
 *
 * Each fault is held for a fixed time, then healed, and the call returns what was done.
 */
public final class NetworkNemesis implements Nemesis {
    public static final List<String> FAULTS =
            List.of("latency", "hang", "reset", "refuse", "bandwidth", "partition-meta", "partition-blob");

    private final ToxiproxyClient client;
    private final Map<String, Proxy> proxies;
    private final long holdMillis;

    private NetworkNemesis(ToxiproxyClient client, Map<String, Proxy> proxies, long holdMillis) {
        this.client = client;
        this.proxies = proxies;
        this.holdMillis = holdMillis;
    }

    /** Whether {@code fault} is one of {@link #FAULTS}. */
    public static boolean offers(String fault) {
        return FAULTS.contains(fault);
    }

    /**
     * Creates one proxy per target on the Toxiproxy server behind {@code client} (replacing stale proxies of the
     * same name), listening on a free loopback port.
     *
     * @param upstreams by target name ({@code meta}, {@code blob}): the {@code host:port} the proxy forwards to
     * @param hold      how long each fault lasts before it is healed
     */
    public static NetworkNemesis create(ToxiproxyClient client, Map<String, String> upstreams, Duration hold) {
        Map<String, Proxy> ps = new LinkedHashMap<>();
        try {
            for (Map.Entry<String, String> e : upstreams.entrySet()) {
                String name = "fli-" + e.getKey();
                Proxy old = client.getProxyOrNull(name);
                if (old != null) {
                    old.delete();
                }
                ps.put(e.getKey(), client.createProxy(name, "127.0.0.1:0", e.getValue()));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the network-fault proxies through the Toxiproxy API: "
                    + e.getMessage(), e);
        }
        return new NetworkNemesis(client, ps, hold.toMillis());
    }

    /** The {@code host:port} the engine must use to reach {@code target} through its proxy. */
    public String listen(String target) {
        Proxy p = proxies.get(target);
        if (p == null) {
            throw new IllegalArgumentException("no proxy for target " + target + "; targets: " + proxies.keySet());
        }
        return p.getListen();
    }

    /** The proxy of {@code target}, for tests that add toxics of their own. */
    public Proxy proxy(String target) {
        return proxies.get(target);
    }

    @Override
    public List<String> faults() {
        return FAULTS;
    }

    @Override
    public Map<String, Object> invoke(String fault, Random random) {
        String target = switch (fault) {
            case "partition-meta" -> "meta";
            case "partition-blob" -> "blob";
            default -> {
                List<String> names = new ArrayList<>(proxies.keySet());
                yield names.get(random.nextInt(names.size()));
            }
        };
        Proxy p = proxies.get(target);
        if (p == null) {
            throw new IllegalArgumentException("no proxy for target " + target);
        }
        Map<String, Object> done = new LinkedHashMap<>();
        done.put("target", target);
        done.put("proxy", p.getName());
        List<Toxic> added = new ArrayList<>();
        try {
            switch (fault) {
                case "latency" -> {
                    long ms = 50 + random.nextInt(200);
                    added.add(p.toxics().latency("fli-latency", ToxicDirection.DOWNSTREAM, ms).setJitter(ms / 4));
                    done.put("latency_ms", ms);
                }
                case "hang" -> {
                    long ms = 500 + random.nextInt(1500);
                    added.add(p.toxics().timeout("fli-hang-up", ToxicDirection.UPSTREAM, ms));
                    added.add(p.toxics().timeout("fli-hang-down", ToxicDirection.DOWNSTREAM, ms));
                    done.put("close_after_ms", ms);
                }
                case "reset" -> {
                    long ms = random.nextInt(300);
                    added.add(p.toxics().resetPeer("fli-reset", ToxicDirection.DOWNSTREAM, ms));
                    done.put("reset_after_ms", ms);
                }
                case "refuse" -> p.disable();
                case "bandwidth" -> {
                    added.add(p.toxics().bandwidth("fli-bandwidth-up", ToxicDirection.UPSTREAM, 64));
                    added.add(p.toxics().bandwidth("fli-bandwidth-down", ToxicDirection.DOWNSTREAM, 64));
                    done.put("rate_kb_s", 64);
                }
                case "partition-meta", "partition-blob" -> {
                    added.add(p.toxics().timeout("fli-partition-up", ToxicDirection.UPSTREAM, 0));
                    added.add(p.toxics().timeout("fli-partition-down", ToxicDirection.DOWNSTREAM, 0));
                }
                default -> throw new IllegalArgumentException("NetworkNemesis offers " + FAULTS + ", not " + fault);
            }
            sleep(holdMillis);
        } catch (IOException e) {
            throw new UncheckedIOException("Toxiproxy API call failed during " + fault + ": " + e.getMessage(), e);
        } finally {
            heal(p, added);
        }
        done.put("held_ms", holdMillis);
        return done;
    }

    private static void heal(Proxy p, List<Toxic> added) {
        try {
            for (Toxic t : added) {
                t.remove();
            }
            if (!p.isEnabled()) {
                p.enable();
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot heal proxy " + p.getName() + ": " + e.getMessage(), e);
        }
    }

    /** Removes every toxic and enables every proxy. */
    @Override
    public void teardown() {
        try {
            for (Proxy p : proxies.values()) {
                for (Toxic t : p.toxics().getAll()) {
                    t.remove();
                }
                p.enable();
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot heal the network-fault proxies: " + e.getMessage(), e);
        }
    }

    /** Deletes the proxies this nemesis created. */
    public void delete() {
        for (Proxy p : proxies.values()) {
            try {
                p.delete();
            } catch (IOException ignored) {
                // the server may already be gone
            }
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
