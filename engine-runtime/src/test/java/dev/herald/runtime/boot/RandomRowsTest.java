package dev.herald.runtime.boot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.herald.api.ErrorCode;
import dev.herald.runtime.cdc.PostgresFixture;
import dev.herald.runtime.protocol.Json;
import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * Issue 16's property test: seeded random rows over the column types of {@link TypeMatrixTest} (extremes, specials,
 * NULLs, odd text, nested arrays, composites, ranges) go through the real feed. Properties: the feed never stops (a
 * canary row on another table arrives after every batch, and change capture stays healthy), nothing is skipped, and
 * every value equals {@code to_jsonb} in UTC. Reproducible: {@code -Dherald.fuzz.seed=N -Dherald.fuzz.rows=M}
 * (defaults: a fixed seed and 150 rows, CI size); bench/cdc/fuzz.sh runs a large one.
 */
class RandomRowsTest {
    record Column(String name, String type, Function<Random, String> value) {
    }

    static final long SEED = Long.getLong("herald.fuzz.seed", 16L);
    static final int ROWS = Integer.getInteger("herald.fuzz.rows", 150);
    static final int BATCH = 25;

    @Test
    void randomRowsNeverStopTheFeedAndArriveExactly() throws Exception {
        Random random = new Random(SEED);
        List<Column> columns = columns();
        try (PostgresFixture pg = new PostgresFixture()) {
            StringBuilder ddl = new StringBuilder("CREATE TABLE fuzz (id int PRIMARY KEY");
            for (Column c : columns) ddl.append(", ").append(c.name()).append(' ').append(c.type());
            pg.sql("CREATE TYPE pair AS (a int, b text, c timestamptz, d int[], e time)",
                    ddl.append(')').toString(), "CREATE TABLE canary (id int PRIMARY KEY)", "GRANT SELECT ON fuzz, canary TO anon");
            PostgresChangesIntegrationTest.engine = ChangeCaptureEngines.start(pg, Map.of());
            Engine engine = PostgresChangesIntegrationTest.engine;
            try {
                var fuzz = PostgresChangesIntegrationTest.connect();
                PostgresChangesIntegrationTest.join(fuzz, "fuzz", "[{\"event\":\"INSERT\",\"schema\":\"public\",\"table\":\"fuzz\"}]");
                var canary = PostgresChangesIntegrationTest.connect();
                PostgresChangesIntegrationTest.join(canary, "canary", "[{\"event\":\"INSERT\",\"schema\":\"public\",\"table\":\"canary\"}]");
                StringBuilder insert = new StringBuilder("INSERT INTO fuzz VALUES (?");
                for (Column c : columns) insert.append(", CAST(? AS ").append(c.type()).append(')');
                insert.append(')');
                try (Connection conn = pg.connect(); PreparedStatement ps = conn.prepareStatement(insert.toString());
                     PreparedStatement canaryInsert = conn.prepareStatement("INSERT INTO canary VALUES (?)")) {
                    for (int row = 0; row < ROWS; row++) {
                        ps.setInt(1, row);
                        for (int i = 0; i < columns.size(); i++) {
                            ps.setString(i + 2, random.nextInt(8) == 0 ? null : columns.get(i).value().apply(random));
                        }
                        ps.executeUpdate();
                        if (row % BATCH == BATCH - 1 || row == ROWS - 1) {
                            int n = row / BATCH;
                            canaryInsert.setInt(1, n);
                            canaryInsert.executeUpdate();
                            assertTrue(awaitFrames(canary, n + 1, 20_000), "canary " + n + " (seed " + SEED + ", after row " + row + "): "
                                    + engine.cdc().lastError());
                            assertTrue(engine.cdc().healthy(), "seed " + SEED + ": " + engine.cdc().lastError());
                        }
                    }
                }
                assertTrue(awaitFrames(fuzz, ROWS, 30_000), "every random row arrived (seed " + SEED + ")");
                assertEquals(0.0, engine.metrics().drops(ErrorCode.CHANGE_NOT_DECODABLE) + engine.metrics().drops(ErrorCode.CHANGE_NOT_DELIVERABLE));

                Map<Integer, JsonNode> got = new HashMap<>();
                for (String frame : fuzz.conn().texts()) {
                    JsonNode m = TypeMatrixTest.EXACT.readTree(frame);
                    if (m.get(3).asText().equals("postgres_changes")) {
                        JsonNode record = m.get(4).get("data").get("record");
                        got.put(record.get("id").asInt(), record);
                    }
                }
                List<String> mismatches = new ArrayList<>();
                try (Connection conn = pg.connect(); Statement s = conn.createStatement()) {
                    s.execute("SET TIME ZONE 'UTC'");
                    StringBuilder q = new StringBuilder("SELECT id");
                    for (Column c : columns) q.append(", to_jsonb(").append(c.name()).append(")::text, ").append(c.name()).append("::text");
                    try (ResultSet rs = s.executeQuery(q.append(" FROM fuzz ORDER BY id").toString())) {
                        while (rs.next()) {
                            JsonNode record = got.get(rs.getInt(1));
                            for (int i = 0; i < columns.size(); i++) {
                                Column c = columns.get(i);
                                String oracle = rs.getString(2 + 2 * i);
                                JsonNode expected = oracle == null ? TypeMatrixTest.EXACT.nullNode() : TypeMatrixTest.EXACT.readTree(oracle);
                                JsonNode actual = record == null ? null : record.get(c.name());
                                if (!TypeMatrixTest.same(c.type(), expected, actual, rs.getString(3 + 2 * i))) {
                                    mismatches.add("row " + rs.getInt(1) + " " + c.type() + " " + TypeMatrixTest.abbreviate(rs.getString(3 + 2 * i))
                                            + ": oracle " + TypeMatrixTest.abbreviate(TypeMatrixTest.canonical(expected))
                                            + ", sent " + TypeMatrixTest.abbreviate(TypeMatrixTest.canonical(actual)));
                                }
                            }
                        }
                    }
                }
                assertEquals(List.of(), mismatches.subList(0, Math.min(20, mismatches.size())), "seed " + SEED + ": values that differ from to_jsonb");
            } finally {
                engine.close();
                PostgresChangesIntegrationTest.engine = null;
            }
        }
    }

    static boolean awaitFrames(PostgresChangesIntegrationTest.Client c, int count, long timeoutMs) throws InterruptedException {
        long end = System.currentTimeMillis() + timeoutMs;
        while (System.currentTimeMillis() < end) {
            int n = 0;
            for (String t : c.conn().texts()) if (t.contains("\"postgres_changes\",{")) n++;
            if (n >= count) return true;
            Thread.sleep(20);
        }
        return false;
    }

    // ---- generators: PostgreSQL input text for each type ----------------------------------------------------------

    static List<Column> columns() {
        List<Column> c = new ArrayList<>();
        c.add(new Column("i2", "int2", r -> pick(r, "-32768", "32767", Integer.toString(r.nextInt(65536) - 32768))));
        c.add(new Column("i4", "int4", r -> pick(r, "-2147483648", "2147483647", Integer.toString(r.nextInt()))));
        c.add(new Column("i8", "int8", r -> pick(r, "-9223372036854775808", "9223372036854775807", Long.toString(r.nextLong()))));
        c.add(new Column("num", "numeric", RandomRowsTest::numeric));
        c.add(new Column("f4", "float4", r -> floatText(Float.intBitsToFloat(r.nextInt()))));
        c.add(new Column("f8", "float8", r -> doubleText(Double.longBitsToDouble(r.nextLong()))));
        c.add(new Column("money", "money", r -> Long.toString(r.nextLong() / 100) + "." + two(r.nextInt(100))));
        c.add(new Column("b", "bool", r -> r.nextBoolean() ? "t" : "f"));
        c.add(new Column("t", "text", r -> text(r, 40)));
        c.add(new Column("bp", "bpchar(3)", r -> text(r, 3).replace(" ", "")));
        c.add(new Column("by", "bytea", r -> bytea(r)));
        c.add(new Column("u", "uuid", r -> new UUID(r.nextLong(), r.nextLong()).toString()));
        c.add(new Column("ip", "inet", r -> r.nextBoolean() ? (r.nextInt(256) + "." + r.nextInt(256) + ".0." + r.nextInt(256) + "/" + (8 + r.nextInt(25)))
                : Integer.toHexString(r.nextInt(65536)) + "::" + Integer.toHexString(r.nextInt(65536))));
        c.add(new Column("d", "date", RandomRowsTest::date));
        c.add(new Column("tm", "time", r -> r.nextInt(6) == 0 ? "24:00:00" : time(r)));
        c.add(new Column("ttz", "timetz", r -> (r.nextInt(6) == 0 ? "24:00:00" : time(r)) + offset(r)));
        c.add(new Column("ts", "timestamp", r -> {
            String d = date(r);
            if (d.contains("infinity")) return d;
            return d.replace(" BC", "") + " " + time(r) + (d.endsWith(" BC") ? " BC" : "");
        }));
        c.add(new Column("tstz", "timestamptz", RandomRowsTest::timestamptz));
        c.add(new Column("iv", "interval", r -> r.nextInt(5) == 0
                ? pick(r, "178000000 years", "-178000000 years", "2147483647 days 2562047788:00:54.775807", "-2147483648 days", "0")
                : (r.nextInt(200000000) - 100000000) + " years " + (r.nextInt(1800000000) - 900000000) + " mons " + r.nextInt() + " days "
                + (r.nextLong() % 2562047787L) + ":" + two(r.nextInt(60)) + ":" + two(r.nextInt(60)) + "." + r.nextInt(1_000_000)));
        c.add(new Column("j", "jsonb", r -> json(r, 3)));
        c.add(new Column("ia", "int4[]", r -> array(r, x -> Integer.toString(x.nextInt()))));
        c.add(new Column("ta", "text[]", r -> array(r, x -> quote(text(x, 8)))));
        c.add(new Column("tma", "time[]", r -> array(r, x -> x.nextInt(4) == 0 ? "24:00:00" : time(x))));
        c.add(new Column("tza", "timestamptz[]", r -> array(r, x -> quote(timestamptz(x)))));
        c.add(new Column("na", "numeric[]", r -> array(r, RandomRowsTest::numeric)));
        c.add(new Column("p", "pair", r -> "(" + r.nextInt() + "," + quote(text(r, 6)) + "," + quote(timestamptz(r)) + ","
                + quote(array(r, x -> Integer.toString(x.nextInt(100)))) + "," + (r.nextBoolean() ? "24:00:00" : time(r)) + ")"));
        c.add(new Column("rg", "tstzrange", r -> r.nextInt(6) == 0 ? "empty" : "[" + quote(timestamptz(r).replace("-infinity", "infinity")) + ",)"));
        c.add(new Column("ir", "int4range", r -> {
            int a = r.nextInt(1000);
            return "[" + a + "," + (a + r.nextInt(1000)) + ")";
        }));
        return c;
    }

    @SafeVarargs
    static <T> T pick(Random r, T... options) {
        return options[r.nextInt(options.length)];
    }

    static String two(int n) {
        return n < 10 ? "0" + n : Integer.toString(n);
    }

    static String numeric(Random r) {
        int kind = r.nextInt(10);
        if (kind == 0) return pick(r, "NaN", "Infinity", "-Infinity");
        StringBuilder sb = new StringBuilder(r.nextBoolean() ? "-" : "");
        int digits = kind == 1 ? 1000 + r.nextInt(2000) : 1 + r.nextInt(30);
        for (int i = 0; i < digits; i++) sb.append((char) ('0' + r.nextInt(10)));
        if (r.nextBoolean()) {
            sb.append('.');
            int scale = kind == 2 ? 1000 : 1 + r.nextInt(20);
            for (int i = 0; i < scale; i++) sb.append((char) ('0' + r.nextInt(10)));
        }
        return sb.toString();
    }

    static String floatText(float f) {
        return Float.isNaN(f) ? "NaN" : Float.isInfinite(f) ? (f > 0 ? "Infinity" : "-Infinity") : Float.toString(f);
    }

    static String doubleText(double d) {
        return Double.isNaN(d) ? "NaN" : Double.isInfinite(d) ? (d > 0 ? "Infinity" : "-Infinity") : Double.toString(d);
    }

    /** Any code points but NUL, with the characters that need quoting in arrays, composites and JSON made common. */
    static String text(Random r, int max) {
        StringBuilder sb = new StringBuilder();
        int n = r.nextInt(max + 1);
        for (int i = 0; i < n; i++) {
            int kind = r.nextInt(4);
            if (kind == 0) sb.append(pick(r, "\"", "\\", ",", "{", "}", "(", ")", " ", "'", "\n", "NULL", "\u0001", "é"));
            else if (kind == 1) sb.appendCodePoint(0x1F600 + r.nextInt(80));
            else if (kind == 2) sb.appendCodePoint(1 + r.nextInt(0xD7FF));
            else sb.append((char) ('a' + r.nextInt(26)));
        }
        return sb.toString();
    }

    static String bytea(Random r) {
        byte[] b = new byte[r.nextInt(20)];
        r.nextBytes(b);
        return "\\x" + HexFormat.of().formatHex(b);
    }

    static String date(Random r) {
        int kind = r.nextInt(10);
        if (kind == 0) return pick(r, "infinity", "-infinity");
        int year = kind == 1 ? 1 + r.nextInt(4712) : kind == 2 ? 10000 + r.nextInt(200000) : 1 + r.nextInt(9999);
        String s = (year < 1000 ? "0".repeat(4 - Integer.toString(year).length()) : "") + year + "-" + two(1 + r.nextInt(12)) + "-" + two(1 + r.nextInt(28));
        return kind == 1 ? s + " BC" : s;
    }

    static String time(Random r) {
        String s = two(r.nextInt(24)) + ":" + two(r.nextInt(60)) + ":" + two(r.nextInt(60));
        return r.nextBoolean() ? s + "." + (1 + r.nextInt(999_999)) : s;
    }

    static String offset(Random r) {
        String s = (r.nextBoolean() ? "+" : "-") + two(r.nextInt(16)) + ":" + two(r.nextInt(60));
        return r.nextInt(4) == 0 ? s + ":" + two(r.nextInt(60)) : s;
    }

    static String timestamptz(Random r) {
        if (r.nextInt(8) == 0) return pick(r, "infinity", "-infinity");
        String d = date(r);
        if (d.contains("infinity")) d = "2000-01-01";
        boolean bc = d.endsWith(" BC");
        return d.replace(" BC", "") + " " + time(r) + offset(r) + (bc ? " BC" : "");
    }

    static String json(Random r, int depth) {
        int kind = depth == 0 ? r.nextInt(4) : r.nextInt(6);
        return switch (kind) {
            case 0 -> quoteJson(text(r, 10));
            case 1 -> {
                String n = numeric(r);
                yield n.endsWith("N") || n.endsWith("y") ? "1e-300" : new BigDecimal(n).toPlainString();
            }
            case 2 -> pick(r, "true", "false", "null");
            case 3 -> r.nextInt(1_000_000) + "e" + (r.nextInt(600) - 300);
            case 4 -> {
                StringBuilder sb = new StringBuilder("[");
                for (int i = r.nextInt(4); i > 0; i--) sb.append(json(r, depth - 1)).append(i > 1 ? "," : "");
                yield sb.append(']').toString();
            }
            default -> {
                StringBuilder sb = new StringBuilder("{");
                for (int i = r.nextInt(4); i > 0; i--) sb.append(quoteJson(text(r, 5))).append(':').append(json(r, depth - 1)).append(i > 1 ? "," : "");
                yield sb.append('}').toString();
            }
        };
    }

    static String quoteJson(String s) {
        return Json.quote(s);
    }

    /** An array literal of up to 2 dimensions with NULL elements. */
    static String array(Random r, Function<Random, String> element) {
        if (r.nextInt(6) == 0) {
            int inner = 1 + r.nextInt(3);
            StringBuilder sb = new StringBuilder("{");
            for (int i = 1 + r.nextInt(3); i > 0; i--) {
                sb.append('{');
                for (int j = 0; j < inner; j++) sb.append(j > 0 ? "," : "").append(r.nextInt(5) == 0 ? "NULL" : element.apply(r));
                sb.append('}').append(i > 1 ? "," : "");
            }
            return sb.append('}').toString();
        }
        StringBuilder sb = new StringBuilder(r.nextInt(8) == 0 ? "[0:" + 0 + "]={" : "{");
        int n = sb.charAt(0) == '[' ? 1 : r.nextInt(5);
        for (int i = 0; i < n; i++) sb.append(i > 0 ? "," : "").append(r.nextInt(5) == 0 ? "NULL" : element.apply(r));
        return sb.append('}').toString();
    }

    /** {@code s} double-quoted for an array or composite literal. */
    static String quote(String s) {
        return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }
}
