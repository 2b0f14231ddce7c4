package dev.herald.runtime.cdc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.herald.api.ErrorCode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.SchemaBuilder;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.source.SourceRecord;
import org.junit.jupiter.api.Test;

/**
 * A record the source cannot turn into a change is skipped and counted, never thrown back into Debezium (which would
 * stop change capture and re-read the same record after every restart); its log line names table, key and LSN only.
 */
class UndecodableRecordTest {
    @Test
    void aRecordThatCannotBeConvertedIsSkippedCountedAndDescribedWithoutItsContent() {
        Schema source = SchemaBuilder.struct().field("schema", Schema.STRING_SCHEMA).field("table", Schema.STRING_SCHEMA)
                .field("lsn", Schema.OPTIONAL_INT64_SCHEMA).build();
        Schema row = SchemaBuilder.struct().field("id", Schema.OPTIONAL_STRING_SCHEMA).field("secret", Schema.OPTIONAL_STRING_SCHEMA).optional().build();
        Schema envelope = SchemaBuilder.struct().field("op", Schema.STRING_SCHEMA).field("source", source).field("after", row).build();
        Schema key = SchemaBuilder.struct().field("id", Schema.STRING_SCHEMA).build();
        Struct value = new Struct(envelope).put("op", "c")
                .put("source", new Struct(source).put("schema", "public").put("table", "t").put("lsn", 0x1_0000_00A0L))
                .put("after", new Struct(row).put("id", "42").put("secret", "do not log me"));
        SourceRecord record = new SourceRecord(Map.of(), Map.of(), "herald.public.t", key, new Struct(key).put("id", "42"), envelope, value);

        List<ErrorCode> drops = new ArrayList<>();
        // A catalog without a database: reading the table fails with an unexpected exception, as a bug would.
        DebeziumCdcSource src = new DebeziumCdcSource(null, null, new TableCatalog(null), drops::add);
        assertNull(src.convertSafely(record));
        assertEquals(List.of(ErrorCode.CHANGE_NOT_DECODABLE), drops);

        String described = DebeziumCdcSource.describe(record);
        assertEquals("public.t key {id=42} at LSN 1/A0", described);
        assertFalse(described.contains("do not log me"));
        assertTrue(DebeziumCdcSource.where(new IllegalStateException("row content")).startsWith("java.lang.IllegalStateException at "));
        assertFalse(DebeziumCdcSource.where(new IllegalStateException("row content")).contains("row content"));
    }
}
