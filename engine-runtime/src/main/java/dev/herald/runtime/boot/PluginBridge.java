package dev.herald.runtime.boot;

import com.fasterxml.jackson.databind.JsonNode;
import dev.herald.api.ErrorCode;
import dev.herald.api.policy.Principal;
import dev.herald.runtime.auth.JwtVerifier;
import dev.herald.runtime.auth.TokenException;
import dev.herald.runtime.core.Admission;
import dev.herald.runtime.core.Broadcasts;
import dev.herald.runtime.core.PresenceRegistry;
import dev.herald.runtime.core.TopicKey;
import dev.herald.runtime.db.Database;
import dev.herald.runtime.metrics.HeraldMetrics;
import dev.herald.runtime.plugin.EnginePluginContext;
import dev.herald.runtime.plugin.PluginHost;
import dev.herald.runtime.policy.Principals;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.sql.DataSource;

/**
 * What plugins reach of the engine (see {@link EnginePluginContext}). Plugins start before the engine's message path
 * exists (their policies shape it), so the path is attached once built; a broadcast a plugin sends before then has
 * no possible recipient (no client can connect before the engine runs) and is dropped as {@code realtime_restarting}.
 * Thread-safe.
 */
final class PluginBridge implements EnginePluginContext.Engineside {
    private final HeraldMetrics metrics;
    private final JwtVerifier verifier;
    private final Admission admission;
    private final Database database;
    private final PluginHost plugins;
    private volatile Broadcasts broadcasts;
    private volatile PresenceRegistry presence;

    PluginBridge(HeraldMetrics metrics, JwtVerifier verifier, Admission admission, Database database, PluginHost plugins) {
        this.metrics = metrics;
        this.verifier = verifier;
        this.admission = admission;
        this.database = database;
        this.plugins = plugins;
    }

    void attach(Broadcasts broadcasts, PresenceRegistry presence) {
        this.broadcasts = broadcasts;
        this.presence = presence;
    }

    @Override
    public void broadcast(String topic, boolean privateChannel, String event, JsonNode payload) {
        Broadcasts b = broadcasts;
        if (b == null) {
            metrics.drop(ErrorCode.REALTIME_RESTARTING);
            return;
        }
        b.publishFromServer(new TopicKey(privateChannel, topic), event, payload);
    }

    @Override
    public Map<String, List<Map<String, Object>>> presence(String topic, boolean privateChannel) {
        PresenceRegistry p = presence;
        return p == null ? new LinkedHashMap<>() : p.snapshot(new TopicKey(privateChannel, topic));
    }

    /** The verified caller of a plugin REST request; a refusal is counted as {@code rest_unauthorized}. */
    Principal restCaller(String authorization, String apikey) throws TokenException {
        try {
            return Principals.of(admission.authenticateRest(authorization, apikey));
        } catch (TokenException e) {
            metrics.drop(ErrorCode.REST_UNAUTHORIZED);
            throw e;
        }
    }

    @Override
    public Principal verify(String jwt) {
        return Principals.verifiedForPlugin(verifier, jwt);
    }

    @Override
    public DataSource dataSource() {
        return database == null ? null : database.dataSource();
    }

    @Override
    public boolean pluginEnabled(String id) {
        return plugins.isEnabled(id);
    }
}
