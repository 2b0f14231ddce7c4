package dev.herald.runtime.cdc;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herald.runtime.protocol.ProtocolVersion;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The postgres_changes {@code data} object and its frames as docs/wire-protocol.md describes them ("Change message",
 * "Value encoding", "Old images, TOAST and error rows", "Frames"), built from rows as the change feed decodes them
 * (PostgreSQL's text per value).
 */
class ChangePayloadsTest {
    private static final Instant AT = Instant.parse("2026-01-02T03:04:05.678Z");
    private static final String COLUMNS = "[{\"name\":\"id\",\"type\":\"int8\"},{\"name\":\"title\",\"type\":\"text\"},"
            + "{\"name\":\"done\",\"type\":\"bool\"},{\"name\":\"amount\",\"type\":\"numeric\"},{\"name\":\"meta\",\"type\":\"jsonb\"}]";
    private static final List<ColumnInfo> TODO_COLUMNS = List.of(new ColumnInfo("id", "int8", 1, true), new ColumnInfo("title", "text", 2, false),
            new ColumnInfo("done", "bool", 3, false), new ColumnInfo("amount", "numeric", 4, false), new ColumnInfo("meta", "jsonb", 5, false));
    private static final TableInfo TODOS = new TableInfo("public", "todos", TODO_COLUMNS, false, 'd');
    private static final TableInfo TODOS_FULL = new TableInfo("public", "todos", TODO_COLUMNS, false, 'f');

    /** A row as the feed decodes it: each value PostgreSQL's text of its column's type (null: SQL NULL). */
    private static PgRow row(TableInfo table, String... textByColumn) {
        PgRow r = new PgRow();
        for (int i = 0; i < textByColumn.length; i += 2) {
            String text = textByColumn[i + 1];
            r.putRaw(textByColumn[i], text == null ? null : new PgValue(text, table.column(textByColumn[i]).pgType()));
        }
        return r;
    }

    private static PgRow fullRow(String id, String title) {
        return row(TODOS, "id", id, "title", title, "done", "f", "amount", "1.50", "meta", "{\"a\": [1, 2]}");
    }

    private static ChangeEvent change(ChangeEvent.Type type, Map<String, Object> newRow, Map<String, Object> oldRow, int bytes) {
        return new ChangeEvent("public", "todos", type, AT, new ChangeEvent.StreamPosition(0x10, 0x2A), newRow, oldRow, bytes);
    }

    @Test
    void insertHasRecordAndNoOldRecord() {
        ObjectNode data = ChangePayloads.build(TODOS, change(ChangeEvent.Type.INSERT, fullRow("1", "hi"), Map.of(), 64), null);
        assertEquals("{\"schema\":\"public\",\"table\":\"todos\",\"commit_timestamp\":\"2026-01-02T03:04:05.678Z\",\"type\":\"INSERT\","
                + "\"columns\":" + COLUMNS + ",\"record\":{\"id\":1,\"title\":\"hi\",\"done\":false,\"amount\":1.50,\"meta\":{\"a\": [1, 2]}},"
                + "\"errors\":null}", data.toString());
    }

    @Test
    void sqlNullIsJsonNullAndAMissingColumnIsLeftOut() {
        PgRow r = row(TODOS, "id", "2", "title", null);
        ObjectNode data = ChangePayloads.build(TODOS, change(ChangeEvent.Type.INSERT, r, Map.of(), 16), null);
        assertEquals("{\"id\":2,\"title\":null}", data.get("record").toString());
    }

    @Test
    void updateWithDefaultReplicaIdentityShowsTheKeyOfTheOldImage() {
        ObjectNode data = ChangePayloads.build(TODOS, change(ChangeEvent.Type.UPDATE, fullRow("1", "new"), row(TODOS, "id", "1"), 64), null);
        assertEquals("UPDATE", data.get("type").asText());
        assertEquals("{\"id\":1,\"title\":\"new\",\"done\":false,\"amount\":1.50,\"meta\":{\"a\": [1, 2]}}", data.get("record").toString());
        assertEquals("{\"id\":1}", data.get("old_record").toString());
        assertEquals("null", data.get("errors").toString());
    }

    @Test
    void updateWithFullReplicaIdentityShowsTheOldImageAndFillsUnchangedToastFromIt() {
        // "title" is an unchanged TOAST value: absent from the new image, present in the old one.
        PgRow newRow = row(TODOS_FULL, "id", "1", "done", "t", "amount", "2", "meta", "null");
        PgRow oldRow = row(TODOS_FULL, "id", "1", "title", "long text", "done", "f", "amount", "1.50", "meta", "{}");
        ObjectNode data = ChangePayloads.build(TODOS_FULL, change(ChangeEvent.Type.UPDATE, newRow, oldRow, 64), null);
        assertEquals("{\"id\":1,\"title\":\"long text\",\"done\":true,\"amount\":2,\"meta\":null}", data.get("record").toString());
        assertEquals("{\"id\":1,\"title\":\"long text\",\"done\":false,\"amount\":1.50,\"meta\":{}}", data.get("old_record").toString());
    }

    @Test
    void deleteHasOldRecordAndNoRecord() {
        ObjectNode data = ChangePayloads.build(TODOS, change(ChangeEvent.Type.DELETE, Map.of(), row(TODOS, "id", "5"), 16), null);
        assertEquals("{\"schema\":\"public\",\"table\":\"todos\",\"commit_timestamp\":\"2026-01-02T03:04:05.678Z\",\"type\":\"DELETE\","
                + "\"columns\":" + COLUMNS + ",\"old_record\":{\"id\":5},\"errors\":null}", data.toString());
    }

    @Test
    void rowLevelSecurityCutsTheOldImageToTheKeyEvenWithFullReplicaIdentity() {
        TableInfo rls = new TableInfo("public", "todos", TODO_COLUMNS, true, 'f');
        ObjectNode data = ChangePayloads.build(rls, change(ChangeEvent.Type.DELETE, Map.of(), fullRow("5", "gone"), 64), null);
        assertEquals("{\"id\":5}", data.get("old_record").toString());
    }

    @Test
    void aSelectionKeepsThePrimaryKeyAndTheSelectedColumnsInAttributeOrder() {
        ObjectNode data = ChangePayloads.build(TODOS, change(ChangeEvent.Type.INSERT, fullRow("1", "hi"), Map.of(), 64), List.of("done", "title"));
        assertEquals("[{\"name\":\"id\",\"type\":\"int8\"},{\"name\":\"title\",\"type\":\"text\"},{\"name\":\"done\",\"type\":\"bool\"}]",
                data.get("columns").toString());
        assertEquals("{\"id\":1,\"title\":\"hi\",\"done\":false}", data.get("record").toString());
    }

    @Test
    void aTableWithoutPrimaryKeyGivesTheErrorRowForInsertAndUpdate() {
        TableInfo noKey = new TableInfo("public", "log", List.of(new ColumnInfo("v", "text", 1, false)), false, 'd');
        PgRow r = row(noKey, "v", "x");
        ObjectNode insert = ChangePayloads.build(noKey, new ChangeEvent("public", "log", ChangeEvent.Type.INSERT, AT,
                new ChangeEvent.StreamPosition(1, 1), r, Map.of(), 8), null);
        assertEquals("{\"schema\":\"public\",\"table\":\"log\",\"commit_timestamp\":null,\"type\":\"INSERT\",\"columns\":[],\"record\":{},"
                + "\"errors\":[\"Error 400: Bad Request, no primary key\"]}", insert.toString());
        ObjectNode update = ChangePayloads.build(noKey, new ChangeEvent("public", "log", ChangeEvent.Type.UPDATE, AT,
                new ChangeEvent.StreamPosition(1, 2), r, Map.of(), 8), null);
        assertEquals("{\"schema\":\"public\",\"table\":\"log\",\"commit_timestamp\":null,\"type\":\"UPDATE\",\"columns\":[],\"record\":{},"
                + "\"old_record\":{},\"errors\":[\"Error 400: Bad Request, no primary key\"]}", update.toString());
    }

    @Test
    void anOversizeChangeKeepsOnlyShortValuesAndSays413() {
        String longTitle = "x".repeat(ChangePayloads.OVERSIZE_VALUE_LIMIT + 1);
        PgRow r = row(TODOS, "id", "1", "title", longTitle, "done", "t");
        ObjectNode data = ChangePayloads.build(TODOS, change(ChangeEvent.Type.INSERT, r, Map.of(), ChangePayloads.MAX_RECORD_BYTES + 1), null);
        assertEquals("{\"id\":1,\"done\":true}", data.get("record").toString());
        assertEquals("[\"Error 413: Payload Too Large\"]", data.get("errors").toString());
    }

    @Test
    void javaTypedValuesAreEncodedLikeToJsonb() {
        assertEquals("\"00ff\"", ChangePayloads.toJson(new byte[] {0, (byte) 0xFF}).toString());
        assertEquals("\"NaN\"", ChangePayloads.toJson(Double.NaN).toString());
        assertEquals("\"12:00:00.5\"", ChangePayloads.toJson(LocalTime.of(12, 0, 0, 500_000_000)).toString());
        assertEquals("\"2026-08-21T12:00:00\"", ChangePayloads.toJson(LocalDateTime.of(2026, 8, 21, 12, 0)).toString());
        assertEquals("\"2026-08-21T12:00:00+00:00\"",
                ChangePayloads.toJson(OffsetDateTime.of(2026, 8, 21, 12, 0, 0, 0, ZoneOffset.UTC)).toString());
        assertEquals("[1,null]", ChangePayloads.toJson(Arrays.asList(1L, null)).toString());
    }

    /** The whole message as a subscriber receives it: ids, data, Herald's resume position, in each protocol version. */
    @Test
    void theMessageFramesForVsn1AndVsn2() {
        SubscriptionIndex index = new SubscriptionIndex((s, e) -> {
            throw new AssertionError(e);
        });
        RecordingSubscriber sub = new RecordingSubscriber("realtime:todos");
        index.register(sub, List.of(new PgSubscription(sub, 7, "public", "todos", null, null, null, null, false, "anon", null, null)));
        ChangeEvent insert = new ChangeEvent("public", "todos", ChangeEvent.Type.INSERT, AT, new ChangeEvent.StreamPosition(0x10, 0x2A),
                row(TODOS, "id", "1", "title", "hi"), Map.of(), 16);
        assertEquals(1, index.dispatch(TODOS, insert, s -> true));
        String payload = "{\"ids\":[7],\"data\":{\"schema\":\"public\",\"table\":\"todos\",\"commit_timestamp\":\"2026-01-02T03:04:05.678Z\","
                + "\"type\":\"INSERT\",\"columns\":" + COLUMNS + ",\"record\":{\"id\":1,\"title\":\"hi\"},\"errors\":null},"
                + "\"herald_pos\":\"c:0000000000000010:000000000000002A\"}";
        assertEquals(1, sub.delivered.size());
        assertEquals("{\"topic\":\"realtime:todos\",\"event\":\"postgres_changes\",\"payload\":" + payload + ",\"ref\":null}",
                sub.delivered.get(0).frameFor(ProtocolVersion.V1).text());
        assertEquals("[null,null,\"realtime:todos\",\"postgres_changes\"," + payload + "]",
                sub.delivered.get(0).frameFor(ProtocolVersion.V2).text());
    }
}
