package io.fli.faults;

import io.fli.backends.LocalServer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Process faults on the backend servers this run started: {@code kill} (SIGKILL, then start again on the same data)
 * and {@code pause} (SIGSTOP for a while, then SIGCONT). Signals go to the servers' own PIDs only.
 */
public final class ProcessNemesis implements Nemesis {
    private final Map<String, LocalServer> targets;
    private final long pauseMillis;

    /** @param targets by the name recorded in histories ({@code meta}, {@code blob}) */
    public ProcessNemesis(Map<String, LocalServer> targets, long pauseMillis) {
        this.targets = new LinkedHashMap<>(targets);
        this.pauseMillis = pauseMillis;
    }

    @Override
    public List<String> faults() {
        return List.of("kill", "pause");
    }

    @Override
    public Map<String, Object> invoke(String fault, Random random) {
        List<String> names = new ArrayList<>(targets.keySet());
        String target = names.get(random.nextInt(names.size()));
        LocalServer s = targets.get(target);
        long pid = s.pid();
        switch (fault) {
            case "kill" -> {
                s.kill();
                s.start();
                return Map.of("target", target, "signal", "KILL", "pid", pid, "restarted", true);
            }
            case "pause" -> {
                s.pause();
                try {
                    Thread.sleep(pauseMillis);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                } finally {
                    s.resume();
                }
                return Map.of("target", target, "signal", "STOP", "pid", pid, "paused_ms", pauseMillis);
            }
            default -> throw new IllegalArgumentException("ProcessNemesis offers kill and pause, not " + fault);
        }
    }

    @Override
    public void teardown() {
        for (LocalServer s : targets.values()) {
            s.resume();
            s.start();
        }
    }
}
