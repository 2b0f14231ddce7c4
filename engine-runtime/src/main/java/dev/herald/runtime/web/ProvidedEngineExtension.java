package dev.herald.runtime.web;

import dev.herald.runtime.admin.AdminConsole;
import dev.herald.runtime.boot.Engine;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.inject.spi.AfterBeanDiscovery;
import jakarta.enterprise.inject.spi.Extension;
import jakarta.inject.Singleton;

/** Registers an engine built by the host (and its admin console) as CDI beans, so REST resources and endpoints inject the same one. */
public final class ProvidedEngineExtension implements Extension {
    private final Engine engine;

    public ProvidedEngineExtension(Engine engine) {
        this.engine = engine;
    }

    void register(@Observes AfterBeanDiscovery abd) {
        abd.addBean().types(Engine.class, Object.class).scope(Singleton.class).createWith(c -> engine);
        abd.addBean().types(AdminConsole.class).scope(Singleton.class).createWith(c -> engine.admin());
    }
}
