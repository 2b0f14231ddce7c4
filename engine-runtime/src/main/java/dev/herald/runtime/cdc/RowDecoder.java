package dev.herald.runtime.cdc;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import org.apache.kafka.connect.data.Field;
import org.apache.kafka.connect.data.Struct;

/**
 * Turns a Debezium row struct into a {@link PgRow}. With {@link TextValueConnector} and {@link TextValueConverter}
 * every field is PostgreSQL's text output of the value, which is kept as it is in a {@link PgValue} with the column's
 * type: nothing is parsed here, so no value can fail and the hot path is one allocation per value. Parsing happens
 * later and only where needed: the payload's JSON ({@link PgText#writeJson}) and the typed form that filters, row
 * policies and plugins read ({@link PgValue#typed()}). An unchanged TOAST value leaves the column out. Stateless.
 */
public final class RowDecoder {
    /** Debezium's default {@code unavailable.value.placeholder}, for rows decoded without {@link TextValueConverter}. */
    static final String UNAVAILABLE = "__debezium_unavailable_value";
    private static final byte[] UNAVAILABLE_BYTES = UNAVAILABLE.getBytes(StandardCharsets.UTF_8);

    private RowDecoder() {
    }

    /** The values of {@code struct}'s fields (null struct → empty row). */
    public static PgRow decode(Struct struct, TableInfo table) {
        PgRow row = new PgRow();
        if (struct == null) return row;
        for (Field f : struct.schema().fields()) {
            Object raw = struct.get(f);
            if (raw == null) {
                row.putRaw(f.name(), null);
                continue;
            }
            if (raw instanceof String s) {
                if (s.equals(TextValueConverter.UNCHANGED_TOAST)) continue;
                ColumnInfo col = table.column(f.name());
                row.putRaw(f.name(), new PgValue(s, col == null ? PgTypeInfo.builtin("text") : col.pgType()));
                continue;
            }
            // Not Debezium's text (the converter is not installed): the Java value is passed on as it is.
            if (isUnavailable(raw)) continue;
            row.putRaw(f.name(), raw instanceof ByteBuffer b ? bytes(b) : raw);
        }
        return row;
    }

    private static byte[] bytes(ByteBuffer b) {
        byte[] out = new byte[b.remaining()];
        b.duplicate().get(out);
        return out;
    }

    static boolean isUnavailable(Object raw) {
        if (raw instanceof String s) return UNAVAILABLE.equals(s);
        if (raw instanceof ByteBuffer b) return b.remaining() == UNAVAILABLE_BYTES.length && ByteBuffer.wrap(UNAVAILABLE_BYTES).equals(b);
        if (raw instanceof byte[] b) return Arrays.equals(b, UNAVAILABLE_BYTES);
        if (raw instanceof List<?> l) return l.size() == 1 && isUnavailable(l.get(0));
        return false;
    }
}
