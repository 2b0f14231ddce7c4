package dev.herald.runtime.web;

import dev.herald.api.ErrorCode;
import dev.herald.runtime.boot.Engine;
import dev.herald.runtime.protocol.Json;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.NotFoundException;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

/**
 * Mounts each plugin's REST root at {@code /plugins/<id>}: a sub-resource locator, so the plugin's object is matched
 * by the JAX-RS runtime like any resource, in the standalone server and in an application server alike. Every call
 * needs a valid JWT before the plugin sees it.
 */
@Path("plugins")
@ApplicationScoped
public class PluginResources {
    @Inject
    Engine engine;

    @Path("{id}")
    public Object plugin(@PathParam("id") String id, @HeaderParam("authorization") String authorization, @HeaderParam("apikey") String apikey) {
        Object root = engine.plugins().restRoot(id);
        if (root == null) {
            String body = "{\"error\":\"" + ErrorCode.PLUGIN_NOT_FOUND.code() + "\",\"message\":"
                    + Json.quote("No plugin '" + id + "' with a REST API is enabled") + "}";
            throw new NotFoundException(Response.status(404).type(MediaType.APPLICATION_JSON_TYPE).entity(body).build());
        }
        engine.authenticatePluginCall(authorization, apikey);
        return root;
    }
}
