package dev.herald.runtime.web;

import jakarta.ws.rs.ApplicationPath;
import jakarta.ws.rs.core.Application;
import java.util.Set;

/**
 * The JAX-RS application. It lists its classes explicitly: scanning would also pick up resources of libraries in
 * the WAR (Kafka Connect ships some) and fail the deployment.
 */
@ApplicationPath("/")
public class HeraldRestApplication extends Application {
    public static final Set<Class<?>> CLASSES = Set.of(BroadcastResource.Gateway.class, BroadcastResource.Direct.class,
            MetricsResource.class, HealthResource.class, CorsFilter.class, PluginResources.class,
            com.fasterxml.jackson.jakarta.rs.json.JacksonJsonProvider.class);

    @Override
    public Set<Class<?>> getClasses() {
        return CLASSES;
    }
}
