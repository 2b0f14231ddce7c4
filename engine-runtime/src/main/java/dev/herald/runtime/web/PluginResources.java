package dev.herald.runtime.web;

import dev.herald.api.ErrorCode;
import dev.herald.api.policy.Principal;
import dev.herald.runtime.auth.TokenException;
import dev.herald.runtime.boot.Engine;
import dev.herald.runtime.protocol.Json;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.NotAuthorizedException;
import jakarta.ws.rs.NotFoundException;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

/**
 * Mounts each plugin's REST API at {@code /plugins/<id>}: a sub-resource locator, so the plugin's resource is matched
 * by the JAX-RS runtime like any resource, in the standalone server and in an application server alike. The caller's
 * JWT is verified here, once, before any plugin code runs; the plugin gets the verified caller with the request
 * ({@link dev.herald.api.plugin.ServesRest#restResource}). Thread-safe: one locator call per request.
 */
@Path("plugins")
@ApplicationScoped
public class PluginResources {
    @Inject
    Engine engine;

    @Path("{id}")
    public Object plugin(@PathParam("id") String id, @HeaderParam("authorization") String authorization, @HeaderParam("apikey") String apikey) {
        if (!engine.plugins().servesRest(id)) {
            String body = "{\"error\":\"" + ErrorCode.PLUGIN_NOT_FOUND.code() + "\",\"message\":"
                    + Json.quote("No plugin '" + id + "' with a REST API is enabled") + "}";
            throw new NotFoundException(Response.status(404).type(MediaType.APPLICATION_JSON_TYPE).entity(body).build());
        }
        Principal caller;
        try {
            caller = engine.authenticatePluginCall(authorization, apikey);
        } catch (TokenException e) {
            String body = "{\"error\":" + Json.quote(ErrorCode.REST_UNAUTHORIZED.message()) + ",\"message\":" + Json.quote(e.getMessage()) + "}";
            throw new NotAuthorizedException(Response.status(401).type(MediaType.APPLICATION_JSON_TYPE)
                    .header("WWW-Authenticate", "Bearer").entity(body).build());
        }
        return engine.plugins().restResource(id, caller);
    }
}
