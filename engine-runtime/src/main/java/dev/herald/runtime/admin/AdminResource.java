package dev.herald.runtime.admin;

import dev.herald.runtime.metrics.ChannelStats;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herald.api.ErrorCode;
import dev.herald.runtime.cdc.CdcService;
import dev.herald.runtime.cdc.TableInfo;
import dev.herald.runtime.core.Channel;
import dev.herald.runtime.core.RealtimeSession;
import dev.herald.runtime.core.TopicKey;
import dev.herald.runtime.limits.LimitSettings;
import dev.herald.runtime.plugin.PluginHost;
import dev.herald.runtime.protocol.Json;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.PUT;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.container.AsyncResponse;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.container.Suspended;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.io.IOException;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * The admin API (docs/admin-console.md): channels with health, connections (and disconnecting one), change capture,
 * limits (changed at runtime, persisted and audited) and plugins. Every call needs the admin credential
 * ({@link AdminAccess}); without one configured the API answers 503 with the reason.
 */
@Path("/admin/api")
@ApplicationScoped
public class AdminResource {
    @Inject
    AdminConsole console;

    // ---- session ------------------------------------------------------------------------------------------------

    /** Beyond this wait a login is refused at once instead of queued, so a flood cannot pile up suspended calls. */
    static final long MAX_QUEUED_MS = 60_000;

    /**
     * Exchanges the password for a session token. JSON bodies only (a cross-origin page can send {@code text/plain}
     * without a preflight, never {@code application/json}). Each attempt takes its turn in the {@link LoginThrottle}:
     * a throttled one is answered later, without holding a request thread meanwhile.
     */
    @POST
    @Path("login")
    @Consumes(MediaType.APPLICATION_JSON)
    public void login(byte[] body, @Context ContainerRequestContext request, @Suspended AsyncResponse async) {
        AdminAccess access = console.adminAccess();
        if (!access.enabled()) {
            async.resume(error(503, "admin_disabled", access.disabledReason()));
            return;
        }
        String address = AdminThrottleFilter.address(request);
        LoginThrottle throttle = console.loginThrottle();
        long waiting = throttle.waitMs(address);
        if (waiting > MAX_QUEUED_MS) {
            console.metrics().drop(ErrorCode.ADMIN_LOGIN_THROTTLED);
            async.resume(tooManyAttempts(waiting));
            return;
        }
        long delay = throttle.reserve(address) - System.currentTimeMillis();
        Runnable answer = () -> async.resume(checkLogin(access, body, address));
        if (delay <= 0) answer.run();
        else CompletableFuture.runAsync(answer, CompletableFuture.delayedExecutor(delay, TimeUnit.MILLISECONDS));
    }

    private Response checkLogin(AdminAccess access, byte[] body, String address) {
        JsonNode json = readObject(body);
        if (json == null) return error(400, "invalid_body", "expected a JSON object {\"password\": \"...\"}");
        String user = json.path("username").asText(AdminAccess.USER);
        String token = user.equals(AdminAccess.USER) ? access.login(json.path("password").asText(null)) : null;
        if (token == null) return error(401, "unauthorized", "wrong user or password");
        console.loginThrottle().succeeded(address);
        ObjectNode out = Json.object();
        out.put("token", token);
        out.put("user", AdminAccess.USER);
        out.put("expires_in_ms", AdminAccess.SESSION_TTL_MS);
        return ok(out);
    }

    /** 429 for a throttled credential, with the wait in {@code Retry-After} (seconds, rounded up). */
    static Response tooManyAttempts(long waitMs) {
        return Response.fromResponse(error(429, "too_many_attempts", ErrorCode.ADMIN_LOGIN_THROTTLED.reason(waitMs)))
                .header("Retry-After", String.valueOf((waitMs + 999) / 1000)).build();
    }

    @POST
    @Path("logout")
    @Consumes(MediaType.WILDCARD)
    public Response logout(@HeaderParam("authorization") String authorization) {
        Response denied = guard(authorization);
        if (denied != null) return denied;
        String a = authorization.strip();
        if (a.regionMatches(true, 0, "bearer ", 0, 7)) console.adminAccess().logout(a.substring(7).strip());
        return Response.noContent().build();
    }

    // ---- overview -----------------------------------------------------------------------------------------------

    @GET
    @Path("overview")
    public Response overview(@HeaderParam("authorization") String authorization) {
        Response denied = guard(authorization);
        if (denied != null) return denied;
        ObjectNode out = Json.object();
        out.put("time", Instant.now().toString());
        out.put("connections", console.sessionCount());
        out.put("users", console.limits().users());
        out.put("channels_joined", console.metrics().joinedChannels());
        double in = 0;
        double outRate = 0;
        for (ChannelStats s : console.activity().snapshot().values()) {
            in += s.inPerSecond();
            outRate += s.outPerSecond();
        }
        out.put("topics", console.activity().snapshot().size());
        out.put("messages_in_per_second", round(in));
        out.put("messages_out_per_second", round(outRate));
        out.put("events_per_second", round(console.limits().eventsPerSecond()));
        out.put("max_events_per_second", console.limits().settings().maxEventsPerSecond());
        long drops = 0;
        for (ErrorCode c : ErrorCode.values()) drops += (long) console.metrics().drops(c);
        out.put("drops_total", drops);
        CdcService cdc = console.cdc();
        out.put("cdc", cdc == null ? "disabled" : cdc.state());
        out.put("cdc_slot_lag_bytes", cdc == null ? -1 : cdc.slotLagBytes());
        out.put("plugins", console.plugins().plugins().size());
        out.put("demo", console.config().demo());
        return ok(out);
    }

    // ---- channels -----------------------------------------------------------------------------------------------

    /** Subscribers grouped by topic, from the live sessions. */
    private Map<TopicKey, List<Channel>> subscribersByTopic() {
        Map<TopicKey, List<Channel>> byTopic = new LinkedHashMap<>();
        for (RealtimeSession s : console.sessions()) {
            for (Channel ch : s.channels()) byTopic.computeIfAbsent(ch.key(), k -> new ArrayList<>()).add(ch);
        }
        return byTopic;
    }

    @GET
    @Path("channels")
    public Response channels(@HeaderParam("authorization") String authorization) {
        Response denied = guard(authorization);
        if (denied != null) return denied;
        Map<TopicKey, List<Channel>> byTopic = subscribersByTopic();
        console.activity().forgetIdle(byTopic.keySet());
        Set<TopicKey> topics = new HashSet<>(byTopic.keySet());
        topics.addAll(console.activity().snapshot().keySet());
        List<TopicKey> sorted = new ArrayList<>(topics);
        sorted.sort(Comparator.comparing(TopicKey::name).thenComparing(TopicKey::isPrivate));
        ArrayNode list = Json.NODES.arrayNode();
        for (TopicKey key : sorted) list.add(channelJson(key, byTopic.getOrDefault(key, List.of()), false));
        ObjectNode out = Json.object();
        out.set("channels", list);
        return ok(out);
    }

    @GET
    @Path("channels/{side}/{name: .+}")
    public Response channel(@HeaderParam("authorization") String authorization, @PathParam("side") String side,
                            @PathParam("name") String name) {
        Response denied = guard(authorization);
        if (denied != null) return denied;
        if (!side.equals("public") && !side.equals("private")) {
            return error(400, "invalid_side", "the channel path is /admin/api/channels/public/<name> or /admin/api/channels/private/<name>");
        }
        TopicKey key = new TopicKey(side.equals("private"), name);
        List<Channel> subs = subscribersByTopic().getOrDefault(key, List.of());
        if (subs.isEmpty() && console.activity().peek(key) == null) return error(404, "not_found", "no channel " + side + ":" + name);
        return ok(channelJson(key, subs, true));
    }

    private ObjectNode channelJson(TopicKey key, List<Channel> subs, boolean detail) {
        ChannelStats stats = console.activity().peek(key);
        ObjectNode c = Json.object();
        c.put("topic", key.name());
        c.put("private", key.isPrivate());
        c.put("subscribers", subs.size());
        c.put("presence_members", console.presenceMembers(key));
        c.put("messages_in_per_second", stats == null ? 0 : round(stats.inPerSecond()));
        c.put("messages_out_per_second", stats == null ? 0 : round(stats.outPerSecond()));
        c.put("messages_in_total", stats == null ? 0 : stats.totalIn());
        c.put("messages_out_total", stats == null ? 0 : stats.totalOut());
        double p50 = stats == null ? -1 : stats.latencyMs(0.5);
        double p99 = stats == null ? -1 : stats.latencyMs(0.99);
        if (p50 < 0) c.putNull("latency_p50_ms");
        else c.put("latency_p50_ms", p50);
        if (p99 < 0) c.putNull("latency_p99_ms");
        else c.put("latency_p99_ms", p99);
        ObjectNode drops = c.putObject("drops");
        if (stats != null) stats.drops().forEach((code, n) -> drops.put(code.tag(), n));
        c.put("drops_last_minute", stats == null ? 0 : stats.recentDrops());
        long last = stats == null ? 0 : stats.lastActivityMs();
        if (last > 0) c.put("last_activity", Instant.ofEpochMilli(last).toString());
        else c.putNull("last_activity");
        double fill = 0;
        int bindings = 0;
        for (Channel ch : subs) {
            RealtimeSession s = ch.session();
            fill = Math.max(fill, s.queueLimit() == 0 ? 0 : (double) s.queueDepth() / s.queueLimit());
            bindings += ch.subscribedChanges() == null ? 0 : ch.subscribedChanges().size();
        }
        c.put("postgres_changes", bindings);
        HealthRules.Health health = HealthRules.evaluate(stats, fill, bindings > 0, console.cdc() == null ? null : console.cdc().state());
        c.put("health", health.status());
        ArrayNode reasons = c.putArray("health_reasons");
        health.reasons().forEach(reasons::add);
        if (detail) {
            ArrayNode list = c.putArray("subscriptions");
            for (Channel ch : subs) {
                RealtimeSession s = ch.session();
                ObjectNode sub = list.addObject();
                sub.put("connection", s.id());
                sub.put("user", s.claims().subject());
                sub.put("role", s.claims().role());
                sub.put("protocol", s.version().wire());
                sub.put("presence_key", ch.presenceKey());
                sub.put("presence", ch.presenceEnabled());
                sub.put("self", ch.self());
                sub.put("ack", ch.ack());
                sub.put("queue_depth", s.queueDepth());
                sub.set("postgres_changes", ch.subscribedChanges() == null ? Json.NODES.arrayNode() : ch.subscribedChanges().deepCopy());
            }
        }
        return c;
    }

    // ---- connections --------------------------------------------------------------------------------------------

    @GET
    @Path("connections")
    public Response connections(@HeaderParam("authorization") String authorization, @QueryParam("user") String user) {
        Response denied = guard(authorization);
        if (denied != null) return denied;
        ArrayNode list = Json.NODES.arrayNode();
        List<RealtimeSession> sessions = new ArrayList<>(console.sessions());
        sessions.sort(Comparator.comparingLong(RealtimeSession::openedAtMs));
        for (RealtimeSession s : sessions) {
            if (user != null && !user.equals(s.claims().subject())) continue;
            ObjectNode c = list.addObject();
            c.put("id", s.id());
            c.put("user", s.claims().subject());
            c.put("role", s.claims().role());
            c.put("protocol", s.version().wire());
            c.put("connected_at", Instant.ofEpochMilli(s.openedAtMs()).toString());
            ArrayNode chans = c.putArray("channels");
            for (Channel ch : s.channels()) chans.add((ch.isPrivate() ? "private:" : "") + ch.subTopic());
            c.put("queue_depth", s.queueDepth());
            c.put("queue_limit", s.queueLimit());
        }
        ObjectNode out = Json.object();
        out.set("connections", list);
        return ok(out);
    }

    @DELETE
    @Path("connections/{id}")
    public Response disconnect(@HeaderParam("authorization") String authorization, @PathParam("id") String id,
                               @QueryParam("reason") String reason) {
        Response denied = guard(authorization);
        if (denied != null) return denied;
        return disconnect(id, reason);
    }

    @POST
    @Path("connections/{id}/disconnect")
    @Consumes(MediaType.WILDCARD)
    public Response disconnectPost(@HeaderParam("authorization") String authorization, @PathParam("id") String id, byte[] body) {
        Response denied = guard(authorization);
        if (denied != null) return denied;
        JsonNode json = body == null || body.length == 0 ? Json.object() : readObject(body);
        if (json == null) return error(400, "invalid_body", "expected a JSON object {\"reason\": \"...\"}");
        return disconnect(id, json.path("reason").asText(null));
    }

    private Response disconnect(String id, String reason) {
        String text = reason == null || reason.isBlank() ? "no reason given" : reason.strip();
        if (text.length() > 200) return error(400, "invalid_reason", "reason must be at most 200 characters");
        RealtimeSession s = console.session(id);
        if (s == null) return error(404, "not_found", "no connection " + id);
        s.disconnectByAdmin(text);
        ObjectNode out = Json.object();
        out.put("disconnected", id);
        out.put("reason", text);
        return ok(out);
    }

    // ---- change capture -----------------------------------------------------------------------------------------

    @GET
    @Path("cdc")
    public Response cdc(@HeaderParam("authorization") String authorization) {
        Response denied = guard(authorization);
        if (denied != null) return denied;
        ObjectNode out = Json.object();
        CdcService cdc = console.cdc();
        if (cdc == null) {
            out.put("state", "disabled");
            out.put("message", ErrorCode.POSTGRES_CHANGES_DISABLED.message());
            return ok(out);
        }
        out.put("state", cdc.state());
        out.put("slot", cdc.slotName());
        out.put("publication", cdc.publications().publication());
        long lsn = cdc.lastLsn();
        out.put("last_lsn", lsn == 0 ? null : String.format("%X/%X", lsn >>> 32, lsn & 0xFFFFFFFFL));
        out.put("slot_lag_bytes", cdc.slotLagBytes());
        out.put("events_per_second", round(cdc.eventsPerSecond()));
        ObjectNode errors = out.putObject("errors");
        errors.put("last_error", cdc.lastError());
        for (ErrorCode c : new ErrorCode[] {ErrorCode.POSTGRES_SUBSCRIPTION_INVALID, ErrorCode.POSTGRES_SUBSCRIBE_TIMEOUT,
                ErrorCode.POSTGRES_SUBSCRIBE_REFUSED, ErrorCode.POSTGRES_BINDING_FAILED, ErrorCode.ROW_POLICY_DENIED}) {
            errors.put(c.tag(), (long) console.metrics().drops(c));
        }
        ArrayNode tables = out.putArray("tables");
        try {
            List<String> names = new ArrayList<>(cdc.publications().publishedTables());
            names.sort(null);
            for (String qualified : names) {
                String[] parts = qualified.split("\\.", 2);
                ObjectNode t = tables.addObject();
                t.put("table", qualified);
                TableInfo info = cdc.catalog().table(parts[0], parts[1]).orElse(null);
                if (info == null) {
                    t.putNull("replica_identity");
                    continue;
                }
                t.put("replica_identity", switch (info.replicaIdentity()) {
                    case 'f' -> "full";
                    case 'i' -> "index";
                    case 'n' -> "nothing";
                    default -> "default";
                });
                t.put("primary_key", info.hasPrimaryKey());
                t.put("row_security", info.rowSecurity());
                if (!info.fullReplicaIdentity()) {
                    t.put("warning", "REPLICA IDENTITY is not FULL: DELETE events carry only the primary key, so "
                            + "postgres_changes filters on other columns cannot match deletes (ALTER TABLE " + qualified
                            + " REPLICA IDENTITY FULL)");
                }
            }
        } catch (SQLException | RuntimeException e) {
            out.put("tables_error", e.getMessage());
        }
        return ok(out);
    }

    // ---- limits -------------------------------------------------------------------------------------------------

    @GET
    @Path("limits")
    public Response limits(@HeaderParam("authorization") String authorization) {
        Response denied = guard(authorization);
        if (denied != null) return denied;
        return ok(limitsJson(console.limits().settings()));
    }

    @PUT
    @Path("limits")
    @Consumes(MediaType.WILDCARD)
    public Response changeLimits(@HeaderParam("authorization") String authorization, byte[] body) {
        AdminAccess.Caller caller = console.adminAccess().check(authorization);
        if (!caller.allowed()) return refused(caller);
        JsonNode json = readObject(body);
        if (json == null) return error(400, "invalid_body", "expected a JSON object of limit keys to values, e.g. {\"herald.limits.max-events-per-second\": 100}");
        JsonNode changes = json.has("limits") && json.get("limits").isObject() ? json.get("limits") : json;
        Map<String, Object> map = new LinkedHashMap<>();
        changes.fields().forEachRemaining(e -> {
            JsonNode v = e.getValue();
            map.put(e.getKey(), v.isIntegralNumber() ? (Object) v.bigIntegerValue() : v.isNumber() ? v.doubleValue() : v.isTextual() ? v.asText() : null);
        });
        if (map.isEmpty()) return error(400, "invalid_body", "no limit to change");
        LimitStore store = console.limitStore();
        if (store == null) return error(503, "admin_disabled", "limits cannot be changed on this engine");
        try {
            return ok(limitsJson(store.change(map, caller.actor())));
        } catch (LimitStore.InvalidLimit e) {
            ObjectNode b = Json.object();
            b.put("error", "invalid_limit");
            b.put("field", e.field());
            b.put("message", e.getMessage());
            return Response.status(400).type(MediaType.APPLICATION_JSON_TYPE).entity(Json.write(b)).build();
        } catch (SQLException e) {
            return error(503, "storage_failed", "cannot store the change: " + e.getMessage());
        }
    }

    @GET
    @Path("limits/audit")
    public Response audit(@HeaderParam("authorization") String authorization, @QueryParam("max") Integer max) {
        Response denied = guard(authorization);
        if (denied != null) return denied;
        LimitStore store = console.limitStore();
        ArrayNode list = Json.NODES.arrayNode();
        try {
            if (store != null) {
                for (LimitStore.AuditEntry a : store.audit(max == null ? 100 : Math.max(1, Math.min(1_000, max)))) {
                    ObjectNode e = list.addObject();
                    e.put("at", Instant.ofEpochMilli(a.atMs()).toString());
                    e.put("actor", a.actor());
                    e.put("setting", a.setting());
                    e.put("old", a.oldValue());
                    e.put("new", a.newValue());
                }
            }
        } catch (SQLException e) {
            return error(503, "storage_failed", "cannot read the audit: " + e.getMessage());
        }
        ObjectNode out = Json.object();
        out.put("persistent", store != null && store.persistent());
        out.set("audit", list);
        return ok(out);
    }

    private ObjectNode limitsJson(LimitSettings settings) {
        ObjectNode out = Json.object();
        ObjectNode l = out.putObject("limits");
        settings.asMap().forEach(l::put);
        out.put("profile", console.config().limitsProfile());
        out.put("persistent", console.limitStore() != null && console.limitStore().persistent());
        ObjectNode usage = out.putObject("usage");
        usage.put("users", console.limits().users());
        usage.put("events_per_second", round(console.limits().eventsPerSecond()));
        usage.put("rest_requests_per_second", round(console.limits().restPerSecond()));
        return out;
    }

    // ---- plugins ------------------------------------------------------------------------------------------------

    @GET
    @Path("plugins")
    public Response plugins(@HeaderParam("authorization") String authorization) {
        Response denied = guard(authorization);
        if (denied != null) return denied;
        ArrayNode list = Json.NODES.arrayNode();
        for (PluginHost.Info p : console.plugins().plugins()) {
            ObjectNode o = list.addObject();
            o.put("id", p.id());
            o.put("version", p.version());
            o.put("description", p.description());
            o.put("enabled", p.enabled());
            ArrayNode tables = o.putArray("tables");
            p.tables().forEach(tables::add);
            ArrayNode internal = o.putArray("internal_tables");
            p.internalTables().forEach(internal::add);
            ArrayNode chans = o.putArray("channels");
            p.channels().forEach(chans::add);
            ObjectNode settings = o.putObject("settings");
            p.settings().forEach(settings::put);
            if (p.state() == null) {
                o.putNull("state");
            } else {
                ObjectNode state = o.putObject("state");
                state.put("health", p.state().health().name().toLowerCase(Locale.ROOT));
                state.put("summary", p.state().summary());
                state.set("figures", Json.MAPPER.valueToTree(p.state().figures()));
            }
        }
        ObjectNode out = Json.object();
        out.set("plugins", list);
        return ok(out);
    }

    // ---- helpers ------------------------------------------------------------------------------------------------

    private Response guard(String authorization) {
        AdminAccess.Caller caller = console.adminAccess().check(authorization);
        return caller.allowed() ? null : refused(caller);
    }

    private static Response refused(AdminAccess.Caller caller) {
        return error(caller.status(), caller.status() == 503 ? "admin_disabled" : "unauthorized", caller.error());
    }

    private static JsonNode readObject(byte[] body) {
        if (body == null || body.length == 0) return null;
        try {
            JsonNode n = Json.read(body);
            return n != null && n.isObject() ? n : null;
        } catch (IOException e) {
            return null;
        }
    }

    private static double round(double v) {
        return Math.round(v * 100) / 100.0;
    }

    static Response ok(ObjectNode body) {
        return Response.ok(Json.write(body), MediaType.APPLICATION_JSON_TYPE).header("Cache-Control", "no-store").build();
    }

    static Response error(int status, String error, String message) {
        ObjectNode b = Json.object();
        b.put("error", error);
        b.put("message", message);
        return Response.status(status).type(MediaType.APPLICATION_JSON_TYPE).entity(Json.write(b)).header("Cache-Control", "no-store").build();
    }
}
