package dev.herald.runtime.cdc;

import io.debezium.connector.postgresql.UnchangedToastedReplicationMessageColumn;
import io.debezium.spi.converter.CustomConverter;
import io.debezium.spi.converter.RelationalColumn;
import java.util.Properties;
import org.apache.kafka.connect.data.SchemaBuilder;

/**
 * The Debezium {@link CustomConverter} (registered through the {@code converters} connector property) that hands
 * every column to Herald as PostgreSQL's own text output, instead of Debezium's conversions, which drop information
 * (timetz offsets, {@code 24:00:00}, infinities turned into MIN/MAX sentinels, time arrays) or throw on values they do
 * not expect. Together with {@link TextValueConnector}, which keeps Debezium from parsing the text in the first place,
 * the value reaching {@link RowDecoder} is exactly what pgoutput sent. Never throws: a value of a Java type it does not
 * expect (Debezium run without {@link TextValueConnector}) is passed on as its {@code toString()}.
 */
public final class TextValueConverter implements CustomConverter<SchemaBuilder, RelationalColumn> {
    /**
     * Stands for an unchanged TOAST value (not in the WAL). Contains a NUL, which no PostgreSQL text value can, so no
     * stored value is ever mistaken for it.
     */
    public static final String UNCHANGED_TOAST = "\u0000herald:unchanged-toast";

    @Override
    public void configure(Properties props) {
    }

    @Override
    public void converterFor(RelationalColumn column, ConverterRegistration<SchemaBuilder> registration) {
        registration.register(SchemaBuilder.string().optional(), TextValueConverter::text);
    }

    static Object text(Object value) {
        if (value == null || value instanceof String) return value;
        if (UnchangedToastedReplicationMessageColumn.isUnchangedToastedValue(value)) return UNCHANGED_TOAST;
        try {
            return value.toString();
        } catch (RuntimeException e) {
            return null;
        }
    }
}
