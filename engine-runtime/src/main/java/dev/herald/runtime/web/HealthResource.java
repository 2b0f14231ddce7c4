package dev.herald.runtime.web;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herald.runtime.cdc.CdcService;
import dev.herald.runtime.boot.Engine;
import dev.herald.runtime.protocol.Json;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.sql.Connection;

/**
 * Liveness and readiness probes. Ready means the database answers and change capture streams (or is disabled);
 * the body says which part is not.
 */
@Path("/health")
@ApplicationScoped
public class HealthResource {
    @Inject
    Engine engine;

    @GET
    @Path("live")
    public Response live() {
        return Response.ok("{\"status\":\"UP\"}", MediaType.APPLICATION_JSON_TYPE).build();
    }

    @GET
    @Path("ready")
    public Response ready() {
        ObjectNode body = Json.object();
        boolean ready = true;
        if (engine.database() != null) {
            boolean dbUp;
            try (Connection c = engine.database().dataSource().getConnection()) {
                dbUp = c.isValid(2);
            } catch (Exception e) {
                dbUp = false;
            }
            body.put("database", dbUp ? "UP" : "DOWN");
            ready = dbUp;
        }
        CdcService cdc = engine.cdc();
        if (cdc != null) {
            body.put("cdc", cdc.state());
            if (cdc.lastError() != null) body.put("cdc_error", cdc.lastError());
            body.put("slot_lag_bytes", cdc.slotLagBytes());
            ready &= cdc.healthy();
        } else {
            body.put("cdc", "disabled");
        }
        body.put("status", ready ? "UP" : "DOWN");
        return Response.status(ready ? 200 : 503).type(MediaType.APPLICATION_JSON_TYPE).entity(Json.write(body)).build();
    }
}
