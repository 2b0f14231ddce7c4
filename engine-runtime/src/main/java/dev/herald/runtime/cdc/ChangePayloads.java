package dev.herald.runtime.cdc;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.util.RawValue;
import dev.herald.runtime.protocol.Json;
import java.math.BigDecimal;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.OffsetDateTime;
import java.time.OffsetTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Collection;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

/**
 * Builds the {@code data} object of a postgres_changes message exactly as Supabase shapes it (docs/wire-protocol.md,
 * "Change message", "Value encoding" and "Old images, TOAST and error rows"): values encoded like {@code to_jsonb},
 * columns in attribute order, error rows for tables without a primary key and for oversize changes. Stateless.
 */
public final class ChangePayloads {
    /** Supabase's {@code poll_max_record_bytes}. */
    public static final int MAX_RECORD_BYTES = 1_048_576;
    static final int OVERSIZE_VALUE_LIMIT = 64;
    private static final DateTimeFormatter COMMIT = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);

    private ChangePayloads() {
    }

    /** The data object for {@code event}; {@code select} restricts columns (primary keys always kept), null = all. */
    public static ObjectNode build(TableInfo table, ChangeEvent event, Collection<String> select) {
        ObjectNode data = Json.object();
        data.put("schema", table.schema());
        data.put("table", table.name());
        boolean insertOrUpdate = event.type() != ChangeEvent.Type.DELETE;
        if (insertOrUpdate && !table.hasPrimaryKey()) {
            data.putNull("commit_timestamp");
            data.put("type", event.type().name());
            data.putArray("columns");
            data.putObject("record");
            if (event.type() == ChangeEvent.Type.UPDATE) data.putObject("old_record");
            data.putArray("errors").add("Error 400: Bad Request, no primary key");
            return data;
        }
        data.put("commit_timestamp", COMMIT.format(event.commitTime()));
        data.put("type", event.type().name());
        ArrayNode columns = data.putArray("columns");
        List<ColumnInfo> visible = table.columns().stream()
                .filter(c -> select == null || c.primaryKey() || select.contains(c.name())).toList();
        for (ColumnInfo c : visible) columns.addObject().put("name", c.name()).put("type", c.type());
        boolean oversize = event.approximateBytes() > MAX_RECORD_BYTES;
        if (insertOrUpdate) {
            ObjectNode record = data.putObject("record");
            for (ColumnInfo c : visible) {
                Object v;
                if (event.newRow().containsKey(c.name())) v = PgRow.raw(event.newRow(), c.name());
                else if (event.oldRow().containsKey(c.name())) v = PgRow.raw(event.oldRow(), c.name()); // unchanged TOAST: old image
                else continue;
                put(record, c.name(), v, oversize);
            }
        }
        if (event.type() != ChangeEvent.Type.INSERT) {
            ObjectNode old = data.putObject("old_record");
            boolean keyOnly = !table.fullReplicaIdentity() || table.rowSecurity();
            for (ColumnInfo c : visible) {
                if (keyOnly && !c.primaryKey()) continue;
                if (event.oldRow().containsKey(c.name())) put(old, c.name(), PgRow.raw(event.oldRow(), c.name()), oversize);
            }
        }
        if (oversize) data.putArray("errors").add("Error 413: Payload Too Large");
        else data.putNull("errors");
        return data;
    }

    private static void put(ObjectNode target, String name, Object value, boolean oversize) {
        if (value instanceof PgValue v) {
            // Exact: to_jsonb's JSON built from PostgreSQL's text, embedded as it is (json/jsonb never re-parsed).
            if (oversize && v.text().length() > 4 * OVERSIZE_VALUE_LIMIT) return;
            // The common kinds straight into the tree (no intermediate JSON string); the rest through PgText.
            switch (v.type().kind()) {
                case TEXT, OID, DATE, TIME, TIMETZ -> {
                    if (oversize && v.text().length() > OVERSIZE_VALUE_LIMIT) return;
                    target.put(name, v.text());
                    return;
                }
                case INT -> {
                    target.putRawValue(name, new RawValue(v.text()));
                    return;
                }
                case BOOL -> {
                    target.put(name, v.text().equals("t"));
                    return;
                }
                default -> {
                }
            }
            String json = PgText.json(v.text(), v.type());
            int shown = json.charAt(0) == '"' ? json.length() - 2 : json.length();
            if (oversize && shown > OVERSIZE_VALUE_LIMIT) return;
            target.putRawValue(name, new RawValue(json));
            return;
        }
        JsonNode json = toJson(value);
        if (oversize && (json.isContainerNode() ? json.toString() : json.asText()).length() > OVERSIZE_VALUE_LIMIT) return;
        target.set(name, json);
    }

    /**
     * A typed row value as Postgres {@code to_jsonb} renders it (bytea: lowercase hex without {@code \x}), for rows
     * built from Java values (tests, benchmarks); the change feed's {@link PgValue}s are encoded from their text.
     */
    public static JsonNode toJson(Object v) {
        if (v == null) return Json.NODES.nullNode();
        if (v instanceof Long l) return Json.NODES.numberNode(l);
        if (v instanceof Double d) {
            if (d.isNaN() || d.isInfinite()) return Json.NODES.textNode(d.isNaN() ? "NaN" : d > 0 ? "Infinity" : "-Infinity");
            return Json.NODES.numberNode(d);
        }
        if (v instanceof BigDecimal b) return Json.NODES.numberNode(b);
        if (v instanceof Boolean b) return Json.NODES.booleanNode(b);
        if (v instanceof JsonNode n) return n;
        if (v instanceof byte[] b) return Json.NODES.textNode(HexFormat.of().formatHex(b));
        if (v instanceof LocalDate d) return Json.NODES.textNode(d.toString());
        if (v instanceof LocalTime t) return Json.NODES.textNode(time(t));
        if (v instanceof OffsetTime t) return Json.NODES.textNode(time(t.toLocalTime()) + shortOffset(t.getOffset()));
        if (v instanceof LocalDateTime t) return Json.NODES.textNode(t.toLocalDate() + "T" + time(t.toLocalTime()));
        if (v instanceof OffsetDateTime t) {
            return Json.NODES.textNode(t.toLocalDate() + "T" + time(t.toLocalTime()) + longOffset(t.getOffset()));
        }
        if (v instanceof List<?> list) {
            ArrayNode a = Json.NODES.arrayNode();
            list.forEach(e -> a.add(toJson(e)));
            return a;
        }
        if (v instanceof Map<?, ?> map) {
            ObjectNode o = Json.object();
            map.forEach((k, e) -> o.set(String.valueOf(k), toJson(e)));
            return o;
        }
        return Json.NODES.textNode(v.toString());
    }

    /** HH:MM:SS with fractional seconds only when non-zero, trailing zeros trimmed (Postgres output). */
    static String time(LocalTime t) {
        StringBuilder sb = new StringBuilder(15);
        two(sb, t.getHour()).append(':');
        two(sb, t.getMinute()).append(':');
        two(sb, t.getSecond());
        int micros = t.getNano() / 1000;
        if (micros != 0) {
            String f = String.format("%06d", micros);
            int end = f.length();
            while (f.charAt(end - 1) == '0') end--;
            sb.append('.').append(f, 0, end);
        }
        return sb.toString();
    }

    private static StringBuilder two(StringBuilder sb, int n) {
        if (n < 10) sb.append('0');
        return sb.append(n);
    }

    private static String longOffset(ZoneOffset o) {
        return o.getTotalSeconds() == 0 ? "+00:00" : o.getId();
    }

    private static String shortOffset(ZoneOffset o) {
        int total = o.getTotalSeconds();
        if (total % 3600 != 0) return o.getId();
        int h = total / 3600;
        return (h < 0 ? "-" : "+") + (Math.abs(h) < 10 ? "0" : "") + Math.abs(h);
    }
}
