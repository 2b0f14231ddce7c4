/**
 * The plugin SPI. A plugin is a jar with one {@link dev.herald.api.plugin.Plugin} registered in
 * {@code META-INF/services/dev.herald.api.plugin.Plugin}; Herald finds it with {@link java.util.ServiceLoader}.
 * {@code Plugin} is identity and lifecycle only; each kind of contribution is a small optional interface
 * ({@link dev.herald.api.plugin.OwnsTables}, {@link dev.herald.api.plugin.UsesJpa},
 * {@link dev.herald.api.plugin.DeclaresChannels}, {@link dev.herald.api.plugin.DeclaresPolicies},
 * {@link dev.herald.api.plugin.ReactsToChanges}, {@link dev.herald.api.plugin.ServesRest},
 * {@link dev.herald.api.plugin.ServesSockets}, {@link dev.herald.api.plugin.ReportsState}).
 *
 * <h2>Lifecycle</h2>
 * <ol>
 *   <li>Discovery: every plugin on the classpath (standalone: also every jar in the {@code plugins/} folder) is
 *       listed in the log with its id and version. A plugin disabled with {@code herald.plugins.<id>.enabled=false}
 *       goes no further.</li>
 *   <li>Configuration: keys {@code herald.plugins.<id>.<key>} are checked against
 *       {@link dev.herald.api.plugin.Plugin#configKeys()}; an unknown key, a bad value or a configured plugin that is
 *       not installed stops the boot.</li>
 *   <li>{@link dev.herald.api.plugin.Plugin#init} in dependency order ({@code dependsOn} first); then
 *       {@link dev.herald.api.plugin.OwnsTables#tables()} and {@link dev.herald.api.plugin.UsesJpa#entityClasses()}
 *       are read.</li>
 *   <li>Tables: each plugin's migrations are applied in the same order, one history per plugin; the published tables
 *       join Herald's publication.</li>
 *   <li>{@link dev.herald.api.plugin.UsesJpa#entityManagerFactory}, then {@link dev.herald.api.plugin.Plugin#start}
 *       with the plugin's {@link dev.herald.api.plugin.PluginContext}; then the engine reads the contributions
 *       (channels, policies, hooks, REST, WebSocket endpoints) once and starts serving.</li>
 *   <li>On stop: {@link dev.herald.api.plugin.Plugin#close} in reverse dependency order, each bounded by a
 *       deadline.</li>
 * </ol>
 * Any exception from {@code init}, a migration or {@code start} stops the boot with the plugin's id in the message.
 *
 * <p>Until 0.1 the entry point was called {@code PluginFactory} and carried every contribution method itself; it was
 * renamed without a deprecated alias (see the plugin guide's "Moving from PluginFactory").
 */
package dev.herald.api.plugin;
