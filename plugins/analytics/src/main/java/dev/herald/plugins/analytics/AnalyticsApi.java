package dev.herald.plugins.analytics;

import dev.herald.api.ErrorCode;
import dev.herald.api.policy.Principal;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The REST API at {@code /plugins/analytics} (docs/plugins/analytics.md). Every call needs a valid JWT, which Herald
 * checks before the request gets here. One instance serves one request of one caller; everything else it holds is
 * shared by every request and thread-safe.
 */
@Produces(MediaType.APPLICATION_JSON)
public final class AnalyticsApi {
    private static final Logger LOG = Logger.getLogger(AnalyticsApi.class.getName());
    static final Duration MAX_RANGE = Duration.ofDays(31);

    private final Principal caller;
    private final BatchValidator validator;
    private final AnalyticsStore store;
    private final LiveCounters counters;
    private final LiveMetricsPublisher publisher;
    private final Clock clock;
    private final AnalyticsStats stats;

    AnalyticsApi(Principal caller, BatchValidator validator, AnalyticsStore store, LiveCounters counters, LiveMetricsPublisher publisher,
                 Clock clock, AnalyticsStats stats) {
        this.caller = caller;
        this.validator = validator;
        this.store = store;
        this.counters = counters;
        this.publisher = publisher;
        this.clock = clock;
        this.stats = stats;
    }

    /** {@code POST /plugins/analytics/events}: a whole batch is stored and counted, or (any bad event) nothing. */
    @POST
    @Path("events")
    @Consumes(MediaType.APPLICATION_JSON)
    public Response ingest(String body) {
        Instant now = clock.instant();
        List<Event> events;
        try {
            events = validator.validate(body, caller.role(), caller.subject(), now);
        } catch (InvalidBatch e) {
            stats.rejected();
            Map<String, Object> err = error(e.status() == 403 ? ErrorCode.PLUGIN_FORBIDDEN : ErrorCode.PLUGIN_INVALID_INPUT, e.getMessage());
            if (e.index() >= 0) err.put("index", e.index());
            return Response.status(e.status()).type(MediaType.APPLICATION_JSON).entity(err).build();
        }
        try {
            store.insertEvents(events);
        } catch (SQLException e) {
            stats.batchFailed();
            stats.databaseFailed("storing a batch of events");
            LOG.log(Level.WARNING, "analytics: storing a batch of " + events.size() + " events failed", e);
            return Response.status(503).type(MediaType.APPLICATION_JSON)
                    .entity(error(ErrorCode.PLUGIN_UNAVAILABLE, "the events could not be stored (database error); nothing was recorded, retry later")).build();
        }
        if (!events.isEmpty()) stats.databaseWorked();
        stats.accepted(events.size());
        counters.record(events, now.toEpochMilli());
        return Response.ok(Map.of("accepted", events.size())).build();
    }

    /** {@code GET /plugins/analytics/live-metrics}: the counters now (what the next channel update would carry). */
    @GET
    @Path("live-metrics")
    public Map<String, Object> liveMetrics() {
        return publisher.snapshot();
    }

    /** {@code GET /plugins/analytics/rollups?from=&to=[&metric=]}: flushed per-minute counts with from <= minute < to. */
    @GET
    @Path("rollups")
    public Response rollups(@QueryParam("from") String from, @QueryParam("to") String to, @QueryParam("metric") String metric) {
        Instant f = instant("from", from);
        Instant t = instant("to", to);
        if (!t.isAfter(f)) throw invalid("'to' must be later than 'from'");
        if (Duration.between(f, t).compareTo(MAX_RANGE) > 0) throw invalid("the range is longer than " + MAX_RANGE.toDays() + " days");
        if (metric != null && !EventTypes.NAME.matcher(metric).matches()) throw invalid("'metric' must be an event type name");
        List<AnalyticsStore.Rollup> rows;
        try {
            rows = store.rollups(f, t, metric);
            stats.databaseWorked();
        } catch (SQLException e) {
            stats.databaseFailed("reading rollups");
            LOG.log(Level.WARNING, "analytics: reading rollups failed", e);
            throw new WebApplicationException(Response.status(503).type(MediaType.APPLICATION_JSON)
                    .entity(error(ErrorCode.PLUGIN_UNAVAILABLE, "the rollups could not be read (database error)")).build());
        }
        Map<String, Long> totals = new TreeMap<>();
        for (AnalyticsStore.Rollup r : rows) totals.merge(r.metric(), r.count(), Long::sum);
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("from", f.toString());
        out.put("to", t.toString());
        if (metric != null) out.put("metric", metric);
        out.put("rollups", rows);
        out.put("totals", totals);
        out.put("pending_flush", counters.hasPending());
        return Response.ok(out).build();
    }

    private static Instant instant(String name, String value) {
        if (value == null || value.isBlank()) throw invalid("'" + name + "' is required (an ISO-8601 timestamp with offset, e.g. 2026-01-31T12:00:00Z)");
        try {
            return OffsetDateTime.parse(value).toInstant();
        } catch (DateTimeParseException e) {
            throw invalid("'" + name + "' is not an ISO-8601 timestamp with offset (e.g. 2026-01-31T12:00:00Z)");
        }
    }

    private static WebApplicationException invalid(String message) {
        return new WebApplicationException(Response.status(400).type(MediaType.APPLICATION_JSON).entity(error(ErrorCode.PLUGIN_INVALID_INPUT, message)).build());
    }

    private static Map<String, Object> error(ErrorCode code, String message) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("error", code.code());
        m.put("message", code.message(message));
        return m;
    }
}
