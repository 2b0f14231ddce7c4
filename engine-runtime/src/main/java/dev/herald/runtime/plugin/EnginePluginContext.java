package dev.herald.runtime.plugin;

import com.fasterxml.jackson.databind.JsonNode;
import dev.herald.api.ErrorCode;
import dev.herald.api.plugin.PluginConfig;
import dev.herald.api.plugin.PluginContext;
import dev.herald.api.policy.Principal;
import dev.herald.runtime.protocol.Json;
import jakarta.persistence.EntityManagerFactory;
import jakarta.ws.rs.NotAuthorizedException;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
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

        /** Verifies a REST caller; throws {@link NotAuthorizedException} with a JSON body. */
        Principal principal(String authorization, String apikey);

        Principal verify(String jwt);

        DataSource dataSource();

        boolean pluginEnabled(String id);
    }

    private final Engineside engine;
    private final PluginConfig config;
    private final List<Class<?>> entityClasses;
    private final ClassLoader loader;
    private final Map<Class<?>, Object> services;
    private volatile EntityManagerFactory emf;

    EnginePluginContext(Engineside engine, PluginConfig config, List<Class<?>> entityClasses, ClassLoader loader, Map<Class<?>, Object> services) {
        this.engine = engine;
        this.config = config;
        this.entityClasses = List.copyOf(entityClasses);
        this.loader = loader;
        this.services = services;
    }

    /** Builds the contexts of a host's plugins; services published by one plugin are visible to all. */
    public static Function<String, PluginContext> factory(PluginHost host, Engineside engine) {
        Map<Class<?>, Object> services = new ConcurrentHashMap<>();
        return id -> {
            PluginHost.Loaded l = host.loaded(id);
            return new EnginePluginContext(engine, l.settings, l.factory.entityClasses(), l.factory.getClass().getClassLoader(), services);
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
    public EntityManagerFactory entityManagerFactory() {
        EntityManagerFactory f = emf;
        if (f != null) return f;
        synchronized (this) {
            if (emf == null) {
                if (entityClasses.isEmpty()) throw new IllegalStateException("plugin " + config.pluginId() + " declared no entity classes");
                emf = Persistence.build(dataSource(), entityClasses, loader);
            }
            return emf;
        }
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
    public Principal principal(HttpHeaders headers) {
        return engine.principal(headers.getHeaderString(HttpHeaders.AUTHORIZATION), headers.getHeaderString("apikey"));
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

    /** The JSON refusal plugin REST calls get without a valid token. */
    public static NotAuthorizedException unauthorized(String message) {
        Map<String, String> body = Map.of("error", ErrorCode.REST_UNAUTHORIZED.message(), "message", message);
        return new NotAuthorizedException(Response.status(401).type(MediaType.APPLICATION_JSON_TYPE)
                .header("WWW-Authenticate", "Bearer").entity(Json.MAPPER.valueToTree(body).toString()).build());
    }

    void close() {
        EntityManagerFactory f = emf;
        if (f != null && f.isOpen()) f.close();
    }

    /** Kept apart so Hibernate is only loaded when a plugin asks for entities. */
    private static final class Persistence {
        static EntityManagerFactory build(DataSource ds, List<Class<?>> classes, ClassLoader loader) {
            if (System.getProperty("org.jboss.logging.provider") == null) System.setProperty("org.jboss.logging.provider", "slf4j");
            Thread t = Thread.currentThread();
            ClassLoader before = t.getContextClassLoader();
            t.setContextClassLoader(loader);
            try {
                org.hibernate.cfg.Configuration cfg = new org.hibernate.cfg.Configuration();
                classes.forEach(cfg::addAnnotatedClass);
                cfg.getProperties().put("hibernate.connection.datasource", ds);
                cfg.setProperty("hibernate.hbm2ddl.auto", "none");
                cfg.setProperty("hibernate.show_sql", "false");
                return cfg.buildSessionFactory();
            } finally {
                t.setContextClassLoader(before);
            }
        }
    }
}
