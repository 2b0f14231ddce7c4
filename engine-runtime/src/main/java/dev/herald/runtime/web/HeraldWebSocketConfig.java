package dev.herald.runtime.web;

import dev.herald.runtime.boot.Engine;
import jakarta.enterprise.inject.spi.CDI;
import jakarta.websocket.Endpoint;
import jakarta.websocket.server.ServerApplicationConfig;
import jakarta.websocket.server.ServerEndpointConfig;
import java.util.HashSet;
import java.util.Set;

/**
 * Registers the realtime endpoint and the plugins' endpoints on application servers, which discover this class by
 * scanning the WAR. Plugin endpoints are known only once the engine has started its plugins, so the engine is
 * started here, at deployment, through CDI.
 */
public final class HeraldWebSocketConfig implements ServerApplicationConfig {

    @Override
    public Set<ServerEndpointConfig> getEndpointConfigs(Set<Class<? extends Endpoint>> endpointClasses) {
        Set<ServerEndpointConfig> configs = new HashSet<>(RealtimeEndpoint.configs());
        configs.addAll(PluginSockets.configs(CDI.current().select(Engine.class).get()));
        return configs;
    }

    @Override
    public Set<Class<?>> getAnnotatedEndpointClasses(Set<Class<?>> scanned) {
        return Set.of();
    }
}
