package io.fli.cli;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.FileAppender;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import org.slf4j.LoggerFactory;

/**
 * The run log, like Jepsen's {@code jepsen.log}: everything logged at INFO and above while a command runs — the
 * local servers started, killed and paused, the drivers' and SDKs' warnings — written to a file that ends up as
 * {@code fli.log} in the run folder. The folder is known only once the run has made it, so the log is written next
 * to it ({@code <store>/fli-<pid>.log}) and moved in at the end; a killed run leaves it there.
 */
final class RunLog implements AutoCloseable {
    private static final org.slf4j.Logger LOG = LoggerFactory.getLogger(RunLog.class);
    private final Path file;
    private final FileAppender<ILoggingEvent> appender;
    private final Logger root;

    private RunLog(Path file, FileAppender<ILoggingEvent> appender, Logger root) {
        this.file = file;
        this.appender = appender;
        this.root = root;
    }

    /** Starts logging to {@code <store>/fli-<pid>.log}; a no-op log when Logback is not the SLF4J backend. */
    static RunLog start(Path store, String command) {
        Path f = store.resolve("fli-" + ProcessHandle.current().pid() + ".log");
        if (!(LoggerFactory.getILoggerFactory() instanceof LoggerContext ctx)) {
            return new RunLog(f, null, null);
        }
        try {
            Files.createDirectories(store);
        } catch (IOException e) {
            return new RunLog(f, null, null);
        }
        PatternLayoutEncoder enc = new PatternLayoutEncoder();
        enc.setContext(ctx);
        enc.setPattern("%d{yyyy-MM-dd'T'HH:mm:ss.SSSXXX} %-5level [%thread] %logger{36} - %msg%n%ex");
        enc.start();
        FileAppender<ILoggingEvent> a = new FileAppender<>();
        a.setContext(ctx);
        a.setName("run-" + f.getFileName());
        a.setFile(f.toString());
        a.setAppend(true);
        a.setEncoder(enc);
        a.start();
        Logger root = ctx.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        root.addAppender(a);
        RunLog log = new RunLog(f, a, root);
        LOG.info("fli {} (pid {}, java {})", command, ProcessHandle.current().pid(), Runtime.version());
        return log;
    }

    /** Moves the log into the run folder as {@code fli.log} (appending if one is there); returns where it is. */
    Path moveInto(Path runDir) {
        close();
        if (appender == null || runDir == null || !Files.exists(file)) {
            return file;
        }
        Path to = runDir.resolve("fli.log");
        try {
            if (Files.exists(to)) {
                Files.write(to, Files.readAllBytes(file), java.nio.file.StandardOpenOption.APPEND);
                Files.delete(file);
            } else {
                Files.move(file, to, StandardCopyOption.REPLACE_EXISTING);
            }
            return to;
        } catch (IOException e) {
            return file;
        }
    }

    @Override
    public void close() {
        if (appender != null && appender.isStarted()) {
            root.detachAppender(appender);
            appender.stop();
        }
    }
}
