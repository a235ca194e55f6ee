package io.fli.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code fli report}: the sign-off report — one status per release gate, each with the evidence it rests on, from the
 * run folders, soaks, SLO runs and test reports found under the given paths. A gate is {@code pass} only with its
 * evidence present and all of it good; {@code missing} says what evidence is absent; {@code fail} names what failed.
 */
@Command(name = "report", mixinStandardHelpOptions = true,
        description = {"Write the sign-off report (DIR/index.html, DIR/report.json, plots copied into DIR/plots) from "
                + "the run folders (fli test), soaks (fli soak), SLO runs (fli slo) and test reports "
                + "(target/surefire-reports) under PATH (default: store).",
                "Gates A (CAS, fencing, multi-writer), B (fault matrix), C (SLO, soak), D and E (checklists): "
                        + "pass, fail or missing. Exit 0 unless a gate fails."})
final class ReportCommand implements Callable<Integer> {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Set<String> CLIENT_F = Set.of("acquire", "publish", "query");

    @Spec
    CommandSpec spec;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Where the report goes.")
    Path out;

    @Option(names = "--repo", description = "The fli checkout, for the operability and security checklists "
            + "(default: ${DEFAULT-VALUE}).")
    Path repo = Path.of(".");

    @Parameters(paramLabel = "PATH", arity = "0..*", description = "Where to look (default: store).")
    List<Path> paths = new ArrayList<>(List.of(Path.of("store")));

    /**
     * @param nodes      Cassandra nodes of a local run (1, or a cluster)
     * @param casUnknown the run's unknown CAS outcomes in one line ({@code cas-unknown.json}), or null
     */
    record TestRun(Path dir, String workload, String backend, List<String> nemesis, String valid, long ops,
                   long faults, long anomalies, int nodes, String casUnknown) {
    }

    record Soak(Path dir, boolean valid, boolean stable, boolean interrupted, String check, JsonNode checks) {
    }

    record Slo(Path dir, boolean pass, int figures, int within) {
    }

    record Suite(Path file, String name, int tests, int failures, int errors, int skipped) {
    }

    /** One gate's verdict and the evidence behind it. */
    record Gate(String gate, String title, String status, String why, List<String> evidence) {
    }

    final List<TestRun> runs = new ArrayList<>();
    final List<Soak> soaks = new ArrayList<>();
    final List<Slo> slos = new ArrayList<>();
    final List<Suite> suites = new ArrayList<>();
    /** Saved runs under a {@code findings} folder: records of past failures, listed but never counted in a gate. */
    final List<Path> findings = new ArrayList<>();

    @Override
    public Integer call() throws IOException {
        PrintWriter w = spec.commandLine().getOut();
        for (Path p : paths) {
            if (!Files.exists(p)) {
                throw Inputs.bad(spec, "no such path: " + p);
            }
            scan(p);
        }
        List<Gate> gates = List.of(gateA(), gateB(), gateC(), gateD(), gateE());
        Files.createDirectories(out.resolve("plots"));
        ObjectNode report = JSON.createObjectNode().put("generated", Instant.now().toString());
        ArrayNode paths0 = report.putArray("paths");
        paths.forEach(p -> paths0.add(p.toAbsolutePath().normalize().toString()));
        ArrayNode g = report.putArray("gates");
        for (Gate x : gates) {
            ObjectNode o = g.addObject().put("gate", x.gate()).put("title", x.title()).put("status", x.status())
                    .put("why", x.why());
            o.set("evidence", JSON.valueToTree(x.evidence()));
        }
        ArrayNode art = report.putArray("artifacts");
        for (String[] a : artifacts()) {
            art.addObject().put("artifact", a[0]).put("status", a[1]).put("where", a[2]);
        }
        report.put("test_runs", runs.size()).put("soaks", soaks.size()).put("slo_runs", slos.size())
                .put("test_suites", suites.size());
        ArrayNode found = report.putArray("findings");
        findings.forEach(f -> found.add(f.toString()));
        Files.writeString(out.resolve("report.json"), JSON.writerWithDefaultPrettyPrinter().writeValueAsString(report));
        Files.writeString(out.resolve("index.html"), html(gates));
        for (Gate x : gates) {
            w.printf("gate %s %-7s %s%n", x.gate(), x.status().toUpperCase(), x.why());
        }
        w.println("report: " + out.resolve("index.html") + " (" + runs.size() + " test runs, " + soaks.size()
                + " soaks, " + slos.size() + " SLO runs, " + suites.size() + " test suites"
                + (findings.isEmpty() ? "" : "; " + findings.size() + " saved runs of past findings, not counted")
                + ")");
        w.flush();
        return gates.stream().anyMatch(x -> x.status().equals("fail")) ? 1 : 0;
    }

    // ------------------------------------------------------------------ finding the evidence

    void scan(Path root) throws IOException {
        try (Stream<Path> s = Files.walk(root, 8)) {
            for (Path p : s.toList()) {
                String name = p.getFileName() == null ? "" : p.getFileName().toString();
                if (name.equals("test.json") && Files.exists(p.resolveSibling("results.json"))) {
                    if (isFinding(root, p)) {
                        findings.add(p.getParent());
                    } else {
                        testRun(p.getParent());
                    }
                } else if (name.equals("soak.json")) {
                    soak(p.getParent());
                } else if (name.equals("results.json") && !Files.exists(p.resolveSibling("test.json"))) {
                    JsonNode n = JSON.readTree(p.toFile());
                    if (n.has("figures") && n.has("pass")) {
                        int within = 0;
                        for (JsonNode f : n.get("figures")) {
                            within += f.path("pass").asBoolean() ? 1 : 0;
                        }
                        slos.add(new Slo(p.getParent(), n.get("pass").asBoolean(), n.get("figures").size(), within));
                    }
                } else if (name.startsWith("TEST-") && name.endsWith(".xml")
                        && p.getParent().getFileName().toString().equals("surefire-reports")) {
                    suite(p);
                }
            }
        }
    }

    /**
     * A run saved under a folder named {@code findings} (docs/findings/DATE-NAME) is the record of a failure found and
     * fixed before this build: its verdict is history, not evidence about this build.
     */
    static boolean isFinding(Path root, Path testJson) {
        for (Path part : root.toAbsolutePath().normalize().relativize(testJson.toAbsolutePath().normalize())) {
            if (part.toString().equals("findings")) {
                return true;
            }
        }
        return false;
    }

    private void testRun(Path dir) throws IOException {
        JsonNode t = JSON.readTree(dir.resolve("test.json").toFile());
        JsonNode r = JSON.readTree(dir.resolve("results.json").toFile());
        List<String> nemesis = new ArrayList<>();
        t.path("nemesis").forEach(n -> nemesis.add(n.asText()));
        long faults = 0;
        var byF = r.path("stats").path("by_f").fields();
        while (byF.hasNext()) {
            var e = byF.next();
            if (!CLIENT_F.contains(e.getKey()) && !Set.of("merge", "gc", "compact").contains(e.getKey())) {
                for (JsonNode c : e.getValue()) {
                    faults += c.asLong();
                }
            }
        }
        String valid = r.path("valid").isBoolean() ? (r.get("valid").asBoolean() ? "valid" : "invalid")
                : "unknown";
        runs.add(new TestRun(dir, t.path("workload").asText("?"), t.path("backend").asText("?"), nemesis, valid,
                r.path("stats").path("ops").asLong(), faults, r.path("anomaly_count").asLong(),
                t.path("nodes").asInt(1), io.fli.workloads.TestRun.casUnknownLine(dir)));
    }

    private void soak(Path dir) throws IOException {
        JsonNode s = JSON.readTree(dir.resolve("soak.json").toFile());
        soaks.add(new Soak(dir, s.path("valid").asBoolean(false), s.path("stable").asBoolean(false),
                s.path("interrupted").asBoolean(false), s.path("check").path("mode").asText("batch"),
                s.path("checks")));
    }

    private static final Pattern ATTR = Pattern.compile("(name|tests|failures|errors|skipped)=\"([^\"]*)\"");

    private void suite(Path xml) throws IOException {
        String head;
        try (var r = Files.newBufferedReader(xml)) {
            char[] buf = new char[4096];
            int n = r.read(buf);
            head = n < 0 ? "" : new String(buf, 0, n);
        }
        int at = head.indexOf("<testsuite");
        if (at < 0) {
            return;
        }
        String tag = head.substring(at, head.indexOf('>', at) < 0 ? head.length() : head.indexOf('>', at));
        Map<String, String> a = new TreeMap<>();
        Matcher m = ATTR.matcher(tag);
        while (m.find()) {
            a.putIfAbsent(m.group(1), m.group(2));
        }
        suites.add(new Suite(xml, a.getOrDefault("name", "?"), Integer.parseInt(a.getOrDefault("tests", "0")),
                Integer.parseInt(a.getOrDefault("failures", "0")), Integer.parseInt(a.getOrDefault("errors", "0")),
                Integer.parseInt(a.getOrDefault("skipped", "0"))));
    }

    // ------------------------------------------------------------------ the gates

    private static boolean real(TestRun r) {
        return !r.backend().equals("memory");
    }

    private List<String> suiteEvidence(List<String> names, List<String> problems) {
        List<String> ev = new ArrayList<>();
        for (String n : names) {
            List<Suite> found = suites.stream().filter(s -> s.name().equals(n)).toList();
            if (found.isEmpty()) {
                problems.add("no report of " + n);
                continue;
            }
            for (Suite s : found) {
                boolean ok = s.failures() == 0 && s.errors() == 0 && s.tests() > s.skipped();
                ev.add(n + ": " + s.tests() + " tests, " + s.failures() + " failures, " + s.errors() + " errors, "
                        + s.skipped() + " skipped (" + s.file() + ")");
                if (!ok) {
                    problems.add(n + (s.tests() == s.skipped() ? " was skipped" : " failed"));
                }
            }
        }
        return ev;
    }

    Gate gateA() {
        List<String> problems = new ArrayList<>();
        List<String> ev = suiteEvidence(List.of("io.fli.backends.ContentionTest", "io.fli.engine.FencingTest",
                "io.fli.backends.LocalClusterTest"), problems);
        List<TestRun> mw = runs.stream().filter(r -> r.workload().equals("multi-writer") && real(r)).toList();
        for (TestRun r : mw) {
            ev.add("multi-writer on " + r.backend() + (r.nodes() > 1 ? " (" + r.nodes() + " CQL nodes)" : "")
                    + ", nemesis " + String.join(",", r.nemesis()) + ": " + r.valid() + ", " + r.ops()
                    + " operations, " + r.faults() + " faults"
                    + (r.casUnknown() == null ? "" : "; unknown CAS outcomes " + r.casUnknown()) + " (" + r.dir() + ")");
        }
        // Distributed CAS is only exercised on a cluster: a coordinator losing replicas, a minority partition.
        List<TestRun> cluster = mw.stream().filter(r -> r.nodes() >= 3 && r.nemesis().stream()
                .anyMatch(io.fli.faults.ClusterNemesis::offers)).toList();
        boolean failed = mw.stream().anyMatch(r -> !r.valid().equals("valid"))
                || problems.stream().anyMatch(p -> p.endsWith("failed"));
        if (failed) {
            return new Gate("A", "CAS and fencing on real servers; multi-writer adversarial runs", "fail",
                    "failed: " + String.join("; ", problems) + (mw.stream().anyMatch(r -> !r.valid().equals("valid"))
                    ? " a multi-writer run is not valid" : ""), ev);
        }
        if (mw.isEmpty() || cluster.isEmpty() || !problems.isEmpty()) {
            List<String> why = new ArrayList<>(problems);
            if (mw.isEmpty()) {
                why.add("no multi-writer run on real servers (fli test --backend local --workload multi-writer)");
            }
            if (cluster.isEmpty()) {
                why.add("no multi-writer run on a CQL cluster with node faults (fli test --backend local --nodes 3 "
                        + "--workload multi-writer --nemesis kill-node,pause-node,partition-nodes)");
            }
            return new Gate("A", "CAS and fencing on real servers; multi-writer adversarial runs", "missing",
                    String.join("; ", why), ev);
        }
        return new Gate("A", "CAS and fencing on real servers; multi-writer adversarial runs", "pass",
                mw.size() + " multi-writer runs valid (" + cluster.size() + " on a 3-node CQL cluster with node "
                        + "faults); CAS and fencing tests passed", ev);
    }

    /** The fault matrix: workload x nemesis set, each cell its runs. */
    Map<String, Map<String, List<TestRun>>> matrix() {
        Map<String, Map<String, List<TestRun>>> m = new TreeMap<>();
        for (TestRun r : runs) {
            if (r.nemesis().isEmpty() || r.nemesis().equals(List.of("none"))) {
                continue;
            }
            m.computeIfAbsent(r.workload(), k -> new TreeMap<>())
                    .computeIfAbsent(String.join(",", r.nemesis()), k -> new ArrayList<>()).add(r);
        }
        return m;
    }

    Gate gateB() {
        Map<String, Map<String, List<TestRun>>> m = matrix();
        List<String> ev = new ArrayList<>();
        int cells = 0;
        boolean bad = false;
        for (var w : m.entrySet()) {
            for (var c : w.getValue().entrySet()) {
                cells++;
                long invalid = c.getValue().stream().filter(r -> !r.valid().equals("valid")).count();
                bad |= invalid > 0;
                ev.add(w.getKey() + " x " + c.getKey() + ": " + c.getValue().size() + " runs, " + invalid
                        + " not valid, " + c.getValue().stream().mapToLong(TestRun::ops).sum() + " operations, "
                        + c.getValue().stream().mapToLong(TestRun::faults).sum() + " faults");
            }
        }
        String t = "fault matrix: workload x fault, each run checked";
        if (bad) {
            return new Gate("B", t, "fail", "a run of the fault matrix is not valid", ev);
        }
        if (cells == 0 || runs.stream().noneMatch(ReportCommand::real)) {
            return new Gate("B", t, "missing", cells == 0 ? "no fli test run with faults"
                    : "no run with faults on real servers", ev);
        }
        boolean failClosed = runs.stream().anyMatch(r -> r.nemesis().contains("corrupt") || r.nemesis()
                .contains("fork"));
        return new Gate("B", t, "pass", cells + " cells valid" + (failClosed ? ", fail-closed runs (corrupt/fork) "
                + "included" : ", no corrupt/fork run (degraded validation not exercised)"), ev);
    }

    Gate gateC() {
        List<String> ev = new ArrayList<>();
        for (Slo s : slos) {
            ev.add("SLO suite: " + (s.pass() ? "pass" : "FAIL") + ", " + s.within() + " of " + s.figures()
                    + " figures within target with margin (" + s.dir() + ")");
        }
        for (Soak s : soaks) {
            ev.add("soak: history " + (s.valid() ? "valid" : "NOT valid") + " (checked " + s.check() + "), "
                    + (s.stable() ? "stable" : "NOT stable") + (s.interrupted() ? ", interrupted" : "") + " ("
                    + s.dir() + ")");
        }
        String t = "SLO suite with margin; soak stability";
        List<String> why = new ArrayList<>();
        if (slos.stream().anyMatch(s -> !s.pass())) {
            why.add("an SLO run misses its targets");
        }
        if (soaks.stream().anyMatch(s -> !s.valid() || !s.stable())) {
            why.add("a soak is not valid or not stable");
        }
        if (!why.isEmpty()) {
            return new Gate("C", t, "fail", String.join("; ", why), ev);
        }
        if (slos.isEmpty() || soaks.isEmpty()) {
            return new Gate("C", t, "missing", (slos.isEmpty() ? "no SLO run (fli slo)" : "")
                    + (slos.isEmpty() && soaks.isEmpty() ? "; " : "") + (soaks.isEmpty() ? "no soak (fli soak)" : ""),
                    ev);
        }
        return new Gate("C", t, "pass", slos.size() + " SLO runs pass; " + soaks.size() + " soaks valid and stable",
                ev);
    }

    private Gate checklist(String gate, String title, List<String[]> items) {
        List<String> ev = new ArrayList<>();
        List<String> absent = new ArrayList<>();
        for (String[] i : items) {
            boolean there = Files.exists(repo.resolve(i[1]));
            ev.add((there ? "present: " : "ABSENT: ") + i[0] + " (" + i[1] + ")");
            if (!there) {
                absent.add(i[0]);
            }
        }
        return new Gate(gate, title, absent.isEmpty() ? "pass" : "missing", absent.isEmpty()
                ? "every item present (a checklist: a person reviews each)" : "absent: " + String.join(", ", absent),
                ev);
    }

    Gate gateD() {
        return checklist("D", "operability: dashboards, alerts, runbooks, on-call dry run", List.of(
                new String[]{"Grafana dashboard", "ops/grafana/fli.json"},
                new String[]{"alert rules", "ops/prometheus/alerts.yml"},
                new String[]{"runbooks", "docs/runbooks/README.md"},
                new String[]{"upgrade and rollback guide", "docs/upgrade.md"},
                new String[]{"drill notes (fli drill, kept in docs/drills)", "docs/drills"}));
    }

    Gate gateE() {
        String title = "security: TLS, secrets, permission model";
        Gate docs = checklist("E", title, List.of(
                new String[]{"security review (threat model, permissions)", "docs/security.md"},
                new String[]{"least-privilege object-store policy", "docker/minio-fli-app-policy.json"},
                new String[]{"secure Docker profile (ScyllaDB + MinIO)", "docker/docker-compose.secure.yml"}));
        // The refusals on the real servers' secure profile, and a secure fli test run with its secret scan.
        List<String> problems = new ArrayList<>();
        List<String> ev = new ArrayList<>(docs.evidence());
        ev.addAll(suiteEvidence(List.of("io.fli.backends.SecureBackendsTest", "io.fli.cli.SecureTestCommandTest",
                "io.fli.backends.SecretsTest", "io.fli.cli.AdminCommandTest"), problems));
        if (problems.stream().anyMatch(p -> p.endsWith("failed"))) {
            return new Gate("E", title, "fail", "failed: " + String.join("; ", problems), ev);
        }
        if (!problems.isEmpty() || !docs.status().equals("pass")) {
            List<String> why = new ArrayList<>(problems);
            if (!docs.status().equals("pass")) {
                why.add(docs.why());
            }
            return new Gate("E", title, "missing", String.join("; ", why), ev);
        }
        return new Gate("E", title, "pass", "the secure profile's refusal tests and a secure run with its secret scan "
                + "passed; review documents present (a person reviews and approves them)", ev);
    }

    /** The seed's section 10 evidence artifacts: {name, present|missing, where}. */
    List<String[]> artifacts() {
        List<String[]> a = new ArrayList<>();
        a.add(new String[]{"1 test report for all matrix categories", runs.isEmpty() && suites.isEmpty() ? "missing"
                : "present", "this report: " + runs.size() + " test runs, " + suites.size() + " test suites"});
        a.add(new String[]{"2 soak/perf report with raw data and trend plots", soaks.isEmpty() ? "missing"
                : "present", soaks.isEmpty() ? "no soak found" : soaks.get(0).dir() + " (soak.json, timeseries.jsonl, "
                + ".hlog, plots)"});
        a.add(new String[]{"3 runbook links, on-call drill notes", Files.exists(repo.resolve("docs/runbooks"))
                && Files.exists(repo.resolve("docs/drills")) ? "present" : "missing",
                "docs/runbooks/ " + (Files.exists(repo.resolve("docs/runbooks")) ? "present" : "absent")
                        + "; drill notes docs/drills/ " + (Files.exists(repo.resolve("docs/drills")) ? "present"
                        : "absent")});
        a.add(new String[]{"4 security review summary", Files.exists(repo.resolve("docs/security.md")) ? "present"
                : "missing", "docs/security.md"});
        a.add(new String[]{"5 release checklist signed by owners", "missing", "signed by people, outside fli"});
        return a;
    }

    // ------------------------------------------------------------------ the page

    private String html(List<Gate> gates) throws IOException {
        StringBuilder b = new StringBuilder();
        b.append("<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>fli sign-off report</title><style>")
                .append("body{font:14px system-ui,sans-serif;margin:24px;color:#222;max-width:1200px}")
                .append("table{border-collapse:collapse;margin:8px 0}td,th{border:1px solid #ccc;padding:4px 8px;")
                .append("text-align:left;vertical-align:top}.pass{background:#cfc}.fail{background:#fcc}")
                .append(".missing{background:#eee}img{max-width:100%;border:1px solid #ddd;margin:6px 0}")
                .append("code{font-size:12px}</style></head><body>");
        b.append("<h1>fli sign-off report</h1><p>Generated ").append(esc(Instant.now().toString())).append(" from ")
                .append(runs.size()).append(" test runs, ").append(soaks.size()).append(" soaks, ")
                .append(slos.size()).append(" SLO runs and ").append(suites.size()).append(" test suites under ");
        for (Path p : paths) {
            b.append("<code>").append(esc(p.toAbsolutePath().normalize().toString())).append("</code> ");
        }
        b.append(". Raw data: <a href=\"report.json\">report.json</a>.</p>");
        if (!findings.isEmpty()) {
            b.append("<p>Saved runs of past findings (failures found and fixed earlier; listed, not counted in a gate):");
            for (Path f : findings) {
                b.append(" <code>").append(esc(f.toString())).append("</code>");
            }
            b.append("</p>");
        }
        b.append("<table><tr><th>gate</th><th>what</th><th>status</th><th>why</th></tr>");
        for (Gate g : gates) {
            b.append("<tr><td><a href=\"#gate-").append(g.gate()).append("\">").append(g.gate()).append("</a></td><td>")
                    .append(esc(g.title())).append("</td><td class=\"").append(g.status()).append("\">")
                    .append(g.status()).append("</td><td>").append(esc(g.why())).append("</td></tr>");
        }
        b.append("</table>");
        for (Gate g : gates) {
            b.append("<h2 id=\"gate-").append(g.gate()).append("\">Gate ").append(g.gate()).append(": ")
                    .append(esc(g.title())).append(" — <span class=\"").append(g.status()).append("\">")
                    .append(g.status()).append("</span></h2><ul>");
            for (String e : g.evidence()) {
                b.append("<li>").append(esc(e)).append("</li>");
            }
            b.append("</ul>");
            if (g.gate().equals("B")) {
                matrixTable(b);
            }
            if (g.gate().equals("C")) {
                for (Soak s : soaks) {
                    plots(b, s.dir(), List.of("soak-latency-p99.png", "soak-heap.png", "soak-rss.png",
                            "soak-throughput.png", "soak-storage.png", "soak-backlog-lag.png"));
                }
                for (Slo s : slos) {
                    plots(b, s.dir(), List.of("slo-lease-holder-warm.png", "slo-other-process-warm.png",
                            "slo-lease-holder-cold.png", "slo-other-process-cold.png"));
                }
            }
        }
        b.append("<h2>Evidence artifacts (seed section 10)</h2><table><tr><th>artifact</th><th>status</th>")
                .append("<th>where</th></tr>");
        for (String[] a : artifacts()) {
            b.append("<tr><td>").append(esc(a[0])).append("</td><td class=\"")
                    .append(a[1].equals("present") ? "pass" : "missing").append("\">").append(a[1])
                    .append("</td><td>").append(esc(a[2])).append("</td></tr>");
        }
        b.append("</table>");
        b.append("<h2>Test runs</h2><table><tr><th>run</th><th>workload</th><th>backend</th><th>nemesis</th>")
                .append("<th>verdict</th><th>operations</th><th>faults</th><th>anomalies</th><th>timeline</th></tr>");
        for (TestRun r : runs) {
            b.append("<tr><td><code>").append(esc(r.dir().toString())).append("</code></td><td>").append(esc(r.workload()))
                    .append("</td><td>").append(esc(r.backend())).append("</td><td>")
                    .append(esc(String.join(",", r.nemesis()))).append("</td><td class=\"")
                    .append(r.valid().equals("valid") ? "pass" : "fail").append("\">").append(r.valid())
                    .append("</td><td>").append(r.ops()).append("</td><td>").append(r.faults()).append("</td><td>")
                    .append(r.anomalies()).append("</td><td>");
            if (Files.exists(r.dir().resolve("timeline.html"))) {
                b.append("<a href=\"").append(esc(r.dir().toAbsolutePath().resolve("timeline.html").toUri().toString()))
                        .append("\">timeline</a>");
            }
            b.append("</td></tr>");
        }
        b.append("</table>");
        if (!runs.isEmpty()) {
            b.append("<h3>Plots of the first run with faults</h3>");
            runs.stream().filter(r -> r.faults() > 0).findFirst().ifPresent(r -> {
                try {
                    plots(b, r.dir(), List.of("latency-raw.png", "latency-quantiles.png", "rate.png"));
                } catch (IOException e) {
                    b.append("<p>plots not copied: ").append(esc(e.toString())).append("</p>");
                }
            });
        }
        b.append("</body></html>\n");
        return b.toString();
    }

    private void matrixTable(StringBuilder b) {
        Map<String, Map<String, List<TestRun>>> m = matrix();
        if (m.isEmpty()) {
            return;
        }
        List<String> faults = m.values().stream().flatMap(x -> x.keySet().stream()).distinct().sorted().toList();
        b.append("<table><tr><th>workload \\ faults</th>");
        faults.forEach(f -> b.append("<th>").append(esc(f)).append("</th>"));
        b.append("</tr>");
        for (var w : m.entrySet()) {
            b.append("<tr><th>").append(esc(w.getKey())).append("</th>");
            for (String f : faults) {
                List<TestRun> c = w.getValue().get(f);
                if (c == null) {
                    b.append("<td class=\"missing\">—</td>");
                    continue;
                }
                long bad = c.stream().filter(r -> !r.valid().equals("valid")).count();
                b.append("<td class=\"").append(bad == 0 ? "pass" : "fail").append("\">").append(c.size() - bad)
                        .append("/").append(c.size()).append(" valid<br>")
                        .append(c.stream().mapToLong(TestRun::ops).sum()).append(" ops, ")
                        .append(c.stream().mapToLong(TestRun::faults).sum()).append(" faults</td>");
            }
            b.append("</tr>");
        }
        b.append("</table>");
    }

    private int plotCount;

    /** Copies the plots that exist into DIR/plots and shows them. */
    private void plots(StringBuilder b, Path dir, List<String> names) throws IOException {
        for (String n : names) {
            Path p = dir.resolve(n);
            if (!Files.exists(p)) {
                continue;
            }
            String copy = "plots/" + (++plotCount) + "-" + n;
            Files.copy(p, out.resolve(copy), StandardCopyOption.REPLACE_EXISTING);
            b.append("<div><img src=\"").append(copy).append("\" alt=\"").append(esc(n)).append("\"><br><code>")
                    .append(esc(p.toString())).append("</code></div>");
        }
    }

    private static String esc(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
