package dev.herald.runtime.web;

import dev.herald.runtime.boot.Engine;
import jakarta.enterprise.inject.spi.CDI;
import jakarta.websocket.server.ServerEndpointConfig;

/**
 * Creates endpoint instances bound to the CDI-managed {@link Engine}, and accepts any {@code Origin} (the reference
 * server disables origin checks; authentication is the token).
 */
public final class RealtimeEndpointConfigurator extends ServerEndpointConfig.Configurator {

    @Override
    public <T> T getEndpointInstance(Class<T> endpointClass) {
        if (endpointClass != RealtimeEndpoint.class) throw new IllegalArgumentException(endpointClass.getName());
        return endpointClass.cast(new RealtimeEndpoint(CDI.current().select(Engine.class).get()));
    }

    @Override
    public boolean checkOrigin(String originHeaderValue) {
        return true;
    }
}
