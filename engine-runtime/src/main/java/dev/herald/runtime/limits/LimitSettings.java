package dev.herald.runtime.limits;

import dev.herald.runtime.config.ConfigException;
import dev.herald.runtime.config.HeraldConfig;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Every limit Herald enforces, as one immutable value that can be swapped at runtime. {@code 0} means unlimited for
 * the count and rate limits. Rates are averaged over {@code rateWindowMs}.
 */
public record LimitSettings(int maxConcurrentUsers, int maxJoinsPerSecond, int maxChannelsPerClient, int maxEventsPerSecond,
                            int maxPresenceEventsPerSecond, int clientPresenceMaxCalls, long clientPresenceWindowMs,
                            int maxPayloadKb, int outboundQueueMessages, int restRequestsPerSecond, long rateWindowMs) {

    /** Herald's defaults: out of the way of one busy server, still stopping floods. */
    public static LimitSettings herald() {
        return new LimitSettings(0, 5_000, 500, 0, 0, 60, 30_000, 3_000, 4_096, 0, 10_000);
    }

    /** Supabase Realtime's tenant defaults (docs/wire-protocol.md, Limits and error texts). */
    public static LimitSettings supabase() {
        return new LimitSettings(200, 100, 100, 100, 1_000, 5, 30_000, 3_000, 4_096, 0, 60_000);
    }

    public static LimitSettings fromConfig(HeraldConfig config) {
        LimitSettings base = config.limitsProfile().equals("supabase") ? supabase() : herald();
        return base.with(config.limitOverrides());
    }

    /** Largest payload in bytes: kb × 1000 + 500, as Supabase measures it. */
    public int maxPayloadBytes() {
        return maxPayloadKb * 1000 + 500;
    }

    /** The settings as configuration keys → values (for the admin API and docs). */
    public Map<String, Long> asMap() {
        Map<String, Long> m = new LinkedHashMap<>();
        m.put(HeraldConfig.LIMITS_MAX_CONCURRENT_USERS, (long) maxConcurrentUsers);
        m.put(HeraldConfig.LIMITS_MAX_JOINS_PER_SECOND, (long) maxJoinsPerSecond);
        m.put(HeraldConfig.LIMITS_MAX_CHANNELS_PER_CLIENT, (long) maxChannelsPerClient);
        m.put(HeraldConfig.LIMITS_MAX_EVENTS_PER_SECOND, (long) maxEventsPerSecond);
        m.put(HeraldConfig.LIMITS_MAX_PRESENCE_EVENTS_PER_SECOND, (long) maxPresenceEventsPerSecond);
        m.put(HeraldConfig.LIMITS_CLIENT_PRESENCE_MAX_CALLS, (long) clientPresenceMaxCalls);
        m.put(HeraldConfig.LIMITS_CLIENT_PRESENCE_WINDOW_MS, clientPresenceWindowMs);
        m.put(HeraldConfig.MAX_PAYLOAD_KB, (long) maxPayloadKb);
        m.put(HeraldConfig.OUTBOUND_QUEUE_MESSAGES, (long) outboundQueueMessages);
        m.put(HeraldConfig.LIMITS_REST_REQUESTS_PER_SECOND, (long) restRequestsPerSecond);
        m.put(HeraldConfig.LIMITS_RATE_WINDOW_MS, rateWindowMs);
        return m;
    }

    /** A copy with the given keys replaced; unknown keys and out-of-range values are refused. */
    public LimitSettings with(Map<String, Long> changes) {
        Map<String, Long> m = asMap();
        for (Map.Entry<String, Long> e : changes.entrySet()) {
            if (!m.containsKey(e.getKey())) throw new ConfigException("unknown limit " + e.getKey());
            if (e.getValue() == null || e.getValue() < 0 || e.getValue() > Integer.MAX_VALUE) {
                throw new ConfigException("limit " + e.getKey() + " must be between 0 and " + Integer.MAX_VALUE);
            }
            m.put(e.getKey(), e.getValue());
        }
        LimitSettings s = new LimitSettings(
                m.get(HeraldConfig.LIMITS_MAX_CONCURRENT_USERS).intValue(),
                m.get(HeraldConfig.LIMITS_MAX_JOINS_PER_SECOND).intValue(),
                m.get(HeraldConfig.LIMITS_MAX_CHANNELS_PER_CLIENT).intValue(),
                m.get(HeraldConfig.LIMITS_MAX_EVENTS_PER_SECOND).intValue(),
                m.get(HeraldConfig.LIMITS_MAX_PRESENCE_EVENTS_PER_SECOND).intValue(),
                m.get(HeraldConfig.LIMITS_CLIENT_PRESENCE_MAX_CALLS).intValue(),
                m.get(HeraldConfig.LIMITS_CLIENT_PRESENCE_WINDOW_MS),
                m.get(HeraldConfig.MAX_PAYLOAD_KB).intValue(),
                m.get(HeraldConfig.OUTBOUND_QUEUE_MESSAGES).intValue(),
                m.get(HeraldConfig.LIMITS_REST_REQUESTS_PER_SECOND).intValue(),
                m.get(HeraldConfig.LIMITS_RATE_WINDOW_MS));
        if (s.maxPayloadKb < 1) throw new ConfigException("limit " + HeraldConfig.MAX_PAYLOAD_KB + " must be at least 1");
        if (s.outboundQueueMessages < 16) throw new ConfigException("limit " + HeraldConfig.OUTBOUND_QUEUE_MESSAGES + " must be at least 16");
        if (s.rateWindowMs < 1_000) throw new ConfigException("limit " + HeraldConfig.LIMITS_RATE_WINDOW_MS + " must be at least 1000");
        if (s.clientPresenceWindowMs < 100) throw new ConfigException("limit " + HeraldConfig.LIMITS_CLIENT_PRESENCE_WINDOW_MS + " must be at least 100");
        return s;
    }
}
