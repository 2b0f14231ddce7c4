package io.debezium.connector.postgresql;

import io.debezium.connector.postgresql.connection.PostgresConnection;
import io.debezium.connector.postgresql.connection.ReplicationConnection;
import java.sql.SQLException;

/**
 * Herald's one class inside Debezium's package (no Debezium class is replaced): it builds the replication connection
 * exactly as {@link PostgresConnectorTask#buildReplicationConnection} does, except for the type registry, which needs
 * the connector configuration's package-private accessors. Used by {@code dev.herald.runtime.cdc.TextValueConnector}.
 */
public final class HeraldReplicationConnections {
    private HeraldReplicationConnections() {
    }

    public static ReplicationConnection build(PostgresConnection jdbcConnection, PostgresSchema schema, PostgresConnectorConfig config,
                                              TypeRegistry typeRegistry) throws SQLException {
        return ReplicationConnection.builder(config)
                .withSlot(config.slotName())
                .withPublication(config.publicationName())
                .withTableFilter(config.getTableFilters())
                .withPublicationAutocreateMode(config.publicationAutocreateMode())
                .withPlugin(config.plugin())
                .dropSlotOnClose(config.dropSlotOnStop())
                .createFailOverSlot(config.createFailOverSlot())
                .streamParams(config.streamParams())
                .statusUpdateInterval(config.statusUpdateInterval())
                .withTypeRegistry(typeRegistry)
                .withSchema(schema)
                .jdbcMetadataConnection(jdbcConnection)
                .build();
    }
}
