package io.fli.engine;

/** A batch of blocks was rejected before anything was stored: a gap, a wrong parent hash, a malformed log. The message names the block and the rule. */
public class InvalidBlockException extends FliException {
    public InvalidBlockException(String message) {
        super(message);
    }

    public InvalidBlockException(String message, Throwable cause) {
        super(message, cause);
    }
}
