package dev.herald.plugins.support;

import dev.herald.api.ErrorCode;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The plugin's REST refusals: an HTTP status with the JSON body {@code {"error": code, "message": text}} built from
 * the engine's {@link ErrorCode} catalogue, so every plugin API answers errors the same way.
 */
public final class ApiError {
    private ApiError() {
    }

    /** 400: the request body or a parameter is missing, malformed or out of range. */
    public static WebApplicationException invalid(String message) {
        return of(400, ErrorCode.PLUGIN_INVALID_INPUT, message);
    }

    /** 403: the caller is known but may not do this (not the owner, lacking the approver claim, no {@code sub}). */
    public static WebApplicationException forbidden(String message) {
        return of(403, ErrorCode.PLUGIN_FORBIDDEN, message);
    }

    /** 404: no such id. */
    public static WebApplicationException notFound(String message) {
        return of(404, ErrorCode.PLUGIN_NOT_FOUND, message);
    }

    /** 409: the request is well-formed but the current state forbids it (illegal transition, full event...). */
    public static WebApplicationException conflict(String message) {
        return of(409, ErrorCode.PLUGIN_CONFLICT, message);
    }

    public static WebApplicationException of(int status, ErrorCode code, String message) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("error", code.code());
        body.put("message", code.message(message));
        return new WebApplicationException(message, Response.status(status).type(MediaType.APPLICATION_JSON).entity(body).build());
    }
}
