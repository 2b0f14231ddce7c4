package dev.herald.runtime.web;

import com.fasterxml.jackson.jakarta.rs.json.JacksonJsonProvider;
import dev.herald.runtime.admin.AdminResource;
import dev.herald.runtime.admin.AdminThrottleFilter;
import dev.herald.runtime.admin.ConsoleResource;
import jakarta.ws.rs.ApplicationPath;
import jakarta.ws.rs.core.Application;
import java.util.Map;
import java.util.Set;

/**
 * The JAX-RS application. It lists its classes explicitly: scanning would also pick up resources of libraries in
 * the WAR (Kafka Connect ships some) and fail the deployment.
 */
@ApplicationPath("/")
public class HeraldRestApplication extends Application {
    public static final Set<Class<?>> CLASSES = Set.of(BroadcastResource.Gateway.class, BroadcastResource.Direct.class,
            MetricsResource.class, HealthResource.class, CorsFilter.class, PluginResources.class, JsonErrorMapper.class,
            JacksonJsonProvider.class, AdminResource.class, ConsoleResource.class, AdminThrottleFilter.class);

    /**
     * JSON is Jackson's everywhere: without this, Jersey inside an application server prefers the server's JSON-B
     * (Yasson), which serialises plugin records differently from the standalone server.
     */
    public static final Map<String, Object> PROPERTIES = Map.of(
            "jersey.config.disableJsonBinding", true, "jersey.config.server.disableJsonBinding", true);

    @Override
    public Set<Class<?>> getClasses() {
        return CLASSES;
    }

    @Override
    public Map<String, Object> getProperties() {
        return PROPERTIES;
    }
}
