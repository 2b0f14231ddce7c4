package dev.herald.api.plugin;

import java.util.List;

/** A plugin that reacts to committed changes of its own published tables (see {@link TableHook}). */
public interface ReactsToChanges extends OwnsTables {
    /** The hooks, each on one of {@link #tables()}'s published tables. Called once, after {@link Plugin#start}. */
    List<TableHook> hooks();
}
