package dev.herald.runtime.cdc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.herald.runtime.cdc.filter.FilterCompiler;
import dev.herald.runtime.cdc.filter.FilterParser;
import dev.herald.runtime.cdc.filter.RowPredicate;
import java.math.BigDecimal;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.OffsetTime;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The text-to-JSON and text-to-typed conversions of the change feed, without a database. */
class PgTextTest {
    static String json(String text, String type) {
        return PgText.json(text, PgTypeInfo.builtin(type));
    }

    @Test
    void jsonFollowsToJsonb() {
        assertEquals("1000000000000000000000", json("1e+21", "float8"));
        assertEquals("0.00000015", json("1.5e-07", "float8"));
        assertEquals("0", json("-0", "float8"));
        assertEquals("\"NaN\"", json("NaN", "numeric"));
        assertEquals("\"-Infinity\"", json("-Infinity", "float4"));
        assertEquals("1.50", json("1.50", "numeric"));
        assertEquals("\"2026-08-21T12:00:00.5\"", json("2026-08-21 12:00:00.5", "timestamp"));
        assertEquals("\"0044-03-15T12:00:00 BC\"", json("0044-03-15 12:00:00 BC", "timestamp"));
        assertEquals("\"2026-08-21T06:30:00.5+00:00\"", json("2026-08-21 12:00:00.5+05:30", "timestamptz"));
        assertEquals("\"0044-03-15T09:00:00+00:00 BC\"", json("0044-03-15 12:00:00+03 BC", "timestamptz"));
        assertEquals("\"0001-12-31T23:00:00+00:00 BC\"", json("0001-01-01 00:00:00+01", "timestamptz"), "across the era");
        assertEquals("\"1899-12-31T23:40:28+00:00\"", json("1900-01-01 00:00:00+00:19:32", "timestamptz"));
        assertEquals("\"infinity\"", json("infinity", "timestamptz"));
        assertEquals("[[1,null],[3,4]]", json("{{1,NULL},{3,4}}", "_int4"));
        assertEquals("[1,2]", json("[0:1]={1,2}", "_int4"));
        assertEquals("[\"a b\",null,\"NULL\",\"\\\"q\\\\\"]", json("{\"a b\",NULL,\"NULL\",\"\\\"q\\\\\"}", "_text"));
        assertEquals("[\"(1,1),(0,0)\",\"(3,3),(2,2)\"]", json("{(1,1),(0,0);(3,3),(2,2)}", "_box"));
        assertEquals("\"[\\\"2019-12-31 22:00:00+00\\\",)\"", json("[\"2020-01-01 00:00:00+02\",)", "tstzrange"));
        assertEquals("\"{[1,3),[5,7)}\"", json("{[1,3),[5,7)}", "int4multirange"));
        assertEquals("\"0102ff\"", json("\\x0102ff", "bytea"));
        assertEquals("{\"a\": [1, 2]}", json("{\"a\": [1, 2]}", "jsonb"), "raw, not re-parsed");
        PgTypeInfo pair = PgTypeInfo.composite("pair", List.of(new PgTypeInfo.Field("a", PgTypeInfo.builtin("int4")),
                new PgTypeInfo.Field("b", PgTypeInfo.builtin("text")), new PgTypeInfo.Field("c", PgTypeInfo.builtin("_int4"))));
        assertEquals("{\"a\":1,\"b\":\"x, \\\"y\\\"\",\"c\":[1,null]}", PgText.json("(1,\"x, \"\"y\"\"\",\"{1,NULL}\")", pair));
        assertEquals("{\"a\":null,\"b\":\"\",\"c\":null}", PgText.json("(,\"\",)", pair));
    }

    @Test
    void textThatCannotBeParsedFallsBackToItsString() {
        assertEquals("\"{1,\"", json("{1,", "_int4"));
        assertEquals("\"(1\"", PgText.json("(1", PgTypeInfo.composite("c", List.of(new PgTypeInfo.Field("a", PgTypeInfo.builtin("int4"))))));
        assertEquals("\"not a time\"", json("not a time", "timestamptz"));
        assertEquals("garbage", PgText.typed("garbage", PgTypeInfo.builtin("date")));
    }

    @Test
    void typedValuesAreExactOrTheText() {
        assertEquals(LocalDate.of(-43, 3, 15), PgText.typed("0044-03-15 BC", PgTypeInfo.builtin("date")));
        assertEquals("infinity", PgText.typed("infinity", PgTypeInfo.builtin("date")));
        assertEquals("24:00:00", PgText.typed("24:00:00", PgTypeInfo.builtin("time")));
        assertEquals(OffsetTime.parse("12:00:00+05:30:15"), PgText.typed("12:00:00+05:30:15", PgTypeInfo.builtin("timetz")));
        assertEquals(OffsetDateTime.parse("2026-08-21T06:30Z"), PgText.typed("2026-08-21 12:00:00+05:30", PgTypeInfo.builtin("timestamptz")));
        assertEquals(new BigDecimal("1.50"), PgText.typed("1.50", PgTypeInfo.builtin("numeric")));
        assertEquals("NaN", PgText.typed("NaN", PgTypeInfo.builtin("numeric")));
        assertEquals(Double.NEGATIVE_INFINITY, PgText.typed("-Infinity", PgTypeInfo.builtin("float8")));
        assertEquals(List.of(List.of(1L, 2L), Arrays.asList(3L, null)), PgText.typed("{{1,2},{3,NULL}}", PgTypeInfo.builtin("_int4")));
        String deep = "[".repeat(5000) + "]".repeat(5000);
        assertEquals(deep, PgText.typed(deep, PgTypeInfo.builtin("jsonb")), "a document the parser refuses stays text");
    }

    @Test
    void filtersReadTheTypedValuesLazily() throws Exception {
        PgRow row = new PgRow();
        row.putRaw("d", new PgValue("0044-03-15 BC", PgTypeInfo.builtin("date")));
        row.putRaw("ts", new PgValue("infinity", PgTypeInfo.builtin("timestamptz")));
        row.putRaw("j", new PgValue("{\"a\": [1.0]}", PgTypeInfo.builtin("jsonb")));
        row.putRaw("n", null);
        Map<String, String> types = Map.of("d", "date", "ts", "timestamptz", "j", "jsonb", "n", "int4");
        assertTrue(test("d=eq.0044-03-15 BC", types, row));
        assertFalse(test("d=eq.0044-03-15", types, row));
        assertTrue(test("ts=gt.2026-01-01T00:00:00Z", types, row));
        assertTrue(test("j=eq.{\"a\":[1]}", types, row));
        assertTrue(test("n=is.null", types, row));
        assertEquals(JsonNode.class.isInstance(row.get("j")), true, "the typed view of jsonb is a JsonNode");
    }

    private static boolean test(String filter, Map<String, String> types, PgRow row) throws Exception {
        RowPredicate p = FilterCompiler.compile(FilterParser.parse(filter), types);
        return p.test(row);
    }
}
