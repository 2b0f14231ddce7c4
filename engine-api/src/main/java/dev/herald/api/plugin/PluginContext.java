package dev.herald.api.plugin;

import dev.herald.api.policy.Principal;
import java.util.List;
import java.util.Map;
import javax.sql.DataSource;

/**
 * What the engine offers one plugin, from {@link Plugin#start} until {@link Plugin#close}. It carries no web or
 * persistence types: the verified caller of a REST request comes with the request ({@link ServesRest}), JPA through
 * {@link UsesJpa}. Thread-safe: every method may be called from any thread, including REST and hook threads.
 */
public interface PluginContext {

    /** The plugin's configuration. */
    PluginConfig config();

    /**
     * Herald's PostgreSQL (the database that holds the plugin's tables), a pooled data source. Connections must be
     * closed promptly; the pool is shared with the engine.
     */
    DataSource dataSource();

    /**
     * Publishes a server broadcast to every client joined to {@code topic} (the name given to
     * {@code supabase.channel(name)}), as if sent through Herald's REST broadcast endpoint by the service role:
     * delivered in publish order per topic, at most once, to the clients joined at that moment (and kept for resume).
     *
     * @param topic the channel's sub-topic, without {@code realtime:}
     * @param privateChannel whether the message goes to the private channel of that name (clients that joined with
     *                       {@code config.private: true}) or the public one
     * @param event the broadcast event name the client listens for
     * @param payload a JSON-serialisable value: maps, lists, strings, numbers, booleans, null, records
     */
    void broadcast(String topic, boolean privateChannel, String event, Object payload);

    /**
     * The presence state of a channel at this instant: presence key → the metas tracked under it (each including
     * {@code phx_ref}). Empty when nobody is tracked.
     */
    Map<String, List<Map<String, Object>>> presence(String topic, boolean privateChannel);

    /**
     * Verifies a raw JWT as Herald verifies a client's token (signature, expiry, the configured issuer and audience),
     * e.g. one a plugin's WebSocket client sends inside a message.
     *
     * @throws SecurityException when the token is not valid, with a message saying why
     */
    Principal verify(String jwt);

    /** Whether the plugin with this id is installed and enabled (for optional integrations between plugins). */
    boolean pluginEnabled(String id);

    /**
     * Another plugin's published service, e.g. the analytics plugin's usage recorder, or null when that plugin is
     * absent or publishes no such service. Services are published with {@link #publish}.
     */
    <T> T service(Class<T> type);

    /** Publishes a service other plugins can look up with {@link #service(Class)}; the type should live in an API jar both share. */
    <T> void publish(Class<T> type, T service);
}
