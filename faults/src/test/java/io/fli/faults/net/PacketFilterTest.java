package io.fli.faults.net;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The kernel's packet filter on the loopback interface, for real: a cut stops the traffic between two loopback
 * addresses on one port and nothing else; no rule survives the filter's close, nor the SIGKILL of the JVM that made
 * it. Skips where iptables cannot change rules (not root, or not installed: {@code .ci/run} installs it).
 */
class PacketFilterTest {
    @BeforeAll
    static void needsThePacketFilter() {
        assumeTrue(PacketFilter.available(), "no packet filter here: " + PacketFilter.unavailableReason());
    }

    private static boolean connects(String from, String to, int port) {
        try (Socket s = new Socket()) {
            s.bind(new InetSocketAddress(from, 0));
            s.connect(new InetSocketAddress(to, port), 1_000);
            return true;
        } catch (java.io.IOException e) {
            return false;
        }
    }

    private static ServerSocket listen(String host) throws Exception {
        ServerSocket s = new ServerSocket();
        s.bind(new InetSocketAddress(InetAddress.getByName(host), 0), 50);
        Thread t = new Thread(() -> {
            while (!s.isClosed()) {
                try {
                    s.accept().close();
                } catch (java.io.IOException e) {
                    return;
                }
            }
        });
        t.setDaemon(true);
        t.start();
        return s;
    }

    @Test
    void aCutStopsTrafficBetweenTwoAddressesOnOnePortOnly() throws Exception {
        try (ServerSocket onThree = listen("127.0.0.3"); ServerSocket other = listen("127.0.0.3");
             PacketFilter f = PacketFilter.create()) {
            int port = onThree.getLocalPort();
            assertThat(connects("127.0.0.2", "127.0.0.3", port)).isTrue();
            f.cut("127.0.0.2", "127.0.0.3", port);
            assertThat(f.rules()).hasSize(4);
            assertThat(PacketFilter.leftovers()).anyMatch(l -> l.contains(f.chain()) && l.contains("-i lo"));
            assertThat(connects("127.0.0.2", "127.0.0.3", port)).as("cut pair, cut port").isFalse();
            assertThat(connects("127.0.0.1", "127.0.0.3", port)).as("another address").isTrue();
            assertThat(connects("127.0.0.2", "127.0.0.3", other.getLocalPort())).as("another port").isTrue();
            f.heal();
            assertThat(f.rules()).isEmpty();
            assertThat(connects("127.0.0.2", "127.0.0.3", port)).as("healed").isTrue();
            f.cut("127.0.0.3", "127.0.0.2", port);
            assertThat(connects("127.0.0.2", "127.0.0.3", port)).isFalse();
            f.close();
            assertThat(PacketFilter.leftovers()).noneMatch(l -> l.contains(f.chain()));
            assertThat(connects("127.0.0.2", "127.0.0.3", port)).as("closed").isTrue();
            assertThatThrownBy(() -> f.cut("127.0.0.2", "127.0.0.3", port)).hasMessageContaining("closed");
        }
    }

    /** Whether a process in control group {@code group} connects to {@code to:port} within 3 s. */
    private static boolean connectsFromGroup(String group, String to, int port) throws Exception {
        Process p = new ProcessBuilder("timeout", "3", "bash", "-c", "echo $$ > '"
                + io.fli.backends.Cgroups.procs(group) + "' && exec 3<>/dev/tcp/" + to + "/" + port)
                .redirectErrorStream(true).start();
        p.getInputStream().readAllBytes();
        return p.waitFor() == 0;
    }

    @Test
    void aCutBetweenControlGroupsStopsTheirConnectionsToEachOtherOnly() throws Exception {
        assumeTrue(io.fli.backends.Cgroups.unavailableReason() == null, io.fli.backends.Cgroups.unavailableReason());
        String set = io.fli.backends.Cgroups.newSet();
        String a = set + "/node-1";
        String b = set + "/node-2";
        String c = set + "/node-3";
        for (String g : List.of(a, b, c)) {
            io.fli.backends.Cgroups.create(g);
        }
        try (ServerSocket onOne = listen("127.0.0.1"); ServerSocket onTwo = listen("127.0.0.2");
             PacketFilter f = PacketFilter.create()) {
            int one = onOne.getLocalPort();
            int two = onTwo.getLocalPort();
            // Every process connects out from 127.0.0.1: only the group tells node 1's connections from node 3's.
            assertThat(connectsFromGroup(a, "127.0.0.2", two)).isTrue();
            f.cutGroups(a, "127.0.0.1", b, "127.0.0.2", two);
            assertThat(f.rules()).hasSize(2);
            assertThat(connectsFromGroup(a, "127.0.0.2", two)).as("node 1 to node 2").isFalse();
            assertThat(connectsFromGroup(c, "127.0.0.2", two)).as("node 3 to node 2").isTrue();
            assertThat(connectsFromGroup(b, "127.0.0.2", two)).as("node 2 to itself").isTrue();
            assertThat(connects("127.0.0.1", "127.0.0.2", two)).as("a client outside the groups").isTrue();
            f.cutGroups(a, "127.0.0.1", b, "127.0.0.1", one); // the other way: node 2's connections to node 1
            assertThat(connectsFromGroup(b, "127.0.0.1", one)).as("node 2 to node 1").isFalse();
            assertThat(connectsFromGroup(c, "127.0.0.1", one)).as("node 3 to node 1").isTrue();
            f.heal();
            assertThat(connectsFromGroup(a, "127.0.0.2", two)).as("healed").isTrue();
            assertThatThrownBy(() -> f.cutGroups("../etc", "127.0.0.1", b, "127.0.0.2", two))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("control group");
        } finally {
            io.fli.backends.Cgroups.remove(set);
        }
        assertThat(io.fli.backends.Cgroups.root().resolve(set)).doesNotExist();
    }

    @Test
    void onlyLoopbackAddressesCanBeCut() {
        try (PacketFilter f = PacketFilter.create()) {
            assertThatThrownBy(() -> f.cut("10.0.0.1", "127.0.0.2", 7000))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("loopback");
            assertThatThrownBy(() -> f.cut("127.0.0.1", "example.org", 7000))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("127.0.0.0/8");
            assertThat(f.rules()).isEmpty();
        }
    }

    /** Makes a filter with a cut, says so, and waits to be killed. */
    public static final class Holder {
        public static void main(String[] args) throws Exception {
            PacketFilter f = PacketFilter.create();
            f.cut("127.0.0.2", "127.0.0.3", Integer.parseInt(args[0]));
            System.out.println("ready " + f.chain() + " " + f.watchdogPid());
            System.out.flush();
            Thread.sleep(600_000);
        }
    }

    @Test
    void noRuleOutlivesAJvmKilledWithSigkill() throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process p = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"), Holder.class.getName(),
                "7199").redirectErrorStream(true).start();
        String chain;
        long watchdog;
        try {
            BufferedReader in = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
            String line;
            do {
                line = in.readLine();
            } while (line != null && !line.startsWith("ready "));
            assertThat(line).as("the holder's output").isNotNull();
            chain = line.split(" ")[1];
            watchdog = Long.parseLong(line.split(" ")[2]);
            assertThat(PacketFilter.chains()).contains(chain);
        } finally {
            p.destroyForcibly(); // SIGKILL: no shutdown hook runs
        }
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (PacketFilter.chains().contains(chain) && System.nanoTime() < deadline) {
            Thread.sleep(200);
        }
        assertThat(PacketFilter.chains()).as("the watchdog removed the chain").doesNotContain(chain);
        assertThat(PacketFilter.leftovers()).noneMatch(l -> l.contains(chain));
        long gone = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (ProcessHandle.of(watchdog).map(ProcessHandle::isAlive).orElse(false) && System.nanoTime() < gone) {
            Thread.sleep(200);
        }
        assertThat(ProcessHandle.of(watchdog).map(ProcessHandle::isAlive).orElse(false)).as("the watchdog exits")
                .isFalse();
    }

    @Test
    void aChainWhoseProcessIsGoneIsRemovedByTheNextFilter() throws Exception {
        // pid_max is at most 2^22: no process has this PID, as if the run and its watchdog had both been killed.
        String stale = PacketFilter.PREFIX + "99999999-1";
        run("iptables", "-w", "5", "-N", stale);
        run("iptables", "-w", "5", "-A", stale, "-s", "127.0.0.2/32", "-d", "127.0.0.3/32", "-j", "DROP");
        run("iptables", "-w", "5", "-I", "INPUT", "-i", "lo", "-m", "comment", "--comment", "fli packet filter",
                "-j", stale);
        assertThat(PacketFilter.chains()).contains(stale);
        try (PacketFilter f = PacketFilter.create()) {
            assertThat(PacketFilter.chains()).doesNotContain(stale).contains(f.chain());
        }
        assertThat(PacketFilter.leftovers()).noneMatch(l -> l.contains(stale));
    }

    private static void run(String... cmd) throws Exception {
        Process p = new ProcessBuilder(List.of(cmd)).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor()).as(String.join(" ", cmd) + ": " + out).isZero();
    }
}
