package dev.herald.runtime.boot;

import dev.herald.runtime.auth.Tokens;
import dev.herald.runtime.cdc.PostgresFixture;
import dev.herald.runtime.config.HeraldConfig;
import dev.herald.runtime.db.EmbeddedDatabase;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;

/** Engines with change capture on a test database, for the tests that drive the whole engine. */
final class ChangeCaptureEngines {
    private ChangeCaptureEngines() {
    }

    /**
     * An engine on {@code pg} with change capture running: the test JWT secret, the fixture's data directory, plus
     * {@code extra} settings.
     */
    static Engine start(PostgresFixture pg, Map<String, String> extra) throws InterruptedException {
        Map<String, String> env = new HashMap<>(Map.of(
                "HERALD_JWT_SECRET", Tokens.SECRET,
                "HERALD_DB_URL", pg.url(),
                "HERALD_DB_USER", EmbeddedDatabase.USER,
                "HERALD_DB_PASSWORD", EmbeddedDatabase.PASSWORD,
                "HERALD_DATA_DIR", pg.dir.toString()));
        env.putAll(extra);
        Engine engine = EngineBootstrap.start(HeraldConfig.load(env, new Properties()), EngineBootstrap.Hosting.STANDALONE);
        if (!engine.cdc().awaitRunning(60_000)) {
            engine.close();
            throw new IllegalStateException("change capture did not start: " + engine.cdc().lastError());
        }
        return engine;
    }
}
