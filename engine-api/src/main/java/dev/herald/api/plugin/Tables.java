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
 * <p>A plugin's tables are never published because they match {@code HERALD_CDC_TABLES} (its default
 * {@code public.*} included): only {@link #published()} ones are, and each of those must be guarded by a row policy
 * (the plugin's {@link DeclaresPolicies#rowPolicies()} or the policy file) or by PostgreSQL row-level security, or Herald refuses to
 * boot. List every other table the migrations create in {@link #internal()}, and revoke {@code anon} and
 * {@code authenticated} access to it in a migration.
 *
 * @param migrations the classpath folder of the SQL files, e.g. {@code db/plugins/todos}
 * @param schema the schema the tables live in, usually {@code public} so supabase-js apps find them
 * @param published tables (in {@link #schema()}) added to Herald's publication so their changes reach
 *                  postgres_changes subscribers and {@link TableHook}s
 * @param internal the plugin's other tables (in {@link #schema()}): kept out of the publication whatever the patterns
 */
public record Tables(String migrations, String schema, List<String> published, List<String> internal) {
    public Tables {
        Objects.requireNonNull(migrations, "migrations");
        Objects.requireNonNull(schema, "schema");
        published = List.copyOf(published);
        internal = List.copyOf(internal);
    }

    /** Tables without internal ones. */
    public Tables(String migrations, String schema, List<String> published) {
        this(migrations, schema, published, List.of());
    }

    /** Tables in {@code public}. */
    public static Tables inPublic(String migrations, String... published) {
        return new Tables(migrations, "public", List.of(published));
    }

    /** These tables with {@code tables} as the internal (never published) ones. */
    public Tables withInternal(String... tables) {
        return new Tables(migrations, schema, published, List.of(tables));
    }
}
