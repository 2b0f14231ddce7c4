/**
 * The plugin SPI. A plugin is a jar with one {@link dev.herald.api.plugin.PluginFactory} registered in
 * {@code META-INF/services/dev.herald.api.plugin.PluginFactory}; Herald finds it with {@link java.util.ServiceLoader}.
 *
 * <h2>Lifecycle</h2>
 * <ol>
 *   <li>Discovery: every factory on the classpath (standalone: also every jar in the {@code plugins/} folder) is
 *       listed in the log with its id and version. A plugin disabled with {@code herald.plugins.<id>.enabled=false}
 *       goes no further.</li>
 *   <li>Configuration: keys {@code herald.plugins.<id>.<key>} are checked against
 *       {@link dev.herald.api.plugin.PluginFactory#configKeys()}; an unknown key, a bad value or a configured plugin
 *       that is not installed stops the boot.</li>
 *   <li>{@link dev.herald.api.plugin.PluginFactory#init} in dependency order ({@code dependsOn} first).</li>
 *   <li>Tables: each plugin's migrations are applied in the same order, one history per plugin; the published tables
 *       join Herald's publication.</li>
 *   <li>{@link dev.herald.api.plugin.PluginFactory#postInit} with the plugin's
 *       {@link dev.herald.api.plugin.PluginContext}; then the engine reads the contributions (channels, policies,
 *       hooks, REST, WebSocket endpoints) once and starts serving.</li>
 *   <li>On stop: {@link dev.herald.api.plugin.PluginFactory#close} in reverse dependency order, each bounded by a
 *       deadline.</li>
 * </ol>
 * Any exception from {@code init}, a migration or {@code postInit} stops the boot with the plugin's id in the message.
 */
package dev.herald.api.plugin;
