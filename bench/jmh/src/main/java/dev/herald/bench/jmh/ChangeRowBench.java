package dev.herald.bench.jmh;

import dev.herald.runtime.cdc.ChangeEvent;
import dev.herald.runtime.cdc.ChangePayloads;
import dev.herald.runtime.cdc.ColumnInfo;
import dev.herald.runtime.cdc.RowDecoder;
import dev.herald.runtime.cdc.TableInfo;
import dev.herald.runtime.protocol.Json;
import java.math.BigDecimal;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.SchemaBuilder;
import org.apache.kafka.connect.data.Struct;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * One change row from the feed to the JSON of its {@code data} object: {@link RowDecoder#decode} of a Debezium struct
 * of PostgreSQL text values (what the change feed gets) and {@link ChangePayloads#build} + {@link Json#write}
 * ({@code decodeAndEncodeText}); the same row held as Java values, encoded through the typed path
 * ({@code encodeTyped}, the cost of the encoder before values were kept as text). Eight columns: int8, int4, text,
 * uuid, bool, timestamptz (not UTC), numeric, jsonb.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(1)
public class ChangeRowBench {
    private TableInfo table;
    private Struct struct;
    private ChangeEvent typed;

    @Setup
    public void setup() {
        table = new TableInfo("public", "todos", List.of(
                new ColumnInfo("id", "int8", 1, true),
                new ColumnInfo("room", "int4", 2, false),
                new ColumnInfo("title", "text", 3, false),
                new ColumnInfo("user_id", "uuid", 4, false),
                new ColumnInfo("done", "bool", 5, false),
                new ColumnInfo("created_at", "timestamptz", 6, false),
                new ColumnInfo("price", "numeric", 7, false),
                new ColumnInfo("doc", "jsonb", 8, false)), false, 'd');
        SchemaBuilder sb = SchemaBuilder.struct();
        for (ColumnInfo c : table.columns()) sb.field(c.name(), Schema.OPTIONAL_STRING_SCHEMA);
        Schema schema = sb.build();
        struct = new Struct(schema).put("id", "123456789").put("room", "5").put("title", "Buy milk and \"eggs\"")
                .put("user_id", "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11").put("done", "f")
                .put("created_at", "2026-08-21 14:00:00.123456+02").put("price", "12.50")
                .put("doc", "{\"tags\": [\"a\", \"b\"], \"n\": 1}");
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("id", 123456789L);
        row.put("room", 5L);
        row.put("title", "Buy milk and \"eggs\"");
        row.put("user_id", "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11");
        row.put("done", false);
        row.put("created_at", OffsetDateTime.parse("2026-08-21T12:00:00.123456Z"));
        row.put("price", new BigDecimal("12.50"));
        try {
            row.put("doc", Json.read("{\"tags\": [\"a\", \"b\"], \"n\": 1}"));
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
        typed = event(row);
    }

    private static ChangeEvent event(Map<String, Object> row) {
        return new ChangeEvent("public", "todos", ChangeEvent.Type.INSERT, Instant.parse("2026-01-01T12:00:00Z"),
                new ChangeEvent.StreamPosition(1, 2), row, Map.of(), 200);
    }

    @Benchmark
    public String decodeAndEncodeText() {
        return Json.write(ChangePayloads.build(table, event(RowDecoder.decode(struct, table)), null));
    }

    @Benchmark
    public String encodeTyped() {
        return Json.write(ChangePayloads.build(table, typed, null));
    }
}
