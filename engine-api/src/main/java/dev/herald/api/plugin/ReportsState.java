package dev.herald.api.plugin;

/**
 * A plugin that tells the admin console how it is doing: health, one line, a few live figures. Without it the console
 * can only say that the plugin started.
 */
public interface ReportsState extends Plugin {
    /**
     * The plugin's state now. Called on an admin request thread, concurrently with everything else, whenever the
     * console asks (seconds apart), from {@link Plugin#start} until {@link Plugin#close}. Must be fast and must not
     * block: read counters the plugin keeps, do no I/O. An exception is shown as {@link PluginState.Health#FAILED}.
     */
    PluginState state();
}
