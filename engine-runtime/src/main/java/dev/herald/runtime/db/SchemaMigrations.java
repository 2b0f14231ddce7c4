package dev.herald.runtime.db;

import java.sql.SQLException;
import java.sql.Statement;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.FlywayException;
import org.flywaydb.core.api.callback.Callback;
import org.flywaydb.core.api.callback.Context;
import org.flywaydb.core.api.callback.Event;
import org.flywaydb.core.api.output.MigrateResult;

/**
 * Applies one set of versioned SQL migrations with Flyway: Herald's own schema and each plugin's tables alike. Each
 * set keeps its history in a table of its own in the {@code herald} schema, so sets never see each other's versions.
 */
public final class SchemaMigrations {
    private SchemaMigrations() {
    }

    /**
     * Migrates {@code location} (a classpath folder) to its newest version.
     *
     * @param historyTable the history table in schema {@code herald}, e.g. {@code schema_history}
     * @param targetSchema the schema unqualified names in the SQL resolve to (created if missing)
     * @param loader where the SQL files are (the plugin's class loader)
     * @return how many migrations were applied now
     * @throws FlywayException when a migration fails or an applied one was changed; the failing transaction is rolled back
     */
    public static int migrate(DataSource dataSource, String location, String historyTable, String targetSchema, ClassLoader loader) {
        String[] schemas = targetSchema.equals(Database.SCHEMA) ? new String[] {Database.SCHEMA} : new String[] {Database.SCHEMA, targetSchema};
        MigrateResult result = Flyway.configure(loader)
                .dataSource(dataSource)
                .schemas(schemas)
                .defaultSchema(Database.SCHEMA)
                .createSchemas(true)
                .table(historyTable)
                // Several histories share the herald schema: a new one starts below V1 instead of refusing a non-empty schema.
                .baselineOnMigrate(true)
                .baselineVersion("0")
                .locations("classpath:" + location)
                .failOnMissingLocations(true)
                .callbacks(new SearchPath(targetSchema))
                .load()
                .migrate();
        return result.migrationsExecuted;
    }

    /** Flyway points the session at the history's schema; the migrations themselves run against the target schema. */
    private record SearchPath(String schema) implements Callback {
        @Override
        public boolean supports(Event event, Context context) {
            return event == Event.BEFORE_EACH_MIGRATE;
        }

        @Override
        public boolean canHandleInTransaction(Event event, Context context) {
            return true;
        }

        @Override
        public void handle(Event event, Context context) {
            try (Statement s = context.getConnection().createStatement()) {
                s.execute("SET search_path TO \"" + schema.replace("\"", "\"\"") + "\"");
            } catch (SQLException e) {
                throw new FlywayException("cannot set search_path to " + schema + ": " + e.getMessage(), e);
            }
        }

        @Override
        public String getCallbackName() {
            return "herald-search-path";
        }
    }
}
