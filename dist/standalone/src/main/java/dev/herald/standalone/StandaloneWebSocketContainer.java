package dev.herald.standalone;

import jakarta.websocket.DeploymentException;
import jakarta.websocket.server.ServerEndpointConfig;
import java.util.Map;
import java.util.Set;
import org.glassfish.tyrus.core.TyrusWebSocketEngine;
import org.glassfish.tyrus.server.TyrusServerContainer;
import org.glassfish.tyrus.spi.WebSocketEngine;

/**
 * A Tyrus container whose engine is plugged into an existing Grizzly listener (the one Jersey uses) instead of
 * starting its own server.
 */
final class StandaloneWebSocketContainer extends TyrusServerContainer {
    private final TyrusWebSocketEngine engine;

    StandaloneWebSocketContainer(int incomingBufferSize) {
        super((Set<Class<?>>) null);
        this.engine = TyrusWebSocketEngine.builder(this).incomingBufferSize(incomingBufferSize).build();
    }

    @Override
    public void register(Class<?> endpointClass) throws DeploymentException {
        engine.register(endpointClass, "/");
    }

    @Override
    public void register(ServerEndpointConfig config) throws DeploymentException {
        engine.register(config, "/");
    }

    @Override
    public WebSocketEngine getWebSocketEngine() {
        return engine;
    }

    @Override
    public Map<String, Object> getProperties() {
        return Map.of();
    }
}
