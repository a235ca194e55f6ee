package io.fli.engine.internal;

import io.fli.engine.Block;
import io.fli.engine.InvalidBlockException;
import io.fli.engine.Log;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/** Validation of a publish batch before anything is stored. Every message names the block, the log and the rule. */
public final class Batches {
    private Batches() {
    }

    /** Checks the batch's own shape and returns it with each block's logs in log-index order. */
    public static List<Block> validate(List<Block> blocks, int maxBlocks) {
        if (blocks == null || blocks.isEmpty()) {
            throw new InvalidBlockException("a publish needs at least one block");
        }
        if (blocks.size() > maxBlocks) {
            throw new InvalidBlockException("a publish carries " + blocks.size() + " blocks; the limit is " + maxBlocks);
        }
        List<Block> out = new ArrayList<>(blocks.size());
        Block prev = null;
        for (int i = 0; i < blocks.size(); i++) {
            Block b = blocks.get(i);
            if (b == null) {
                throw new InvalidBlockException("batch position " + i + ": block is null");
            }
            String where = "block " + b.number();
            if (b.number() < 0) {
                throw new InvalidBlockException(where + ": number must be >= 0");
            }
            if (b.hash() == null || b.hash().isEmpty()) {
                throw new InvalidBlockException(where + ": hash is missing");
            }
            if (prev != null && b.number() != prev.number() + 1) {
                throw new InvalidBlockException("gap in batch: block " + prev.number() + " is followed by block "
                        + b.number() + " (batch position " + i + ")");
            }
            if (prev != null && b.parentHash() != null && !b.parentHash().equals(prev.hash())) {
                throw new InvalidBlockException(where + ": parent hash " + b.parentHash()
                        + " does not match hash " + prev.hash() + " of block " + prev.number());
            }
            out.add(validateLogs(b, where));
            prev = b;
        }
        return out;
    }

    private static Block validateLogs(Block b, String where) {
        boolean sorted = true;
        int last = -1;
        for (int j = 0; j < b.logs().size(); j++) {
            Log l = b.logs().get(j);
            if (l == null) {
                throw new InvalidBlockException(where + ", log position " + j + ": log is null");
            }
            if (l.index() < 0) {
                throw new InvalidBlockException(where + ", log " + l.index() + ": log index must be >= 0");
            }
            if (l.address() == null || l.address().isEmpty()) {
                throw new InvalidBlockException(where + ", log " + l.index() + ": address is missing");
            }
            List<String> topics = l.topics();
            if (topics.size() > 4) {
                throw new InvalidBlockException(where + ", log " + l.index() + ": " + topics.size()
                        + " topics, at most 4 allowed");
            }
            for (int t = 0; t < topics.size(); t++) {
                String topic = topics.get(t);
                if (topic == null || topic.isEmpty()) {
                    throw new InvalidBlockException(where + ", log " + l.index() + ": topic " + t + " is empty");
                }
            }
            if (l.txHash() != null && l.txHash().isEmpty()) {
                throw new InvalidBlockException(where + ", log " + l.index() + ": txHash is empty (omit it when unknown)");
            }
            if (l.tx() != null && l.tx() < 0) {
                throw new InvalidBlockException(where + ", log " + l.index() + ": tx must be >= 0, got " + l.tx());
            }
            sorted &= l.index() > last;
            last = l.index();
        }
        List<Log> logs = b.logs();
        if (!sorted) {
            // Strictly increasing indexes are unique; only an unsorted block needs the duplicate check.
            logs = new ArrayList<>(logs);
            logs.sort(Comparator.comparingInt(Log::index));
            for (int j = 1; j < logs.size(); j++) {
                if (logs.get(j).index() == logs.get(j - 1).index()) {
                    throw new InvalidBlockException(where + ": log index " + logs.get(j).index() + " appears twice");
                }
            }
        }
        Integer prevTx = null;
        int prevIndex = -1;
        for (Log l : logs) {
            if (l.tx() != null) {
                if (prevTx != null && l.tx() < prevTx) {
                    throw new InvalidBlockException(where + ", log " + l.index() + ": tx " + l.tx()
                            + " is lower than tx " + prevTx + " of log " + prevIndex
                            + " before it (logs must be in transaction order)");
                }
                prevTx = l.tx();
                prevIndex = l.index();
            }
        }
        return sorted ? b : new Block(b.number(), b.hash(), b.parentHash(), logs);
    }
}
