package dev.herald.standalone;

import dev.herald.runtime.config.HeraldConfig;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.slf4j.bridge.SLF4JBridgeHandler;

/**
 * The standalone server's log levels (slf4j-simple, JUL bridged to it): Herald's own loggers ({@code dev.herald.*},
 * first-party plugins included) at info, the libraries' at {@link HeraldConfig#LOG_LIBRARY_LEVEL} ({@code warn} by
 * default), so a start logs what Herald does and every warning, not initdb's and Debezium's INFO chatter.
 */
final class StandaloneLogging {
    private static final String SIMPLE_LOGGER = "org.slf4j.simpleLogger.";
    /**
     * Held so the level set on it stays: java.util.logging keeps loggers only weakly, and the first-party plugins
     * (voice, analytics) log through it under {@code dev.herald}.
     */
    private static final Logger OWN_JUL = Logger.getLogger("dev.herald");

    private StandaloneLogging() {
    }

    /**
     * Must run before the first logger is created: slf4j-simple reads its levels once, on first use (system
     * properties win over the bundled simplelogger.properties).
     */
    static void configure(String libraryLevel) {
        String own = HeraldConfig.LOG_LEVELS.indexOf(libraryLevel) > HeraldConfig.LOG_LEVELS.indexOf("info") ? libraryLevel : "info";
        System.setProperty(SIMPLE_LOGGER + "defaultLogLevel", libraryLevel);
        System.setProperty(SIMPLE_LOGGER + "log.dev.herald", own);
        // Grizzly, Jersey and Tyrus log through java.util.logging: records below the level are not even created.
        SLF4JBridgeHandler.removeHandlersForRootLogger();
        SLF4JBridgeHandler.install();
        Logger.getLogger("").setLevel(julLevel(libraryLevel));
        OWN_JUL.setLevel(julLevel(own));
    }

    private static Level julLevel(String level) {
        return switch (level) {
            case "error" -> Level.SEVERE;
            case "warn" -> Level.WARNING;
            case "info" -> Level.INFO;
            case "debug" -> Level.FINE;
            default -> Level.ALL;
        };
    }
}
