package dev.herald.runtime.web;

import dev.herald.runtime.boot.Engine;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;

/** Prometheus scrape endpoint. */
@Path("/metrics")
@ApplicationScoped
public class MetricsResource {
    @Inject
    Engine engine;

    @GET
    @Produces("text/plain; version=0.0.4; charset=utf-8")
    public String scrape() {
        return engine.metrics().scrape();
    }
}
