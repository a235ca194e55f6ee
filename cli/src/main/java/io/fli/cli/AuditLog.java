package io.fli.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * The admin audit log (seed §5.5.4): one JSON line per action — time, actor, action, arguments with secrets
 * redacted, outcome and a detail — appended and forced to disk (fsync) before the action is reported done. A line
 * that cannot be made durable fails the command: an action the audit log does not hold is not reported as done.
 */
final class AuditLog {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Option names whose value is a secret. */
    private static final Pattern SECRET_OPTION = Pattern.compile("(?i).*(password|secret|token|credential|key).*");
    static final String REDACTED = "<redacted>";

    private final Path file;

    AuditLog(Path file) {
        this.file = file;
    }

    Path file() {
        return file;
    }

    /**
     * Appends one action and forces it to disk.
     *
     * @param secrets values that must never appear (the credentials in use), replaced wherever they occur
     */
    void append(String actor, String action, List<String> args, String outcome, JsonNode detail,
                Collection<String> secrets) throws IOException {
        ObjectNode n = JSON.createObjectNode();
        n.put("time", Instant.now().toString());
        n.put("actor", actor);
        n.put("action", action);
        n.set("args", JSON.valueToTree(redact(args, secrets)));
        n.put("outcome", outcome);
        if (detail != null) {
            n.set("detail", detail);
        }
        String line = scrub(JSON.writeValueAsString(n), secrets) + "\n";
        if (file.getParent() != null) {
            Files.createDirectories(file.getParent());
        }
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.APPEND)) {
            ByteBuffer b = ByteBuffer.wrap(line.getBytes(StandardCharsets.UTF_8));
            while (b.hasRemaining()) {
                ch.write(b);
            }
            ch.force(true);
        }
    }

    /** The arguments with the value of every secret-named option, and every known secret, redacted. */
    static List<String> redact(List<String> args, Collection<String> secrets) {
        List<String> out = new ArrayList<>(args.size());
        boolean nextIsSecret = false;
        for (String a : args) {
            if (nextIsSecret) {
                out.add(REDACTED);
                nextIsSecret = false;
                continue;
            }
            int eq = a.indexOf('=');
            if (a.startsWith("-") && eq > 0 && SECRET_OPTION.matcher(a.substring(0, eq)).matches()) {
                out.add(a.substring(0, eq + 1) + REDACTED);
                continue;
            }
            if (a.startsWith("-") && eq < 0 && SECRET_OPTION.matcher(a).matches()) {
                out.add(a);
                nextIsSecret = true;
                continue;
            }
            out.add(scrub(a, secrets));
        }
        return out;
    }

    private static String scrub(String s, Collection<String> secrets) {
        for (String secret : secrets) {
            if (secret != null && secret.length() >= 4) {
                s = s.replace(secret, REDACTED);
            }
        }
        return s;
    }

    /** Who acts: {@code --actor}, else the operating-system user. */
    static String actor(String given) {
        if (given != null && !given.isBlank()) {
            return given;
        }
        String user = System.getProperty("user.name");
        return user == null || user.isBlank() ? "unknown" : user.toLowerCase(Locale.ROOT);
    }
}
