package dev.herald.runtime.web;

import dev.herald.runtime.config.HeraldConfig;
import dev.herald.runtime.admin.AdminConsole;
import dev.herald.runtime.boot.Engine;
import dev.herald.runtime.boot.EngineBootstrap;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.context.Initialized;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.inject.Disposes;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes the {@link Engine} a CDI bean inside an application server: built once at application start from the same
 * configuration keys as the standalone server, closed at undeploy. (The standalone launcher builds the engine itself
 * and hands it to Weld with {@link ProvidedEngineExtension} instead.)
 */
@ApplicationScoped
public class EngineProducer {
    private static final Logger LOG = LoggerFactory.getLogger(EngineProducer.class);

    @Produces
    @Singleton
    Engine engine() {
        Engine engine = EngineBootstrap.start(HeraldConfig.load(), EngineBootstrap.Hosting.CONTAINER);
        engine.startupNotes().forEach(LOG::info);
        LOG.info("Herald engine started inside the application server");
        return engine;
    }

    /** What the admin API sees of the engine. */
    @Produces
    @Singleton
    AdminConsole admin(Engine engine) {
        return engine.admin();
    }

    void close(@Disposes Engine engine) {
        engine.close();
    }

    /** Starts the engine with the application rather than on the first request. */
    void eager(@Observes @Initialized(ApplicationScoped.class) Object ignored, Engine engine) {
        engine.sessionCount();
    }
}
