package dev.herald.runtime.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Test;

/** herald.log.library-level: quiet (warn) unless asked, any case accepted, anything else refused with the key named. */
class LogLibraryLevelConfigTest {

    @Test
    void warnByDefaultAndTheDocumentedLevelsOtherwise() {
        assertEquals("warn", HeraldConfig.load(Map.of(), new Properties()).logLibraryLevel());
        assertEquals("info", HeraldConfig.load(Map.of("HERALD_LOG_LIBRARY_LEVEL", "INFO"), new Properties()).logLibraryLevel());
        Properties sys = new Properties();
        sys.setProperty(HeraldConfig.LOG_LIBRARY_LEVEL, "debug");
        assertEquals("debug", HeraldConfig.load(Map.of(), sys).logLibraryLevel());
    }

    @Test
    void anUnknownLevelStopsTheStart() {
        ConfigException e = assertThrows(ConfigException.class,
                () -> HeraldConfig.load(Map.of("HERALD_LOG_LIBRARY_LEVEL", "loud"), new Properties()));
        assertTrue(e.getMessage().contains("HERALD_LOG_LIBRARY_LEVEL (herald.log.library-level)"), e.getMessage());
        assertTrue(e.getMessage().contains("error, warn, info, debug, trace"), e.getMessage());
    }
}
