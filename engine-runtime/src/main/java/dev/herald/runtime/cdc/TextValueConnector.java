package dev.herald.runtime.cdc;

import io.debezium.connector.postgresql.HeraldReplicationConnections;
import io.debezium.connector.postgresql.PostgresConnector;
import io.debezium.connector.postgresql.PostgresConnectorConfig;
import io.debezium.connector.postgresql.PostgresConnectorTask;
import io.debezium.connector.postgresql.PostgresSchema;
import io.debezium.connector.postgresql.PostgresType;
import io.debezium.connector.postgresql.TypeRegistry;
import io.debezium.connector.postgresql.connection.PostgresConnection;
import io.debezium.connector.postgresql.connection.ReplicationConnection;
import java.sql.SQLException;
import org.apache.kafka.connect.connector.Task;

/**
 * Debezium's PostgreSQL connector with one change: the pgoutput decoder sees every column as a type it does not
 * know, so it passes the value's text on untouched ({@code include.unknown.datatypes=true}) instead of parsing it.
 * Debezium's own parsing loses information (timetz is moved to UTC) and throws on valid values it does not expect
 * (a timetz offset with seconds, an interval over 2^31 hours), and an exception there stops change capture for
 * good, since the same record is read again after every restart. With this connector, no column value can fail
 * inside Debezium; {@link TextValueConverter} passes the text on to Herald. Everything else (slot, publication,
 * offsets, schema, the key) is Debezium's.
 */
public class TextValueConnector extends PostgresConnector {

    @Override
    public Class<? extends Task> taskClass() {
        return TextValueTask.class;
    }

    /** The connector task, with the text-only type registry on its replication connection. */
    public static class TextValueTask extends PostgresConnectorTask {
        @Override
        protected ReplicationConnection buildReplicationConnection(PostgresConnection jdbcConnection, PostgresSchema schema,
                                                                   PostgresConnectorConfig connectorConfig) throws SQLException {
            return HeraldReplicationConnections.build(jdbcConnection, schema, connectorConfig, new TextTypes(jdbcConnection));
        }
    }

    /**
     * The registry the decoder resolves tuple columns with: every column type by name is {@link PostgresType#UNKNOWN},
     * which the value resolver returns as text. Lookups by OID (relation messages) stay real.
     */
    static final class TextTypes extends TypeRegistry {
        TextTypes(PostgresConnection connection) {
            super(connection);
        }

        @Override
        public PostgresType get(String schemaName, String typeName) {
            return PostgresType.UNKNOWN;
        }
    }
}
