package dev.herald.runtime.boot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.herald.runtime.cdc.PostgresFixture;
import dev.herald.runtime.protocol.Json;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TimeZone;
import org.junit.jupiter.api.Test;

/**
 * Issue 16's type matrix: every built-in base type usable as a column, enums, domains, composites, arrays (1-D,
 * multi-dimensional, with NULLs, non-default bounds) with their min, max, infinities, NaN, 24:00, BC, empty and NULL
 * values goes through the real feed (PostgreSQL, Debezium, the engine's encoder, the frames it writes) and each value
 * of the {@code record} must equal the oracle, {@code to_jsonb(value)} in a {@code TimeZone=UTC} session: same JSON
 * text (key order, number spelling and scale included) once both are parsed with exact numbers. The only exceptions
 * are the deliberate differences of docs/postgres-changes.md (bytea without {@code \x}, json sent as stored).
 * Herald runs in a JVM whose time zone is not UTC, so the replication session's timestamptz output is not UTC either.
 */
class TypeMatrixTest {
    /** Exact numbers and no length limits: the test must read what the engine sent, however large. */
    static final ObjectMapper EXACT = JsonMapper.builder(JsonFactory.builder()
                    .streamReadConstraints(StreamReadConstraints.builder().maxNumberLength(Integer.MAX_VALUE)
                            .maxStringLength(Integer.MAX_VALUE).maxNestingDepth(10_000).build()).build())
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
            .enable(JsonGenerator.Feature.WRITE_BIGDECIMAL_AS_PLAIN)
            .nodeFactory(JsonNodeFactory.withExactBigDecimals(true))
            .build();

    record Case(String type, List<String> values) {
    }

    static Case c(String type, String... values) {
        return new Case(type, List.of(values));
    }

    static final String HUGE_NUMERIC = "repeat('9', 131072) || '.' || repeat('1', 16383)";

    static List<Case> cases() {
        return List.of(
                c("int2", "-32768", "32767", "0"),
                c("int4", "-2147483648", "2147483647"),
                c("int8", "-9223372036854775808", "9223372036854775807"),
                c("oid", "0", "4294967295"),
                c("numeric", "'0'", "'1.50'", "'-0.000001'", "'NaN'", "'Infinity'", "'-Infinity'", "(" + HUGE_NUMERIC + ")::numeric",
                        "'-1e-16383'::numeric"),
                c("numeric(10,2)", "'12345678.9'"),
                c("float4", "'-Infinity'", "'Infinity'", "'NaN'", "'3.4028235e+38'", "'1.1754944e-38'", "'1e-45'", "'-0'", "'1.5'", "'0.1'"),
                c("float8", "'1.7976931348623157e+308'", "'2.2250738585072014e-308'", "'5e-324'", "'-0'", "'NaN'", "'Infinity'",
                        "'0.1'", "'1e15'", "'123456789012345680000'", "'1.5e-7'"),
                c("money", "'-92233720368547758.08'", "'92233720368547758.07'", "'0'"),
                c("bool", "true", "false"),
                c("text", "''", "E'tëxt \"q\" \\\\ \\n \\t \\u0001 😀'", "repeat('long ', 3000)"),
                c("varchar(5)", "'ab'", "''"),
                c("bpchar(5)", "'ab'"),
                c("\"char\"", "'a'"),
                c("name", "'a name'"),
                c("bit(4)", "B'1010'"),
                c("varbit", "B''", "B'1'", "B'0110101'"),
                c("inet", "'192.168.0.1/24'", "'::1'", "'::ffff:1.2.3.4/128'"),
                c("cidr", "'10.0.0.0/8'", "'2001:db8::/32'"),
                c("macaddr", "'08:00:2b:01:02:03'"),
                c("macaddr8", "'08:00:2b:01:02:03:04:05'"),
                c("point", "'(1,2)'", "'(NaN,Infinity)'", "'(-1.5e300,1e-300)'"),
                c("line", "'{1,2,3}'"),
                c("lseg", "'[(0,0),(1,1)]'"),
                c("box", "'(1,1),(0,0)'"),
                c("path", "'[(0,0),(1,1)]'", "'((0,0),(1,1),(2,0))'"),
                c("polygon", "'((0,0),(1,1),(1,0))'"),
                c("circle", "'<(0,0),1>'"),
                c("tsvector", "'a fat cat sat on a mat'", "''", "'''quoted'' x:1A,2B'"),
                c("tsquery", "'fat & (rat | !cat)'", "''"),
                c("int4range", "'[1,10)'", "'empty'", "'(,)'"),
                c("int8range", "'[-9223372036854775808,9223372036854775807)'"),
                c("numrange", "'(1.5,NaN]'"),
                c("daterange", "'[2020-01-01,infinity)'", "'[4713-01-01 BC,2020-01-01)'"),
                c("tsrange", "'[2020-01-01 00:00,2020-01-02 00:00)'", "'(-infinity,infinity)'"),
                c("tstzrange", "'[2020-01-01 00:00+02,2020-01-02 12:30:00.25-05)'", "'[1900-01-01 00:00+00:19:32,)'", "'(,infinity]'"),
                c("int4multirange", "'{[1,3),[5,7)}'", "'{}'"),
                c("tstzmultirange", "'{[2020-01-01 00:00+02,2020-01-02 00:00+05),[2021-01-01 00:00+00,infinity)}'"),
                c("datemultirange", "'{[2020-01-01,2020-02-01)}'"),
                c("pg_lsn", "'0/0'", "'FFFFFFFF/FFFFFFFF'"),
                c("xml", "'<a x=\"1\">b &amp; c</a>'", "'text only'"),
                c("uuid", "'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'", "'00000000-0000-0000-0000-000000000000'"),
                c("interval", "'0'", "'178000000 years'", "'-178000000 years'", "'1 year 2 mons 3 days 04:05:06.789'",
                        "'2147483647 days 2562047788:00:54.775807'", "'-2147483648 days -2147483648 mons'", "'-00:00:00.000001'"),
                c("date", "'4713-01-01 BC'", "'5874897-12-31'", "'infinity'", "'-infinity'", "'2026-08-21'", "'0044-03-15 BC'"),
                c("time", "'00:00'", "'24:00:00'", "'23:59:59.999999'", "'12:00:00.5'"),
                c("timetz", "'00:00+1559'", "'24:00:00-1559'", "'12:00:00+05:30:15'", "'24:00:00+14'", "'10:00:00.000001-00'"),
                c("timestamp", "'4713-01-01 00:00 BC'", "'294276-12-31 23:59:59.999999'", "'infinity'", "'-infinity'",
                        "'2026-08-21 12:00:00.5'", "'0044-03-15 12:00 BC'"),
                c("timestamptz", "'4713-01-01 00:00+00 BC'", "'294276-12-31 23:59:59.999999+00'", "'infinity'", "'-infinity'",
                        "'2026-08-21 12:00:00.5+05:30'", "'1900-01-01 00:00 Europe/Amsterdam'", "'0044-03-15 12:00+03 BC'"),
                c("jsonb", "'{\"b\": 1, \"a\": [1, 2.50, -0, 1e2]}'", "'[]'", "'null'", "'\"s\"'", "'1.0'",
                        "('{\"n\": ' || repeat('9', 2000) || '}')::jsonb", "'{\"deep\": [[[[[[[[[[{}]]]]]]]]]]}'"),
                c("json", "'{\"b\": 1, \"a\": [1, 2], \"a\": 3}'", "'  [1 ,2]  '", "('[' || repeat('9', 2000) || ']')::json"),
                c("bytea", "'\\x'", "'\\x00ff10'"),
                c("mood", "'sad'", "'happy'"),
                c("posint", "1", "2147483647"),
                c("moment", "'2026-01-01 00:00+02'", "'infinity'"),
                c("pair", "'(1,\"x, \"\"y\"\"\",2026-01-01 00:00+02,\"{1,NULL}\",24:00:00)'", "'(,,,,)'", "ROW(NULL, '', NULL, '{}', NULL)::pair"),
                c("int4[]", "'{1,NULL,3}'", "'{}'", "'{{1,2},{3,NULL}}'", "'[0:1]={1,2}'", "'{{{1}},{{2}}}'"),
                c("text[]", "'{\"a b\",NULL,\"NULL\",\"\\\"q\\\"\",\"\",\"{}\",\"a,b\"}'"),
                c("time[]", "'{24:00:00,NULL,12:00}'"),
                c("timetz[]", "'{24:00:00+14,12:00:00+05:30:15}'"),
                c("timestamptz[]", "'{infinity,\"2026-01-01 00:00+02\",NULL,\"0044-03-15 12:00+03 BC\"}'"),
                c("timestamp[]", "'{-infinity,\"2026-01-01 00:00\"}'"),
                c("date[]", "'{infinity,0044-03-15 BC}'"),
                c("numeric[]", "'{NaN,1.50,-Infinity}'"),
                c("float8[]", "'{NaN,1e300,-0}'"),
                c("box[]", "'{(1,1),(0,0);(3,3),(2,2)}'"),
                c("jsonb[]", "ARRAY['{\"a\": 1}'::jsonb, '[1.50]', NULL]"),
                c("bool[]", "'{t,f,NULL}'"),
                c("uuid[]", "'{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11}'"),
                c("interval[]", "'{\"178000000 years\",\"-1 days\"}'"),
                c("mood[]", "'{happy,sad}'"),
                c("pair[]", "ARRAY['(1,a,,,)'::pair, NULL]"),
                c("int4range[]", "'{\"[1,2)\",empty}'"),
                c("bytea[]", "'{\"\\\\x01\"}'"));
    }

    @Test
    void everyValueArrivesAsToJsonbGivesItInUtc() throws Exception {
        TimeZone before = TimeZone.getDefault();
        TimeZone.setDefault(TimeZone.getTimeZone("America/St_Johns")); // the replication session's zone: -03:30 / LMT
        try (PostgresFixture pg = new PostgresFixture()) {
            pg.sql("CREATE TYPE mood AS ENUM ('sad', 'happy')",
                    "CREATE DOMAIN posint AS int4 CHECK (VALUE > 0)",
                    "CREATE DOMAIN moment AS timestamptz",
                    "CREATE TYPE pair AS (a int, b text, c timestamptz, d int[], e time)");
            List<Case> cases = cases();
            for (int t = 0; t < cases.size(); t++) {
                pg.sql("CREATE TABLE m" + t + " (id int PRIMARY KEY, v " + cases.get(t).type() + ")", "GRANT SELECT ON m" + t + " TO anon");
            }
            PostgresChangesIntegrationTest.engine = ChangeCaptureEngines.start(pg, Map.of());
            Engine engine = PostgresChangesIntegrationTest.engine;
            try {
                var c = PostgresChangesIntegrationTest.connect();
                PostgresChangesIntegrationTest.join(c, "matrix", "[{\"event\":\"INSERT\",\"schema\":\"public\"}]");
                int expectedRows = 0;
                for (int t = 0; t < cases.size(); t++) {
                    List<String> values = cases.get(t).values();
                    StringBuilder insert = new StringBuilder("INSERT INTO m" + t + " VALUES ");
                    for (int i = 0; i < values.size(); i++) insert.append('(').append(i).append(',').append(values.get(i)).append("),");
                    insert.append('(').append(values.size()).append(",NULL)");
                    pg.sql(insert.toString());
                    expectedRows += values.size() + 1;
                }
                Map<String, JsonNode> got = new HashMap<>();
                long end = System.currentTimeMillis() + 60_000;
                while (got.size() < expectedRows && System.currentTimeMillis() < end) {
                    got.clear();
                    for (String frame : c.conn().texts()) {
                        JsonNode m = EXACT.readTree(frame);
                        if (!m.get(3).asText().equals("postgres_changes")) continue;
                        JsonNode data = m.get(4).get("data");
                        got.put(data.get("table").asText() + "/" + data.get("record").get("id").asInt(), data.get("record").get("v"));
                    }
                    Thread.sleep(50);
                }
                assertEquals(expectedRows, got.size(), "every row arrived: " + engine.cdc().lastError());
                assertTrue(engine.cdc().healthy());

                List<String> mismatches = new ArrayList<>();
                try (Connection conn = pg.connect(); Statement s = conn.createStatement()) {
                    s.execute("SET TIME ZONE 'UTC'");
                    for (int t = 0; t < cases.size(); t++) {
                        String type = cases.get(t).type();
                        try (ResultSet rs = s.executeQuery("SELECT id, to_jsonb(v)::text, v::text FROM m" + t + " ORDER BY id")) {
                            while (rs.next()) {
                                String oracle = rs.getString(2);
                                JsonNode expected = oracle == null ? EXACT.nullNode() : EXACT.readTree(oracle);
                                JsonNode actual = got.get("m" + t + "/" + rs.getInt(1));
                                if (!same(type, expected, actual, rs.getString(3))) {
                                    mismatches.add(type + " " + abbreviate(rs.getString(3)) + ": oracle " + abbreviate(canonical(expected))
                                            + ", sent " + abbreviate(canonical(actual)));
                                }
                            }
                        }
                    }
                }
                assertEquals(List.of(), mismatches, "values that differ from to_jsonb");
            } finally {
                engine.close();
                PostgresChangesIntegrationTest.engine = null;
            }
        } finally {
            TimeZone.setDefault(before);
        }
    }

    @Test
    void toastedValuesAreFilledFromTheOldRowOrLeftOut() throws Exception {
        String big = "(SELECT string_agg(md5(i::text), '') FROM generate_series(1, 2500) i)"; // 80 kB of hex, stored out of line
        try (PostgresFixture pg = new PostgresFixture()) {
            pg.sql("CREATE TABLE toasted (id int PRIMARY KEY, big text, doc jsonb, arr int8[], n int)",
                    "ALTER TABLE toasted REPLICA IDENTITY FULL",
                    "CREATE TABLE toasted_key (id int PRIMARY KEY, big text, n int)",
                    "GRANT SELECT ON toasted, toasted_key TO anon",
                    "INSERT INTO toasted VALUES (1, " + big + ", jsonb_build_object('k', " + big + ", 'n', 1.50), "
                            + "(SELECT array_agg(i::int8 * 1000000007) FROM generate_series(1, 10000) i), 0)",
                    "INSERT INTO toasted_key VALUES (1, " + big + ", 0)");
            PostgresChangesIntegrationTest.engine = ChangeCaptureEngines.start(pg, Map.of());
            try {
                var c = PostgresChangesIntegrationTest.connect();
                PostgresChangesIntegrationTest.join(c, "toast", "[{\"event\":\"UPDATE\",\"schema\":\"public\",\"table\":\"toasted\"},"
                        + "{\"event\":\"UPDATE\",\"schema\":\"public\",\"table\":\"toasted_key\"}]");
                pg.sql("UPDATE toasted SET n = 1", "UPDATE toasted_key SET n = 1");
                List<JsonNode> got = new ArrayList<>();
                long end = System.currentTimeMillis() + 20_000;
                while (got.size() < 2 && System.currentTimeMillis() < end) {
                    got.clear();
                    for (String frame : c.conn().texts()) {
                        JsonNode m = EXACT.readTree(frame);
                        if (m.get(3).asText().equals("postgres_changes")) got.add(m.get(4).get("data"));
                    }
                    Thread.sleep(50);
                }
                assertEquals(2, got.size());
                String oracle;
                try (Connection conn = pg.connect(); Statement s = conn.createStatement();
                     ResultSet rs = s.executeQuery("SELECT to_jsonb(t)::text FROM toasted t")) {
                    rs.next();
                    oracle = rs.getString(1);
                }
                JsonNode expected = EXACT.readTree(oracle);
                JsonNode record = got.get(0).get("record");
                assertTrue(got.get(0).get("errors").isNull(), got.get(0).get("errors").toString());
                assertEquals(expected.size(), record.size(), record.toString());
                for (Map.Entry<String, JsonNode> e : expected.properties()) {
                    assertEquals(canonical(e.getValue()), canonical(record.get(e.getKey())), "unchanged TOAST value " + e.getKey() + " from the old row, exact");
                }
                assertEquals("{\"id\":1,\"n\":1}", got.get(1).get("record").toString(), "without the old row: left out, never a placeholder");
            } finally {
                PostgresChangesIntegrationTest.engine.close();
                PostgresChangesIntegrationTest.engine = null;
            }
        }
    }

    /** Equal as JSON text, or as the documented deliberate difference for bytea and json. */
    static boolean same(String type, JsonNode expected, JsonNode actual, String text) throws Exception {
        if (actual == null) return false;
        if (type.startsWith("bytea") && expected.isTextual()) return actual.asText().equals(expected.asText().substring(2));
        if (type.startsWith("bytea") && expected.isArray()) {
            for (int i = 0; i < expected.size(); i++) if (!actual.get(i).asText().equals(expected.get(i).asText().substring(2))) return false;
            return expected.size() == actual.size();
        }
        if (type.equals("json") && !expected.isNull()) {
            // json goes out as stored: the same document as the stored text, not to_jsonb's normalised one
            return canonical(actual).equals(canonical(EXACT.readTree(text)));
        }
        return canonical(expected).equals(canonical(actual));
    }

    /** JSON text of {@code n} with numbers exactly as parsed (Jackson refuses plain output beyond scale 9999). */
    static String canonical(JsonNode n) {
        if (n == null) return "(missing)";
        StringBuilder sb = new StringBuilder();
        write(sb, n);
        return sb.toString();
    }

    private static void write(StringBuilder sb, JsonNode n) {
        if (n.isObject()) {
            sb.append('{');
            boolean first = true;
            for (Map.Entry<String, JsonNode> e : n.properties()) {
                if (!first) sb.append(',');
                first = false;
                sb.append(Json.quote(e.getKey())).append(':');
                write(sb, e.getValue());
            }
            sb.append('}');
        } else if (n.isArray()) {
            sb.append('[');
            for (int i = 0; i < n.size(); i++) {
                if (i > 0) sb.append(',');
                write(sb, n.get(i));
            }
            sb.append(']');
        } else if (n.isBigDecimal()) {
            sb.append(n.decimalValue().toPlainString());
        } else if (n.isNumber()) {
            sb.append(n.bigIntegerValue());
        } else if (n.isTextual()) {
            sb.append(Json.quote(n.textValue()));
        } else {
            sb.append(n);
        }
    }

    static String abbreviate(String s) {
        return s == null ? "NULL" : s.length() > 120 ? s.substring(0, 120) + "...(" + s.length() + ")" : s;
    }
}
