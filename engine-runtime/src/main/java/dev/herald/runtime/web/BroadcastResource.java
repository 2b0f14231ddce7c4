package dev.herald.runtime.web;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herald.api.ErrorCode;
import dev.herald.api.policy.Principal;
import dev.herald.runtime.auth.TokenException;
import dev.herald.runtime.boot.Engine;
import dev.herald.runtime.policy.Principals;
import dev.herald.runtime.protocol.Json;
import dev.herald.runtime.protocol.UserBroadcast;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The REST broadcast API (docs/wire-protocol.md, REST broadcast), mounted under the gateway path and the bare path by the two
 * subclasses. Public messages are published to WebSocket subscribers; private ones need an access policy.
 */
public abstract class BroadcastResource {
    @Inject
    Engine engine;

    @POST
    @Path("broadcast")
    @Consumes(MediaType.WILDCARD)
    public Response batch(@HeaderParam("authorization") String authorization, @HeaderParam("apikey") String apikey,
                          byte[] body) {
        Response denied = authenticate(authorization, apikey);
        if (denied != null) return denied;
        JsonNode root;
        try {
            root = body == null || body.length == 0 ? null : Json.read(body);
        } catch (IOException e) {
            return message(400, "Request body is not valid JSON");
        }
        JsonNode messages = root == null ? null : root.get("messages");
        if (messages == null || !messages.isArray() || messages.isEmpty()) {
            ObjectNode errors = Json.object();
            errors.putArray("messages").add("can't be blank");
            return unprocessable(errors);
        }
        record Valid(String topic, String event, JsonNode payload, boolean isPrivate, String id) {
        }
        List<Valid> valid = new ArrayList<>();
        ArrayNode perMessage = Json.NODES.arrayNode();
        boolean anyError = false;
        for (JsonNode m : messages) {
            ObjectNode errors = Json.object();
            String topic = text(m, "topic");
            String event = text(m, "event");
            JsonNode payload = m.get("payload");
            if (topic == null || topic.isBlank()) errors.putArray("topic").add("can't be blank");
            if (event == null || event.isBlank()) errors.putArray("event").add("can't be blank");
            if (payload == null || payload.isNull()) errors.putArray("payload").add("can't be blank");
            else if (!payload.isObject()) errors.putArray("payload").add("is invalid");
            else if (Json.unrepresentable(payload) != null) {
                engine.metrics().drop(ErrorCode.PAYLOAD_NOT_REPRESENTABLE, Json.unrepresentable(payload));
                errors.putArray("payload").add(ErrorCode.PAYLOAD_NOT_REPRESENTABLE.message(Json.unrepresentable(payload)));
            } else if (Json.writeBytes(payload).length > engine.limits().settings().maxPayloadBytes()) {
                errors.putArray("payload").add(ErrorCode.REST_PAYLOAD_TOO_LARGE.message());
            }
            JsonNode priv = m.get("private");
            if (priv != null && !priv.isNull() && !priv.isBoolean() && !isBooleanText(priv)) errors.putArray("private").add("is invalid");
            perMessage.add(errors);
            if (!errors.isEmpty()) {
                anyError = true;
                continue;
            }
            valid.add(new Valid(topic, event, payload, truthy(priv), text(m, "id")));
        }
        if (anyError) {
            ObjectNode errors = Json.object();
            errors.set("messages", perMessage);
            return unprocessable(errors);
        }
        if (engine.limits().eventsWouldExceed(valid.size())) {
            engine.metrics().drop(ErrorCode.REST_BATCH_TOO_LARGE);
            return rateLimited(ErrorCode.REST_BATCH_TOO_LARGE);
        }
        Principal sender = valid.stream().anyMatch(Valid::isPrivate) ? principal(authorization, apikey) : null;
        // Private messages the caller may not write are skipped silently (still 202), as on Supabase.
        for (Valid v : valid) engine.broadcastJson(v.topic(), v.isPrivate(), v.event(), v.payload(), v.id(), sender);
        return Response.accepted().build();
    }

    @POST
    @Path("broadcast/{topic}/events/{event}")
    @Consumes(MediaType.WILDCARD)
    public Response single(@PathParam("topic") String topic, @PathParam("event") String event,
                           @QueryParam("private") String isPrivate, @HeaderParam("content-type") String contentType,
                           @HeaderParam("authorization") String authorization, @HeaderParam("apikey") String apikey,
                           byte[] body) {
        Response denied = authenticate(authorization, apikey);
        if (denied != null) return denied;
        String type = contentType == null ? "application/json" : contentType.split(";", 2)[0].strip().toLowerCase(Locale.ROOT);
        boolean json;
        if (type.equals("application/json") || type.isEmpty()) json = true;
        else if (type.equals("application/octet-stream")) json = false;
        else {
            ObjectNode b = Json.object();
            b.put("error", ErrorCode.REST_UNSUPPORTED_MEDIA_TYPE.message());
            return Response.status(415).type(MediaType.APPLICATION_JSON_TYPE).entity(Json.write(b)).build();
        }
        byte[] payload = body == null ? new byte[0] : body;
        if (json) {
            if (payload.length == 0) payload = "{}".getBytes(StandardCharsets.UTF_8);
            try {
                Json.read(payload);
            } catch (IOException e) {
                return message(422, "Payload is not valid JSON");
            }
        }
        if (payload.length > engine.limits().settings().maxPayloadBytes()) return message(422, ErrorCode.REST_PAYLOAD_TOO_LARGE.message());
        boolean priv = "true".equalsIgnoreCase(isPrivate);
        if (!engine.broadcastUser(topic, priv, new UserBroadcast(event, json, payload, UserBroadcast.NO_METADATA),
                priv ? principal(authorization, apikey) : null)) {
            return message(403, ErrorCode.REST_UNAUTHORIZED.message());
        }
        return Response.accepted().build();
    }

    /** The caller's principal after {@link #authenticate} succeeded. */
    private Principal principal(String authorization, String apikey) {
        try {
            return Principals.of(engine.authenticateRest(authorization, apikey));
        } catch (TokenException e) {
            return null;
        }
    }

    private Response authenticate(String authorization, String apikey) {
        if (engine.closing()) return message(503, ErrorCode.REALTIME_RESTARTING.message());
        if (engine.limits().restOverLimit()) {
            engine.metrics().drop(ErrorCode.REST_TOO_MANY_REQUESTS);
            return rateLimited(ErrorCode.REST_TOO_MANY_REQUESTS);
        }
        if (engine.limits().eventsAtLimit()) {
            engine.metrics().drop(ErrorCode.REST_RATE_LIMIT);
            return rateLimited(ErrorCode.REST_RATE_LIMIT);
        }
        try {
            engine.authenticateRest(authorization, apikey);
            return null;
        } catch (TokenException e) {
            engine.metrics().drop(e.code());
            return message(401, ErrorCode.REST_UNAUTHORIZED.message());
        }
    }

    /** 429 with Supabase's body and its rate headers (rolling rate, limit, remaining). */
    private Response rateLimited(ErrorCode code) {
        var limits = engine.limits();
        int limit = code == ErrorCode.REST_TOO_MANY_REQUESTS ? limits.settings().restRequestsPerSecond() : limits.settings().maxEventsPerSecond();
        double rolling = code == ErrorCode.REST_TOO_MANY_REQUESTS ? limits.restPerSecond() : limits.eventsPerSecond();
        ObjectNode b = Json.object();
        b.put("message", code.message());
        return Response.status(429).type(MediaType.APPLICATION_JSON_TYPE).entity(Json.write(b))
                .header("x-rate-rolling", String.format(Locale.ROOT, "%.2f", rolling))
                .header("x-rate-limit", limit)
                .header("x-rate-limit-remaining", Math.max(0, (long) Math.floor(limit - rolling)))
                .build();
    }

    private static Response message(int status, String text) {
        ObjectNode b = Json.object();
        b.put("message", text);
        return Response.status(status).type(MediaType.APPLICATION_JSON_TYPE).entity(Json.write(b)).build();
    }

    private static Response unprocessable(ObjectNode errors) {
        ObjectNode b = Json.object();
        b.set("errors", errors);
        return Response.status(422).type(MediaType.APPLICATION_JSON_TYPE).entity(Json.write(b)).build();
    }

    private static String text(JsonNode m, String field) {
        JsonNode v = m == null ? null : m.get(field);
        return v != null && v.isTextual() ? v.asText() : null;
    }

    private static boolean isBooleanText(JsonNode n) {
        return n.isTextual() && (n.asText().equalsIgnoreCase("true") || n.asText().equalsIgnoreCase("false"));
    }

    private static boolean truthy(JsonNode n) {
        return n != null && (n.isBoolean() ? n.booleanValue() : n.isTextual() && n.asText().equalsIgnoreCase("true"));
    }

    /** Behind Supabase's gateway prefix, which supabase-js uses. */
    @Path("/realtime/v1/api")
    @ApplicationScoped
    public static class Gateway extends BroadcastResource {
    }

    /** The reference server's own path. */
    @Path("/api")
    @ApplicationScoped
    public static class Direct extends BroadcastResource {
    }
}
