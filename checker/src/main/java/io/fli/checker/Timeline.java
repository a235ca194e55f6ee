package io.fli.checker;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * A self-contained HTML timeline of a history: operations per process on a time axis, anomalies highlighted and
 * linked to their operations. It stays small for any history size: it draws only the neighbourhood of each anomaly
 * (or the start and end of a valid history) and summarises the operations in between by counts.
 */
public final class Timeline {
    /** Operations drawn on either side of an anomaly's operations. */
    static final int CONTEXT = 40;
    /** At most this many windows are drawn. */
    static final int MAX_WINDOWS = 40;

    private Timeline() {
    }

    private record Window(int from, int to) {
    }

    public static String html(History h, CheckResult r) {
        return html(h, r, -1, -1);
    }

    /**
     * The timeline of operations {@code from..to} only (inclusive, clamped to the history), for browsing any window of
     * a long run ({@code fli check FILE --html OUT --window FROM-TO}); with {@code from < 0}, the neighbourhoods of the
     * anomalies, or the start and the end.
     */
    public static String html(History h, CheckResult r, int from, int to) {
        List<Op> ops = h.ops();
        Map<Integer, Integer> partner = new HashMap<>();
        Map<Integer, Integer> open = new HashMap<>();
        for (Op op : ops) {
            if (op.isNemesis()) {
                continue;
            }
            if (op.type() == Op.Type.INVOKE) {
                open.put(op.process(), op.index());
            } else {
                Integer inv = open.remove(op.process());
                if (inv != null) {
                    partner.put(inv, op.index());
                    partner.put(op.index(), inv);
                }
            }
        }
        Map<Integer, List<Integer>> anomaliesByOp = new HashMap<>();
        TreeSet<Integer> flagged = new TreeSet<>();
        for (int i = 0; i < r.anomalies().size(); i++) {
            for (int o : r.anomalies().get(i).ops()) {
                anomaliesByOp.computeIfAbsent(o, k -> new ArrayList<>()).add(i);
                flagged.add(o);
                Integer p = partner.get(o);
                if (p != null) {
                    flagged.add(p);
                }
            }
        }
        List<Window> windows = from < 0 || ops.isEmpty() ? windows(ops.size(), flagged)
                : List.of(new Window(Math.min(from, ops.size() - 1), Math.max(Math.min(from, ops.size() - 1),
                Math.min(to, ops.size() - 1))));
        StringBuilder sb = new StringBuilder(64 * 1024);
        sb.append("<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>fli timeline</title><style>")
                .append("body{font:13px system-ui,sans-serif;margin:16px;color:#222}h1{font-size:18px}")
                .append(".ok{fill:#6c6}.fail{fill:#e66}.info{fill:#fb4}.open{fill:#bbb}.nem{fill:#88f}")
                .append("rect.bad{stroke:#c00;stroke-width:2.5}svg{border:1px solid #ddd;background:#fafafa}")
                .append(".gap{color:#777;margin:8px 0;padding:6px;background:#f0f0f0}li{margin:3px 0}")
                .append("text{font:11px monospace}</style></head><body>");
        sb.append("<h1>").append(switch (r.valid()) {
            case VALID -> "valid";
            case INVALID -> "INVALID";
            default -> "unknown";
        }).append(" — ").append(ops.size()).append(" operations");
        long total = Reports.total(r);
        if (total > 0) {
            sb.append(", ").append(total).append(total == 1 ? " anomaly" : " anomalies");
            if (total > r.anomalies().size()) {
                sb.append(" (the first ").append(r.anomalies().size()).append(" listed)");
            }
        }
        sb.append("</h1>");
        if (!r.anomalies().isEmpty()) {
            sb.append("<ol>");
            for (int i = 0; i < r.anomalies().size(); i++) {
                Anomaly a = r.anomalies().get(i);
                sb.append("<li id=\"anomaly-").append(i).append("\"><b>").append(a.invariant().wire())
                        .append("</b> ");
                for (int o : a.ops()) {
                    sb.append("<a href=\"#op-").append(o).append("\">").append(o).append("</a> ");
                }
                sb.append(esc(a.explanation())).append("</li>");
            }
            sb.append("</ol>");
            if (total > r.anomalies().size()) {
                sb.append("<p>... and ").append(total - r.anomalies().size()).append(" more anomalies (")
                        .append(total).append(" in all; at most ").append(Checker.MAX_ANOMALIES_PER_INVARIANT)
                        .append(" per invariant are listed).</p>");
            }
        } else if (from < 0) {
            sb.append("<p>No anomalies. The start and the end of the history are drawn.</p>");
        }
        if (from >= 0 && !windows.isEmpty()) {
            sb.append("<p>Operations ").append(windows.get(0).from).append("–").append(windows.get(0).to)
                    .append(" of ").append(ops.size()).append(".</p>");
        }
        sb.append("<p>Any other stretch: <code>fli check HISTORY --html OUT.html --window FROM-TO</code> "
                + "(operation indexes).</p>");
        if (windows.size() == MAX_WINDOWS) {
            sb.append("<p>The neighbourhoods of the first ").append(MAX_WINDOWS).append(" stretches with anomalies are ")
                    .append("drawn; the list above links every listed anomaly's operations.</p>");
        }
        int shownUpTo = 0;
        for (Window w : windows) {
            if (w.from > shownUpTo) {
                gap(sb, ops, shownUpTo, w.from);
            }
            svg(sb, ops, w, partner, anomaliesByOp);
            shownUpTo = w.to + 1;
        }
        if (shownUpTo < ops.size()) {
            gap(sb, ops, shownUpTo, ops.size());
        }
        sb.append("</body></html>\n");
        return sb.toString();
    }

    private static List<Window> windows(int n, TreeSet<Integer> flagged) {
        List<Window> out = new ArrayList<>();
        if (n == 0) {
            return out;
        }
        if (flagged.isEmpty()) {
            out.add(new Window(0, Math.min(n - 1, 3 * CONTEXT)));
            if (n - 1 - 3 * CONTEXT > 3 * CONTEXT) {
                out.add(new Window(n - 1 - 3 * CONTEXT, n - 1));
            }
            return out;
        }
        int from = -1;
        int to = -1;
        for (int o : flagged) {
            int lo = Math.max(0, o - CONTEXT);
            int hi = Math.min(n - 1, o + CONTEXT);
            if (from >= 0 && lo <= to + 1 && hi - from < 10 * CONTEXT) {
                to = Math.max(to, hi);
            } else {
                if (from >= 0) {
                    out.add(new Window(from, to));
                }
                if (out.size() == MAX_WINDOWS) {
                    return out;
                }
                from = lo;
                to = hi;
            }
        }
        out.add(new Window(from, to));
        return out;
    }

    private static void gap(StringBuilder sb, List<Op> ops, int from, int to) {
        Map<String, Integer> counts = new TreeMap<>();
        for (int i = from; i < to; i++) {
            Op op = ops.get(i);
            if (op.type() != Op.Type.INVOKE) {
                counts.merge(op.f() + " " + op.type().wire(), 1, Integer::sum);
            }
        }
        sb.append("<div class=\"gap\">… operations ").append(from).append("–").append(to - 1).append(" (")
                .append(to - from).append(" lines) not drawn: ");
        counts.forEach((k, v) -> sb.append(esc(k)).append(' ').append(v).append("; "));
        sb.append("</div>");
    }

    private static void svg(StringBuilder sb, List<Op> ops, Window w, Map<Integer, Integer> partner,
                            Map<Integer, List<Integer>> anomaliesByOp) {
        TreeMap<Integer, Integer> lanes = new TreeMap<>();
        for (int i = w.from; i <= w.to; i++) {
            lanes.putIfAbsent(ops.get(i).process(), 0);
        }
        int lane = 0;
        for (Map.Entry<Integer, Integer> e : lanes.entrySet()) {
            e.setValue(lane++);
        }
        long t0 = ops.get(w.from).time();
        long t1 = Math.max(t0 + 1, ops.get(w.to).time());
        int width = 1100;
        int left = 90;
        int rowH = 18;
        int height = lanes.size() * rowH + 30;
        double scale = (width - left - 10) / (double) (t1 - t0);
        sb.append("<p>operations ").append(w.from).append("–").append(w.to).append("</p><svg width=\"")
                .append(width).append("\" height=\"").append(height).append("\">");
        for (Map.Entry<Integer, Integer> e : lanes.entrySet()) {
            int y = e.getValue() * rowH + 14;
            sb.append("<text x=\"4\" y=\"").append(y + 10).append("\">")
                    .append(e.getKey() == Op.NEMESIS ? "nemesis" : "process " + e.getKey()).append("</text>");
        }
        for (int i = w.from; i <= w.to; i++) {
            Op op = ops.get(i);
            Integer other = partner.get(i);
            if (!op.isNemesis() && op.type() != Op.Type.INVOKE && other != null && other >= w.from) {
                continue; // drawn with its invoke
            }
            Op inv = op;
            Op done = op;
            if (!op.isNemesis() && other != null) {
                if (op.type() == Op.Type.INVOKE) {
                    done = ops.get(other);
                } else {
                    inv = ops.get(other);
                }
            }
            double x0 = left + Math.max(0, inv.time() - t0) * scale;
            double x1 = left + Math.min(t1 - t0, done.time() - t0) * scale;
            double wpx = Math.max(3, x1 - x0);
            int y = lanes.get(op.process()) * rowH + 14;
            String cls = op.isNemesis() ? "nem" : done == inv && op.type() == Op.Type.INVOKE ? "open"
                    : done.type().wire();
            boolean bad = anomaliesByOp.containsKey(inv.index()) || anomaliesByOp.containsKey(done.index());
            sb.append("<a id=\"op-").append(done.index()).append("\"></a>");
            if (done != inv) {
                sb.append("<a id=\"op-").append(inv.index()).append("\"></a>");
            }
            sb.append(String.format("<rect class=\"%s%s\" x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"%d\">",
                    cls, bad ? " bad" : "", x0, y, wpx, rowH - 4));
            sb.append("<title>").append(esc(describe(inv, done))).append("</title></rect>");
        }
        sb.append("</svg>");
    }

    private static String describe(Op inv, Op done) {
        StringBuilder s = new StringBuilder();
        s.append(inv.index()).append(inv != done ? "→" + done.index() : "").append(' ').append(done.f()).append(' ')
                .append(done == inv && !inv.isNemesis() ? "(incomplete)" : done.type().wire());
        Op.Value v = done.value();
        if (v instanceof Op.Acquire a) {
            s.append(" writer ").append(a.writer()).append(a.epoch() == null ? "" : " epoch " + a.epoch());
        } else if (v instanceof Op.Publish p) {
            s.append(" writer ").append(p.writer()).append(" epoch ").append(p.epoch()).append(" blocks ")
                    .append(p.blocks().get(0).number()).append("..")
                    .append(p.blocks().get(p.blocks().size() - 1).number())
                    .append(p.head() == null ? "" : " head " + p.head());
        } else if (v instanceof Op.Query q) {
            s.append(" [").append(q.from()).append(", ").append(q.to()).append("]")
                    .append(q.logs() == null ? "" : " head " + q.head() + ", " + q.logs().size() + " logs");
        } else if (v instanceof Op.Nemesis n) {
            s.append(' ').append(n.description());
        }
        if (v instanceof Op.Query q && q.error() != null) {
            s.append(" error ").append(q.error());
        }
        return s.toString();
    }

    private static String esc(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
