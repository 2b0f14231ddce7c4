package dev.herald.runtime.web;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.herald.api.ErrorCode;
import dev.herald.runtime.protocol.Json;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.UriInfo;
import jakarta.ws.rs.ext.ExceptionMapper;
import jakarta.ws.rs.ext.Provider;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Errors of plugin REST calls as JSON ({@code {"error": "<Code>", "message": "..."}}) rather than the container's
 * HTML pages: a body that is not valid JSON (400), an unknown path or method below a plugin (404/405), and a plugin
 * that fails unexpectedly (500, logged with its stack trace). Responses a resource built itself pass unchanged, and
 * Herald's own endpoints keep their responses.
 */
@Provider
public class JsonErrorMapper implements ExceptionMapper<Throwable> {
    private static final Logger LOG = LoggerFactory.getLogger(JsonErrorMapper.class);

    @Context
    UriInfo uri;

    @Override
    public Response toResponse(Throwable e) {
        String path = uri == null ? "" : uri.getPath();
        boolean plugin = path.startsWith("plugins/") || path.startsWith("/plugins/");
        if (e instanceof WebApplicationException w) {
            Response r = w.getResponse();
            if (!plugin || r.hasEntity()) return r;
            ErrorCode code = switch (r.getStatus()) {
                case 404 -> ErrorCode.PLUGIN_NOT_FOUND;
                case 405 -> ErrorCode.PLUGIN_METHOD_NOT_ALLOWED;
                case 401 -> ErrorCode.REST_UNAUTHORIZED;
                case 403 -> ErrorCode.PLUGIN_FORBIDDEN;
                case 409 -> ErrorCode.PLUGIN_CONFLICT;
                default -> r.getStatus() >= 500 ? ErrorCode.PLUGIN_INTERNAL_ERROR : ErrorCode.PLUGIN_INVALID_INPUT;
            };
            String reason = r.getStatusInfo().getReasonPhrase();
            return json(r.getStatus(), code, (reason == null ? "HTTP " + r.getStatus() : reason) + ": " + path);
        }
        if (e instanceof JsonProcessingException j) {
            return json(400, ErrorCode.PLUGIN_INVALID_INPUT, "Request body is not valid JSON for this endpoint: " + j.getOriginalMessage());
        }
        LOG.error("{} failed at /{}", plugin ? "a plugin" : "a REST call", path, e);
        return json(500, ErrorCode.PLUGIN_INTERNAL_ERROR, "Internal error; the server log has the details");
    }

    private static Response json(int status, ErrorCode code, String message) {
        String body = "{\"error\":" + Json.quote(code.code() == null ? "Error" : code.code()) + ",\"message\":" + Json.quote(code.message(message)) + "}";
        return Response.status(status).type(MediaType.APPLICATION_JSON_TYPE).entity(body).build();
    }
}
