package dev.herald.api.plugin;

import java.util.List;
import java.util.Objects;

/**
 * The tables a plugin owns. Migrations are SQL files named like Flyway's versioned migrations
 * ({@code V1__create_things.sql}, {@code V2__add_column.sql}) in {@link #migrations()} inside the plugin jar. They are
 * applied in version order at boot, inside a transaction each, with a history of their own
 * ({@code herald.plugin_<id>_history}); a changed or failing migration stops the boot. Unqualified names in the SQL
 * resolve to {@link #schema()}.
 *
 * @param migrations the classpath folder of the SQL files, e.g. {@code db/plugins/todos}
 * @param schema the schema the tables live in, usually {@code public} so supabase-js apps find them
 * @param published tables (in {@link #schema()}) added to Herald's publication so their changes reach
 *                  postgres_changes subscribers and {@link TableHook}s
 */
public record Tables(String migrations, String schema, List<String> published) {
    public Tables {
        Objects.requireNonNull(migrations, "migrations");
        Objects.requireNonNull(schema, "schema");
        published = List.copyOf(published);
    }

    /** Tables in {@code public}. */
    public static Tables inPublic(String migrations, String... published) {
        return new Tables(migrations, "public", List.of(published));
    }
}
