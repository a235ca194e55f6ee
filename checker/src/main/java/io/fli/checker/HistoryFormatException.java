package io.fli.checker;

/** The file does not follow history format v1. The message names the line and the rule it breaks. */
public final class HistoryFormatException extends RuntimeException {
    private final long line;

    public HistoryFormatException(long line, String rule) {
        super("line " + line + ": " + rule);
        this.line = line;
    }

    /** The 1-based line number of the file. */
    public long line() {
        return line;
    }
}
