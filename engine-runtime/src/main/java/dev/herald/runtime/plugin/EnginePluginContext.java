package dev.herald.runtime.plugin;

import com.fasterxml.jackson.databind.JsonNode;
import dev.herald.api.plugin.PluginConfig;
import dev.herald.api.plugin.PluginContext;
import dev.herald.api.policy.Principal;
import dev.herald.runtime.protocol.Json;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import javax.sql.DataSource;

/**
 * One plugin's view of the engine. The engine-facing operations come in through {@link Engineside} so this class
 * stays free of the engine's internals. Thread-safe.
 */
public final class EnginePluginContext implements PluginContext {

    /** What the engine provides to every plugin context. */
    public interface Engineside {
        void broadcast(String topic, boolean privateChannel, String event, JsonNode payload);

        Map<String, List<Map<String, Object>>> presence(String topic, boolean privateChannel);

        /** Verifies a JWT; throws {@link SecurityException} saying why it is not valid. */
        Principal verify(String jwt);

        DataSource dataSource();

        boolean pluginEnabled(String id);
    }

    private final Engineside engine;
    private final PluginConfig config;
    private final Map<Class<?>, Object> services;

    EnginePluginContext(Engineside engine, PluginConfig config, Map<Class<?>, Object> services) {
        this.engine = engine;
        this.config = config;
        this.services = services;
    }

    /** Builds the contexts of a host's plugins; services published by one plugin are visible to all. */
    public static Function<String, PluginContext> factory(PluginHost host, Engineside engine) {
        Map<Class<?>, Object> services = new ConcurrentHashMap<>();
        return id -> {
            PluginHost.Loaded l = host.loaded(id);
            return new EnginePluginContext(engine, l.settings, services);
        };
    }

    @Override
    public PluginConfig config() {
        return config;
    }

    @Override
    public DataSource dataSource() {
        DataSource ds = engine.dataSource();
        if (ds == null) throw new IllegalStateException("Herald has no database (plugin " + config.pluginId() + " declared no tables)");
        return ds;
    }

    @Override
    public void broadcast(String topic, boolean privateChannel, String event, Object payload) {
        if (topic == null || topic.isBlank() || event == null || event.isBlank()) throw new IllegalArgumentException("topic and event are required");
        engine.broadcast(topic, privateChannel, event, Json.MAPPER.valueToTree(payload));
    }

    @Override
    public Map<String, List<Map<String, Object>>> presence(String topic, boolean privateChannel) {
        return engine.presence(topic, privateChannel);
    }

    @Override
    public Principal verify(String jwt) {
        return engine.verify(jwt);
    }

    @Override
    public boolean pluginEnabled(String id) {
        return engine.pluginEnabled(id);
    }

    @Override
    public <T> T service(Class<T> type) {
        return type.cast(services.get(type));
    }

    @Override
    public <T> void publish(Class<T> type, T service) {
        if (!type.isInstance(service)) throw new IllegalArgumentException(service + " is not a " + type.getName());
        Object before = services.putIfAbsent(type, service);
        if (before != null && before != service) throw new IllegalStateException("a " + type.getName() + " is already published");
    }

}
