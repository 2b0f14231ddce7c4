package dev.herald.api.plugin;

import dev.herald.api.policy.ChannelPolicy;
import dev.herald.api.policy.RowPolicy;
import java.util.List;
import java.util.Set;

/**
 * The entry point of a plugin, registered in {@code META-INF/services/dev.herald.api.plugin.PluginFactory}. One
 * instance per engine, created by {@link java.util.ServiceLoader} (public no-argument constructor).
 *
 * <p>Lifecycle and ordering are described in the {@linkplain dev.herald.api.plugin package documentation}. The
 * contribution methods ({@link #tables()}, {@link #channels()}, {@link #channelPolicies()}, {@link #rowPolicies()},
 * {@link #hooks()}, {@link #restResource()}, {@link #sockets()}, {@link #entityClasses()}) are each called once, from
 * one thread; {@link #tables()} and {@link #entityClasses()} after {@link #init}, the others after
 * {@link #postInit}. What they return must not change afterwards.
 *
 * <p>Thread-safety: lifecycle methods are called from one thread, never concurrently. Objects the plugin hands out
 * (policies, hooks, REST resources, endpoints) are called concurrently and must be thread-safe.
 */
public interface PluginFactory {

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

    /** The plugin's tables, or null when it has none. Called once, after {@link #init}. */
    default Tables tables() {
        return null;
    }

    /**
     * Jakarta Persistence entity classes of this plugin; when non-empty, {@link PluginContext#entityManagerFactory()}
     * serves them. Called once, after {@link #init}.
     */
    default List<Class<?>> entityClasses() {
        return List.of();
    }

    /**
     * Called once every plugin is initialised and migrated, in dependency order, with the services the plugin may
     * use from now on. Keep the context: it stays valid until {@link #close()}.
     */
    default void postInit(PluginContext context) {
    }

    /** The channels this plugin defines. */
    default List<ChannelSpec> channels() {
        return List.of();
    }

    /** Access policies for private channels (see {@link ChannelPolicy}); combined with every other source. */
    default List<ChannelPolicy> channelPolicies() {
        return List.of();
    }

    /** Row policies for postgres_changes subscribers (see {@link RowPolicy}); combined with every other source. */
    default List<RowPolicy> rowPolicies() {
        return List.of();
    }

    /** Reactions to changes of this plugin's tables (see {@link TableHook}). */
    default List<TableHook> hooks() {
        return List.of();
    }

    /**
     * The root of the plugin's REST API, mounted at {@code /plugins/<id>}, or null for none: an object whose methods
     * carry Jakarta REST annotations ({@code @GET}, {@code @POST}, {@code @Path}, {@code @Produces}...), used as a
     * sub-resource (so no class-level {@code @Path} is needed and no field injection happens; take what you need
     * through the constructor and method parameters such as {@code @Context HttpHeaders}). Requests reach it only
     * with a valid JWT ({@code Authorization: Bearer} or {@code apikey} header); use
     * {@link PluginContext#principal(jakarta.ws.rs.core.HttpHeaders)} to learn who is calling. Records, maps and lists
     * are read and written as JSON.
     */
    default Object restResource() {
        return null;
    }

    /** WebSocket endpoints of this plugin, mounted under {@code /plugins/<id>/}. */
    default List<SocketEndpoint> sockets() {
        return List.of();
    }

    /**
     * Releases what the plugin holds. Called in reverse dependency order when Herald stops; Herald waits at most a
     * few seconds ({@code herald.plugins.close-deadline-ms}) before moving on to the next plugin.
     */
    default void close() {
    }
}
