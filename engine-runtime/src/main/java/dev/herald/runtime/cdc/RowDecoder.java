package dev.herald.runtime.cdc;

import com.fasterxml.jackson.databind.JsonNode;
import dev.herald.runtime.protocol.Json;
import java.io.IOException;
import java.math.BigDecimal;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.OffsetDateTime;
import java.time.OffsetTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.connect.data.Field;
import org.apache.kafka.connect.data.Struct;

/**
 * Turns Debezium's Connect values into Herald's typed row values, driven by each column's {@code typname}.
 * Debezium runs with decimals as strings, adaptive microsecond temporals and binary as bytes, so every value can be
 * rebuilt exactly: int2/4/8 → Long, float4/8 → Double, numeric → BigDecimal (String for NaN), bool → Boolean,
 * json/jsonb → JsonNode, date → LocalDate, time → LocalTime, timetz → OffsetTime, timestamp → LocalDateTime,
 * timestamptz → OffsetDateTime (UTC), bytea → byte[], arrays → List, everything else → its text.
 * Debezium's placeholder for an unchanged TOAST value leaves the column out. Stateless.
 */
public final class RowDecoder {
    /** Debezium's default {@code unavailable.value.placeholder}. */
    static final String UNAVAILABLE = "__debezium_unavailable_value";
    private static final byte[] UNAVAILABLE_BYTES = UNAVAILABLE.getBytes(StandardCharsets.UTF_8);

    private RowDecoder() {
    }

    /** The typed values of {@code struct}'s fields (null struct → empty map). */
    public static Map<String, Object> decode(Struct struct, TableInfo table) {
        Map<String, Object> row = new LinkedHashMap<>();
        if (struct == null) return row;
        for (Field f : struct.schema().fields()) {
            ColumnInfo col = table.column(f.name());
            String type = col == null ? "text" : col.type();
            Object raw = struct.get(f);
            if (isUnavailable(raw)) continue;
            row.put(f.name(), value(type, raw));
        }
        return row;
    }

    static boolean isUnavailable(Object raw) {
        if (raw instanceof String s) return UNAVAILABLE.equals(s);
        if (raw instanceof ByteBuffer b) return b.remaining() == UNAVAILABLE_BYTES.length && ByteBuffer.wrap(UNAVAILABLE_BYTES).equals(b);
        if (raw instanceof byte[] b) return java.util.Arrays.equals(b, UNAVAILABLE_BYTES);
        if (raw instanceof List<?> l) return l.size() == 1 && isUnavailable(l.get(0));
        return false;
    }

    static Object value(String type, Object raw) {
        if (raw == null) return null;
        if (type.startsWith("_")) {
            String element = type.substring(1);
            List<Object> out = new ArrayList<>();
            for (Object o : (List<?>) raw) out.add(value(element, o));
            return out;
        }
        switch (type) {
            case "int2", "int4", "int8", "oid":
                return ((Number) raw).longValue();
            case "float4":
                return raw instanceof Float f ? Double.parseDouble(Float.toString(f)) : ((Number) raw).doubleValue();
            case "float8":
                return ((Number) raw).doubleValue();
            case "numeric":
                if (raw instanceof BigDecimal d) return d;
                String n = raw.toString();
                try {
                    return new BigDecimal(n);
                } catch (NumberFormatException e) {
                    return n; // NaN, Infinity
                }
            case "bool":
                return raw instanceof Boolean b ? b : Boolean.valueOf(raw.toString());
            case "json", "jsonb":
                try {
                    return Json.read(raw.toString());
                } catch (IOException e) {
                    return raw.toString();
                }
            case "date":
                return raw instanceof Number d ? LocalDate.ofEpochDay(d.longValue()) : LocalDate.parse(raw.toString());
            case "time":
                return raw instanceof Number t ? LocalTime.ofNanoOfDay(t.longValue() * 1000) : LocalTime.parse(raw.toString());
            case "timetz":
                return OffsetTime.parse(raw.toString());
            case "timestamp":
                if (raw instanceof Number ts) {
                    long micros = ts.longValue();
                    return LocalDateTime.ofEpochSecond(Math.floorDiv(micros, 1_000_000), (int) Math.floorMod(micros, 1_000_000) * 1000, ZoneOffset.UTC);
                }
                return LocalDateTime.parse(raw.toString());
            case "timestamptz":
                return OffsetDateTime.parse(raw.toString()).withOffsetSameInstant(ZoneOffset.UTC);
            case "bytea":
                if (raw instanceof ByteBuffer b) {
                    byte[] out = new byte[b.remaining()];
                    b.duplicate().get(out);
                    return out;
                }
                return raw instanceof byte[] b ? b : raw.toString().getBytes(StandardCharsets.UTF_8);
            default:
                return raw instanceof JsonNode ? raw : raw.toString();
        }
    }
}
