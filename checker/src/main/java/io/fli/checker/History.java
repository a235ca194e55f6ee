package io.fli.checker;

import com.fasterxml.jackson.databind.JsonNode;
import io.fli.checker.internal.HistoryParser;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * A parsed history: the header's {@code test} object and the operations in file order.
 *
 * @param test      free-form configuration from the header, copied into results
 * @param ops       every operation line, {@code ops.get(i).index() == i}
 * @param truncated the file is a gzip stream that ends early (a soak still writing it, or killed): its complete
 *                  lines were read and the cut-off last line, if any, left out
 */
public record History(JsonNode test, List<Op> ops, boolean truncated) {
    public History {
        ops = List.copyOf(ops);
    }

    /** A complete history. */
    public History(JsonNode test, List<Op> ops) {
        this(test, ops, false);
    }

    /**
     * Reads a history file ({@code .gz} is decompressed; a gzip stream that ends early — a history still being
     * written — gives its complete lines, {@link #truncated()}).
     *
     * @throws HistoryFormatException the file breaks format v1; the message names the line and the rule
     * @throws IOException            the file cannot be read
     */
    public static History read(Path file) throws IOException {
        return HistoryParser.read(file);
    }
}
