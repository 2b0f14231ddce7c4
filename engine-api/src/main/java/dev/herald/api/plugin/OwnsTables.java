package dev.herald.api.plugin;

/**
 * A plugin that owns tables in Herald's PostgreSQL. Herald applies their migrations before {@link Plugin#start} and,
 * for the published ones, adds them to its publication so their changes reach postgres_changes subscribers and
 * {@link ReactsToChanges hooks}.
 */
public interface OwnsTables extends Plugin {
    /** The plugin's tables and where their migrations are. Called once, after {@link Plugin#init}; never null. */
    Tables tables();
}
