package dev.herald.runtime.admin;

import dev.herald.runtime.config.HeraldConfig;
import dev.herald.runtime.core.RealtimeSession;
import dev.herald.runtime.core.Sessions;
import dev.herald.runtime.core.TopicKey;
import dev.herald.runtime.db.Database;
import dev.herald.runtime.limits.Limits;
import dev.herald.runtime.metrics.ChannelActivity;
import dev.herald.runtime.metrics.HeraldMetrics;
import io.micrometer.core.instrument.Gauge;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.sql.SQLException;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Wires the admin side of an engine at start: the credential, the stored limits and the engine-wide gauges. */
public final class AdminSetup {
    private static final Logger LOG = LoggerFactory.getLogger(AdminSetup.class);

    private AdminSetup() {
    }

    /**
     * The admin credential: the configured password; else, on a standalone server bound to loopback, a password
     * generated into the data directory (printed in the startup notes); else the admin API stays disabled.
     */
    public static AdminAccess access(HeraldConfig config, boolean inContainer, List<String> notes) {
        String env = HeraldConfig.envName(HeraldConfig.ADMIN_PASSWORD);
        if (config.adminPassword() != null) return AdminAccess.withPassword(config.adminPassword());
        if (inContainer) {
            return AdminAccess.disabled("The admin API is disabled: set " + env + " (" + HeraldConfig.ADMIN_PASSWORD
                    + ") to enable it when Herald runs inside an application server");
        }
        if (!loopback(config.httpHost())) {
            notes.add("No " + env + " configured: the admin console is disabled on the non-loopback address " + config.httpHost());
            return AdminAccess.disabled("The admin API is disabled: set " + env + " (" + HeraldConfig.ADMIN_PASSWORD
                    + ") to enable it when binding to a non-loopback address");
        }
        String password = AdminAccess.loadOrCreatePassword(config.dataDir());
        notes.add("Admin console at /admin: user admin, password " + password + " (generated, stored in "
                + config.dataDir().resolve(AdminAccess.FILE_NAME) + "; set " + env + " to choose one)");
        return AdminAccess.withPassword(password);
    }

    /** The limit store of an engine (database may be null), with the limits stored by earlier runs applied. */
    public static LimitStore limitStore(Database database, Limits limits) {
        if (database == null) return new LimitStore(null, limits);
        database.migrate();
        LimitStore store = new LimitStore(database.dataSource(), limits);
        try {
            List<String> applied = store.applyStored();
            if (!applied.isEmpty()) LOG.info("applied limits changed from the admin API: {}", applied);
        } catch (SQLException e) {
            LOG.warn("cannot read the limits stored by the admin API: {}", e.getMessage());
        }
        return store;
    }

    /** Engine-wide gauges computed from its state (low cardinality: no per-topic labels). */
    public static void gauges(HeraldMetrics metrics, Limits limits, Sessions sessions, ChannelActivity<TopicKey> activity) {
        var registry = metrics.registry();
        if (registry.find("herald.users").gauge() != null) return;
        Gauge.builder("herald.users", limits, l -> l.users())
                .description("Connections with at least one joined channel (the concurrent-users limit counts these)").register(registry);
        Gauge.builder("herald.events.rate", limits, l -> l.eventsPerSecond())
                .description("Broadcast events per second (sent and delivered) averaged over the limits' rate window").register(registry);
        Gauge.builder("herald.outbound.queued", sessions, s -> s.list().stream().mapToInt(RealtimeSession::queueDepth).sum())
                .description("Frames waiting in outbound queues, over all connections").register(registry);
        Gauge.builder("herald.topics.active", activity, a -> a.snapshot().size())
                .description("Topics with activity in the last five minutes or with subscribers").register(registry);
    }

    static boolean loopback(String host) {
        try {
            for (InetAddress a : InetAddress.getAllByName(host)) {
                if (!a.isLoopbackAddress()) return false;
            }
            return true;
        } catch (UnknownHostException e) {
            return false;
        }
    }
}
