package io.fli.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fli.backends.Endpoints;
import io.fli.backends.LocalBackends;
import io.fli.backends.MinioBlobStore;
import io.fli.backends.ScyllaMetaStore;
import io.fli.engine.Admin;
import io.fli.engine.BlobStore;
import io.fli.engine.GcReport;
import io.fli.engine.IndexConfig;
import io.fli.engine.LeaseHeldException;
import io.fli.engine.LogIndex;
import io.fli.engine.MetaStore;
import io.fli.engine.Writer;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.function.Function;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code fli admin}: what an operator does to a running index's stores — read its state, its lease, scan every
 * blob — each action appended to the audit log (and fsync'd) before it is reported done.
 */
@Command(name = "admin", mixinStandardHelpOptions = true,
        description = {"Operate on an index's stores (CQL + S3) directly: status, lease, a full checksum scan.",
                "Every action is appended to the audit log (--audit-log) and forced to disk before it is reported.",
                "Stores: --backend remote (FLI_CQL_* and FLI_S3_*, as fli serve) or local (the servers of --store)."},
        subcommands = {AdminCommand.Status.class, AdminCommand.Lease.class, AdminCommand.Verify.class,
                AdminCommand.Gc.class, AdminCommand.Migrate.class, AdminCommand.ClearDegraded.class})
final class AdminCommand implements Callable<Integer> {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Spec
    CommandSpec spec;

    @Option(names = "--backend", description = "remote (default: the stores FLI_CQL_* and FLI_S3_* name) or local "
            + "(start Cassandra and S3Proxy over --store, as fli serve --backend local left them).")
    String backend = "remote";

    @Option(names = "--store", description = "The local servers' folder (default: ${DEFAULT-VALUE}).")
    Path store = Path.of("store", "serve");

    @Option(names = "--audit-log", paramLabel = "FILE", description = "The audit log (default: ${DEFAULT-VALUE}).")
    Path auditLog = Path.of("store", "audit.jsonl");

    @Option(names = "--actor", description = "Who acts, as recorded in the audit log (default: the OS user).")
    String actor;

    /** Tests replace how the stores are opened (in-memory stores); null in production. */
    static Function<AdminCommand, Opened> openForTests;

    @Override
    public Integer call() {
        spec.commandLine().usage(spec.commandLine().getOut());
        return 2;
    }

    /** The stores an action runs on, what to close, and the credentials the audit log must never hold. */
    record Opened(MetaStore meta, BlobStore blobs, List<AutoCloseable> closing, List<String> secrets) {
    }

    private Opened open() throws IOException {
        if (openForTests != null) {
            return openForTests.apply(this);
        }
        if (!backend.equals("remote") && !backend.equals("local")) {
            throw Inputs.bad(spec, "--backend must be remote or local, got '" + backend + "'");
        }
        List<AutoCloseable> closing = new ArrayList<>();
        Endpoints at = backend.equals("local")
                ? Endpoints.local(Files.createDirectories(store).resolve("servers"), "fli")
                : Endpoints.fromEnvironment();
        LocalBackends local = at.servers();
        try {
            ScyllaMetaStore m = ScyllaMetaStore.connect(at.cql());
            closing.add(m);
            MinioBlobStore b = MinioBlobStore.connect(at.s3());
            closing.add(0, b);
            if (local != null) {
                closing.add(local);
            }
            List<String> secrets = new ArrayList<>();
            secrets.add(at.cql().password());
            secrets.add(at.s3().secretKey());
            return new Opened(m, b, closing, secrets);
        } catch (RuntimeException e) {
            for (AutoCloseable c : closing) {
                closeQuietly(c);
            }
            if (local != null) {
                local.close();
            }
            throw e;
        }
    }

    private static void closeQuietly(AutoCloseable c) {
        try {
            c.close();
        } catch (Exception e) {
            // closing after the action
        }
    }

    /** Runs one action: opens the stores, acts, audits (durably), then prints. */
    interface Action {
        /** The outcome: exit code, the detail for the audit log and the text to print. */
        Result run(Opened stores) throws Exception;
    }

    record Result(int code, String outcome, ObjectNode detail, String text) {
    }

    int act(CommandSpec sub, String action, Action a) throws Exception {
        PrintWriter out = sub.commandLine().getOut();
        PrintWriter err = sub.commandLine().getErr();
        AuditLog audit = new AuditLog(auditLog);
        List<String> args = sub.commandLine().getParseResult() == null ? List.of()
                : sub.commandLine().getParseResult().originalArgs();
        String who = AuditLog.actor(actor);
        Opened stores;
        try {
            stores = open();
        } catch (RuntimeException e) {
            audit.append(who, action, args, "failed", JSON.createObjectNode().put("error",
                    "cannot reach the stores: " + e.getMessage()), List.of());
            err.println("fli admin " + action + ": cannot reach the stores (" + e.getMessage() + "); audit log: "
                    + audit.file());
            return 2;
        }
        try {
            Result r;
            try {
                r = a.run(stores);
            } catch (RuntimeException e) {
                audit.append(who, action, args, "failed", JSON.createObjectNode().put("error", String.valueOf(
                        e.getMessage())), stores.secrets());
                err.println("fli admin " + action + ": failed: " + e.getMessage());
                return 2;
            }
            audit.append(who, action, args, r.outcome(), r.detail(), stores.secrets());
            out.print(r.text());
            out.flush();
            return r.code();
        } finally {
            for (AutoCloseable c : stores.closing()) {
                closeQuietly(c);
            }
        }
    }

    // ------------------------------------------------------------------ status

    @Command(name = "status", mixinStandardHelpOptions = true,
            description = "The committed meta/state: head, lease, manifest (read at QUORUM; takes no lease).")
    static final class Status implements Callable<Integer> {
        @Spec
        CommandSpec spec;
        @ParentCommand
        AdminCommand admin;
        @Option(names = "--json", description = "Print JSON.")
        boolean json;

        @Override
        public Integer call() throws Exception {
            return admin.act(spec, "status", stores -> {
                Optional<Admin.Status> s = Admin.status(stores.meta());
                ObjectNode n = statusJson(s);
                return new Result(0, "ok", n.deepCopy().without("segments"), json ? n.toPrettyString() + "\n"
                        : statusText(s));
            });
        }
    }

    static ObjectNode statusJson(Optional<Admin.Status> st) {
        ObjectNode n = JSON.createObjectNode();
        if (st.isEmpty()) {
            return n.put("initialized", false);
        }
        Admin.Status s = st.get();
        n.put("initialized", true).put("state_version", s.version()).put("epoch", s.epoch());
        n.put("head", s.head()).put("head_hash", s.headHash()).put("first_block", s.firstBlock())
                .put("logs", s.nextLogId());
        n.put("lease_holder", s.holder()).put("lease_until", s.leaseUntil() <= 0 ? null
                : Instant.ofEpochMilli(s.leaseUntil()).toString())
                .put("lease_held", s.leaseHeld(System.currentTimeMillis()));
        ArrayNode segs = n.putArray("segments");
        for (Admin.Segment g : s.segments()) {
            segs.addObject().put("tier", g.tier()).put("first_block", g.firstBlock())
                    .put("last_block", g.lastBlock()).put("logs", g.logCount()).put("key", g.key());
        }
        n.put("segment_count", s.segments().size());
        return n;
    }

    static String statusText(Optional<Admin.Status> st) {
        if (st.isEmpty()) {
            return "no meta/state: no writer has opened this index yet\n";
        }
        Admin.Status s = st.get();
        StringBuilder b = new StringBuilder();
        b.append("meta/state version ").append(s.version()).append(", epoch ").append(s.epoch()).append('\n');
        b.append(s.head() == null ? "head: none (nothing published)" : "head " + s.head() + " (" + s.headHash()
                + "), first block " + s.firstBlock() + ", " + s.nextLogId() + " logs").append('\n');
        b.append(leaseText(s)).append('\n');
        long[] tiers = new long[8];
        for (Admin.Segment g : s.segments()) {
            tiers[Math.min(7, g.tier())]++;
        }
        b.append("segments: ").append(s.segments().size());
        for (int t = 0; t < tiers.length; t++) {
            if (tiers[t] > 0) {
                b.append(", tier ").append(t).append(": ").append(tiers[t]);
            }
        }
        b.append('\n');
        return b.toString();
    }

    static String leaseText(Admin.Status s) {
        long now = System.currentTimeMillis();
        if (s.holder() == null) {
            return "lease: never taken";
        }
        return s.leaseHeld(now)
                ? "lease: held by writer '" + s.holder() + "' (epoch " + s.epoch() + ") until "
                + Instant.ofEpochMilli(s.leaseUntil()) + ", for another " + (s.leaseUntil() - now) + " ms"
                : "lease: free (last held by writer '" + s.holder() + "', epoch " + s.epoch() + ", expired "
                + Instant.ofEpochMilli(s.leaseUntil()) + ")";
    }

    // ------------------------------------------------------------------ lease

    @Command(name = "lease", mixinStandardHelpOptions = true, description = "The writer lease.",
            subcommands = {LeaseShow.class, LeaseTakeover.class})
    static final class Lease implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            spec.commandLine().usage(spec.commandLine().getOut());
            return 2;
        }
    }

    @Command(name = "show", mixinStandardHelpOptions = true,
            description = "Who holds the writer lease, with which epoch, until when.")
    static final class LeaseShow implements Callable<Integer> {
        @Spec
        CommandSpec spec;
        @ParentCommand
        Lease lease;
        @Option(names = "--json", description = "Print JSON.")
        boolean json;

        @Override
        public Integer call() throws Exception {
            AdminCommand admin = (AdminCommand) spec.parent().parent().userObject();
            return admin.act(spec, "lease show", stores -> {
                Optional<Admin.Status> s = Admin.status(stores.meta());
                ObjectNode n = JSON.createObjectNode();
                s.ifPresent(x -> n.put("holder", x.holder()).put("epoch", x.epoch())
                        .put("until", x.leaseUntil() <= 0 ? null : Instant.ofEpochMilli(x.leaseUntil()).toString())
                        .put("held", x.leaseHeld(System.currentTimeMillis())));
                return new Result(0, "ok", n, json ? n.toPrettyString() + "\n"
                        : s.map(AdminCommand::leaseText).orElse("lease: no meta/state yet") + "\n");
            });
        }
    }

    @Command(name = "takeover", mixinStandardHelpOptions = true,
            description = {"Takes the writer lease for --writer even from a live holder, bumping the epoch: the "
                    + "previous holder is fenced (its publishes fail; nothing it sends is applied).",
                    "For a holder that is stuck or must be replaced now; a healthy replacement writer takes the lease "
                            + "by itself when the old one expires."})
    static final class LeaseTakeover implements Callable<Integer> {
        @Spec
        CommandSpec spec;
        @Option(names = "--writer", required = true, description = "The writer id that takes the lease.")
        String writer;
        @Option(names = "--reason", required = true, description = "Why (recorded in the audit log).")
        String reason;

        @Override
        public Integer call() throws Exception {
            AdminCommand admin = (AdminCommand) spec.parent().parent().userObject();
            return admin.act(spec, "lease takeover", stores -> {
                Optional<Admin.Status> before = Admin.status(stores.meta());
                LogIndex index = LogIndex.open(stores.meta(), stores.blobs(), IndexConfig.defaults());
                try {
                    long epoch = index.writer(writer).takeOver();
                    ObjectNode n = JSON.createObjectNode().put("writer", writer).put("epoch", epoch)
                            .put("reason", reason).put("previous_holder", before.map(Admin.Status::holder)
                                    .orElse(null)).put("previous_epoch", before.map(Admin.Status::epoch).orElse(null));
                    return new Result(0, "ok", n, "lease taken over by writer '" + writer + "' with epoch " + epoch
                            + before.filter(b -> b.holder() != null).map(b -> " (writer '" + b.holder()
                            + "', epoch " + b.epoch() + ", is fenced)").orElse("") + "\n");
                } finally {
                    index.close();
                }
            });
        }
    }

    // ------------------------------------------------------------------ gc

    @Command(name = "gc", mixinStandardHelpOptions = true,
            description = {"Deletes blobs the committed state does not reference and that are older than the grace "
                    + "period. Fenced: it takes the writer lease as --writer first, so it refuses while another "
                    + "writer holds it (GC runs in the holder on its schedule).",
                    "--dry-run: what it would delete and what it keeps as backlog, without lease or delete."})
    static final class Gc implements Callable<Integer> {
        @Spec
        CommandSpec spec;
        @ParentCommand
        AdminCommand admin;
        @Option(names = "--dry-run", description = "Plan only.")
        boolean dryRun;
        @Option(names = "--grace", description = "Keep unreferenced blobs younger than this (default: the engine's, "
                + "${DEFAULT-VALUE}).")
        String grace = IndexConfig.defaults().gcGrace().toSeconds() + "s";
        @Option(names = "--writer", description = "The writer id GC runs as (default: ${DEFAULT-VALUE}).")
        String writer = "admin";
        @Option(names = "--json", description = "Print JSON.")
        boolean json;

        @Override
        public Integer call() throws Exception {
            java.time.Duration g = grace.matches("0+(ms|s|m|h)?") ? java.time.Duration.ZERO
                    : Inputs.duration(spec, "--grace", grace); // zero: everything unreferenced is due
            return admin.act(spec, dryRun ? "gc --dry-run" : "gc", stores -> {
                if (dryRun) {
                    Admin.GcPlan plan = Admin.gcPlan(stores.meta(), stores.blobs(), System.currentTimeMillis(),
                            g.toMillis());
                    ObjectNode n = JSON.createObjectNode().put("referenced", plan.referenced())
                            .put("due", plan.due().size()).put("due_bytes", plan.dueBytes())
                            .put("backlog", plan.young().size()).put("backlog_bytes", plan.youngBytes());
                    ArrayNode keys = n.putArray("due_keys");
                    plan.due().stream().limit(1000).forEach(b -> keys.add(b.key()));
                    StringBuilder t = new StringBuilder("gc --dry-run: " + plan.referenced() + " referenced blobs; "
                            + plan.due().size() + " unreferenced older than " + grace + " would be deleted ("
                            + plan.dueBytes() + " bytes); " + plan.young().size() + " younger kept as backlog ("
                            + plan.youngBytes() + " bytes)\n");
                    plan.due().stream().limit(20).forEach(b -> t.append("  ").append(b.key()).append('\n'));
                    return new Result(0, "ok", n, json ? n.toPrettyString() + "\n" : t.toString());
                }
                LogIndex index = LogIndex.open(stores.meta(), stores.blobs(), IndexConfig.defaults().withGcGrace(g));
                try {
                    Writer w = index.writer(writer);
                    try {
                        w.acquire();
                    } catch (LeaseHeldException e) {
                        ObjectNode n = JSON.createObjectNode().put("refused", e.getMessage());
                        return new Result(1, "refused", n, "gc refused: " + e.getMessage() + "; GC runs in the lease "
                                + "holder on its schedule (or take the lease first: fli admin lease takeover)\n");
                    }
                    GcReport r = w.gc();
                    ObjectNode n = JSON.createObjectNode().put("referenced", r.referenced())
                            .put("deleted", r.deleted().size()).put("deleted_bytes", r.deletedBytes())
                            .put("backlog", r.tooYoung()).put("backlog_bytes", r.tooYoungBytes());
                    return new Result(0, "ok", n, json ? n.toPrettyString() + "\n" : "gc: deleted "
                            + r.deleted().size() + " blobs (" + r.deletedBytes() + " bytes); " + r.tooYoung()
                            + " younger than " + grace + " kept; " + r.referenced() + " referenced\n");
                } finally {
                    index.close();
                }
            });
        }
    }

    // ------------------------------------------------------------------ clear-degraded

    @Command(name = "clear-degraded", mixinStandardHelpOptions = true,
            description = {"Asks a running fli serve (--url) to leave the degraded state. It refuses (exit 1, "
                    + "naming what is still damaged) while the cause is present: it drops its caches and reads and "
                    + "checks every referenced blob first.", "A finality violation is re-detected by the writer at "
                    + "its next publish while the source still disagrees."})
    static final class ClearDegraded implements Callable<Integer> {
        @Spec
        CommandSpec spec;
        @ParentCommand
        AdminCommand admin;
        @Option(names = "--url", description = "The fli serve to clear (default: ${DEFAULT-VALUE}).")
        String url = "http://127.0.0.1:8545";
        @Option(names = "--reason", required = true, description = "Why (recorded in the audit log).")
        String reason;

        @Override
        public Integer call() throws Exception {
            PrintWriter out = spec.commandLine().getOut();
            PrintWriter err = spec.commandLine().getErr();
            AuditLog audit = new AuditLog(admin.auditLog);
            List<String> args = spec.commandLine().getParseResult().originalArgs();
            String who = AuditLog.actor(admin.actor);
            java.net.http.HttpClient http = java.net.http.HttpClient.newBuilder()
                    .connectTimeout(java.time.Duration.ofSeconds(10)).build();
            String body = JSON.createObjectNode().put("reason", reason + " (by " + who + ")").toString();
            java.net.http.HttpResponse<String> r;
            try {
                r = http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(url.replaceAll("/+$", "")
                                + "/admin/clear-degraded")).timeout(java.time.Duration.ofMinutes(10))
                        .header("Content-Type", "application/json")
                        .POST(java.net.http.HttpRequest.BodyPublishers.ofString(body)).build(),
                        java.net.http.HttpResponse.BodyHandlers.ofString());
            } catch (IOException | IllegalArgumentException e) {
                audit.append(who, "clear-degraded", args, "failed", JSON.createObjectNode().put("error",
                        "cannot reach " + url + ": " + e.getMessage()), List.of());
                err.println("fli admin clear-degraded: cannot reach " + url + ": " + e.getMessage());
                return 2;
            }
            ObjectNode detail = JSON.createObjectNode().put("url", url).put("http_status", r.statusCode())
                    .put("reason", reason);
            try {
                detail.set("response", JSON.readTree(r.body()));
            } catch (IOException e) {
                detail.put("response", r.body());
            }
            boolean ok = r.statusCode() == 200;
            audit.append(who, "clear-degraded", args, ok ? "ok" : "refused", detail, List.of());
            if (ok) {
                out.println("clear-degraded: " + url + " is " + detail.path("response").path("status").asText());
                out.flush();
                return 0;
            }
            err.println("fli admin clear-degraded: refused by " + url + " (HTTP " + r.statusCode() + "): "
                    + detail.path("response").path("error").asText(r.body()));
            return 1;
        }
    }

    // ------------------------------------------------------------------ migrate

    @Command(name = "migrate", mixinStandardHelpOptions = true,
            description = {"Applies the pending CQL schema migrations (versioned, recorded in <keyspace>."
                    + "schema_migrations), with the credentials FLI_CQL_USERNAME / FLI_CQL_PASSWORD(_FILE) give: "
                    + "a role allowed to create keyspaces and tables.",
                    "The application never changes the schema: it refuses to start on an older one."})
    static final class Migrate implements Callable<Integer> {
        @Spec
        CommandSpec spec;
        @ParentCommand
        AdminCommand admin;

        @Override
        public Integer call() throws Exception {
            PrintWriter out = spec.commandLine().getOut();
            PrintWriter err = spec.commandLine().getErr();
            AuditLog audit = new AuditLog(admin.auditLog);
            List<String> args = spec.commandLine().getParseResult().originalArgs();
            String who = AuditLog.actor(admin.actor);
            if (!admin.backend.equals("remote") && !admin.backend.equals("local")) {
                throw Inputs.bad(spec, "--backend must be remote or local, got '" + admin.backend + "'");
            }
            Endpoints at = admin.backend.equals("local")
                    ? Endpoints.local(Files.createDirectories(admin.store).resolve("servers"), "fli")
                    : Endpoints.fromEnvironment();
            List<String> secrets = new ArrayList<>();
            secrets.add(at.cql().password());
            secrets.add(at.s3().secretKey());
            try {
                int[] v = ScyllaMetaStore.migrate(at.cql());
                ObjectNode n = JSON.createObjectNode().put("keyspace", at.cql().keyspace()).put("from", v[0])
                        .put("to", v[1]);
                audit.append(who, "migrate", args, "ok", n, secrets);
                out.println(v[0] == v[1] ? "migrate: keyspace '" + at.cql().keyspace() + "' is current (schema "
                        + "version " + v[1] + ")" : "migrate: keyspace '" + at.cql().keyspace() + "' from schema "
                        + "version " + v[0] + " to " + v[1]);
                out.flush();
                return 0;
            } catch (RuntimeException e) {
                audit.append(who, "migrate", args, "failed", JSON.createObjectNode().put("error",
                        String.valueOf(e.getMessage())), secrets);
                err.println("fli admin migrate: failed: " + e.getMessage());
                return 2;
            } finally {
                if (at.servers() != null) {
                    at.servers().close();
                }
            }
        }
    }

    // ------------------------------------------------------------------ verify

    @Command(name = "verify", mixinStandardHelpOptions = true,
            description = {"A full checksum scan: reads every segment and pack the committed state references and "
                    + "decodes each with every checksum verified.", "Exit 0: sound. 1: problems (each named)."})
    static final class Verify implements Callable<Integer> {
        @Spec
        CommandSpec spec;
        @ParentCommand
        AdminCommand admin;
        @Option(names = "--json", description = "Print JSON.")
        boolean json;

        @Override
        public Integer call() throws Exception {
            return admin.act(spec, "verify", stores -> {
                Admin.VerifyReport r = Admin.verify(stores.meta(), stores.blobs());
                ObjectNode n = JSON.createObjectNode().put("ok", r.ok()).put("state_version", r.stateVersion())
                        .put("segments", r.segments()).put("packs", r.packs()).put("bytes", r.bytes());
                n.set("problems", JSON.valueToTree(r.problems()));
                StringBuilder t = new StringBuilder();
                t.append("verify: meta/state version ").append(r.stateVersion()).append(": ").append(r.segments())
                        .append(" segments, ").append(r.packs()).append(" packs, ").append(r.bytes())
                        .append(" bytes read: ").append(r.ok() ? "OK" : r.problems().size() + " PROBLEMS")
                        .append('\n');
                r.problems().forEach(p -> t.append("  ").append(p).append('\n'));
                return new Result(r.ok() ? 0 : 1, r.ok() ? "ok" : "problems", n,
                        json ? n.toPrettyString() + "\n" : t.toString());
            });
        }
    }
}
