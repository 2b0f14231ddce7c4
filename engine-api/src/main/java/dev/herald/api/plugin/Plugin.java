package dev.herald.api.plugin;

import java.util.List;
import java.util.Set;

/**
 * A plugin: one instance per engine, registered in {@code META-INF/services/dev.herald.api.plugin.Plugin} and created
 * by {@link java.util.ServiceLoader} (public no-argument constructor).
 *
 * <p>This interface is only the plugin's identity and lifecycle. What a plugin adds to Herald comes through small
 * optional interfaces it implements next to this one, each read once at a fixed point of the lifecycle:
 * <ul>
 *   <li>{@link OwnsTables} — its tables and migrations (after {@link #init});</li>
 *   <li>{@link UsesJpa} — Jakarta Persistence entities over those tables (after {@link #init});</li>
 *   <li>{@link DeclaresChannels}, {@link DeclaresPolicies}, {@link ReactsToChanges}, {@link ServesRest},
 *       {@link ServesSockets} — channels, access policies, table hooks, REST and WebSocket endpoints (after
 *       {@link #start});</li>
 *   <li>{@link ReportsState} — health and live figures for the admin console (any time after {@link #start}).</li>
 * </ul>
 * A plugin implements only those it has; nothing in this interface grows when a new kind of contribution appears.
 *
 * <p>Threading: the lifecycle methods are called from one thread, never concurrently, in dependency order (reverse
 * order for {@link #close}). Objects the plugin hands out (policies, hooks, REST resources, endpoints) are called
 * concurrently and must be thread-safe.
 */
public interface Plugin {

    /**
     * The plugin's id: lower-case letters and digits, starting with a letter ({@code [a-z][a-z0-9]{0,31}}). It names
     * the configuration keys ({@code herald.plugins.<id>.*}), the REST and WebSocket paths ({@code /plugins/<id>/...})
     * and the migration history. Constant.
     */
    String id();

    /** The plugin's version as shown in the log and the admin console; by default the jar's Implementation-Version. */
    default String version() {
        String v = getClass().getPackage() == null ? null : getClass().getPackage().getImplementationVersion();
        return v == null ? "dev" : v;
    }

    /** A one-line description for the log and the admin console. */
    default String description() {
        return "";
    }

    /**
     * The configuration keys this plugin reads. Any other key under {@code herald.plugins.<id>.} stops the boot
     * (except {@code enabled}, which Herald reserves).
     */
    default List<ConfigKey> configKeys() {
        return List.of();
    }

    /** Ids of the plugins that must be initialised before this one. A missing or disabled one, or a cycle, stops the boot. */
    default Set<String> dependsOn() {
        return Set.of();
    }

    /**
     * Validates the configuration and prepares the plugin. Throw {@link IllegalArgumentException} with a readable
     * message to stop the boot on a bad value. No engine services are available yet.
     */
    default void init(PluginConfig config) {
    }

    /**
     * Called once every plugin is initialised and its tables migrated, in dependency order, with the services the
     * plugin may use from now on. Keep the context: it stays valid until {@link #close()}. An exception stops the boot.
     */
    default void start(PluginContext context) {
    }

    /**
     * Releases what the plugin holds. Called in reverse dependency order when Herald stops, also after a failed
     * boot for every plugin whose {@link #init} ran; Herald waits at most {@code herald.plugins.close-deadline-ms}
     * before moving on to the next plugin.
     */
    default void close() {
    }
}
