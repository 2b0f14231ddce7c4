package dev.herald.runtime.boot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.herald.runtime.cdc.PostgresFixture;
import dev.herald.runtime.protocol.Json;
import dev.herald.runtime.web.HealthResource;
import jakarta.ws.rs.core.Response;
import java.lang.reflect.Field;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Issue 16: rows whose values Debezium or the decoder could not handle used to stop change capture for everybody,
 * for good (the same record is re-read after every restart). Poison rows go into a published table nobody listens to
 * while a subscriber listens on another table: that subscriber still gets its next row, {@code /health/ready} stays
 * up, and a restart of the engine is clean. A subscriber of the poison table gets the values exactly.
 */
class PoisonRowTest {

    static Response ready(Engine engine) throws Exception {
        HealthResource health = new HealthResource();
        Field f = HealthResource.class.getDeclaredField("engine");
        f.setAccessible(true);
        f.set(health, engine);
        return health.ready();
    }

    @Test
    void poisonRowsInAnotherTableStopNothing() throws Exception {
        try (PostgresFixture pg = new PostgresFixture()) {
            pg.sql("CREATE TABLE canary (id int PRIMARY KEY)",
                    "CREATE TABLE poison (id int PRIMARY KEY, t time, tz timestamptz, ttz timetz, iv interval, ta time[], d date, ts timestamp)",
                    "CREATE TABLE watched (id int PRIMARY KEY, t time, tz timestamptz, ttz timetz, iv interval, ta time[], d date, ts timestamp)",
                    "GRANT SELECT ON canary, poison, watched TO anon");
            PostgresChangesIntegrationTest.engine = ChangeCaptureEngines.start(pg, Map.of("HERALD_CDC_OFFSET_FLUSH_MS", "200"));
            Engine engine = PostgresChangesIntegrationTest.engine;
            try {
                var canary = PostgresChangesIntegrationTest.connect();
                PostgresChangesIntegrationTest.join(canary, "canary", "[{\"event\":\"INSERT\",\"schema\":\"public\",\"table\":\"canary\"}]");
                var watcher = PostgresChangesIntegrationTest.connect();
                PostgresChangesIntegrationTest.join(watcher, "watched", "[{\"event\":\"INSERT\",\"schema\":\"public\",\"table\":\"watched\"}]");

                // The two poison rows of the issue, then values Debezium itself used to choke on or distort.
                pg.sql("INSERT INTO poison (id, t) VALUES (1, '24:00:00')",
                        "INSERT INTO poison (id, tz) VALUES (2, 'infinity')",
                        "INSERT INTO poison VALUES (3, '24:00:00', '-infinity', '24:00:00+14', '178000000 years', '{24:00:00,NULL}', 'infinity', '-infinity')",
                        "INSERT INTO poison (id, ttz, iv) VALUES (4, '12:00:00+05:30:15', '2147483647 days 2562047788:00:54.775807')");
                pg.sql("INSERT INTO canary VALUES (1)");
                List<JsonNode> got = PostgresChangesIntegrationTest.changes(canary, 1, 15_000);
                assertEquals(1, got.size(), "the canary row arrives after the poison rows: " + engine.cdc().lastError());
                assertTrue(engine.cdc().healthy(), "change capture still streams: " + engine.cdc().lastError());
                Response r = ready(engine);
                assertEquals(200, r.getStatus(), String.valueOf(r.getEntity()));
                assertEquals("running", Json.read((String) r.getEntity()).get("cdc").asText());

                // The same values, to a subscriber: exactly what to_jsonb gives.
                pg.sql("INSERT INTO watched SELECT * FROM poison WHERE id = 3");
                JsonNode record = PostgresChangesIntegrationTest.changes(watcher, 1, 15_000).get(0).get("data").get("record");
                assertEquals("{\"id\":3,\"t\":\"24:00:00\",\"tz\":\"-infinity\",\"ttz\":\"24:00:00+14\",\"iv\":\"178000000 years\","
                        + "\"ta\":[\"24:00:00\",null],\"d\":\"infinity\",\"ts\":\"-infinity\"}", record.toString());
            } finally {
                engine.close(2_000);
            }

            // A restart reads on from where the feed stopped: nothing replays the poison into a failure.
            PostgresChangesIntegrationTest.engine = ChangeCaptureEngines.start(pg, Map.of("HERALD_CDC_OFFSET_FLUSH_MS", "200"));
            engine = PostgresChangesIntegrationTest.engine;
            try {
                var canary = PostgresChangesIntegrationTest.connect();
                PostgresChangesIntegrationTest.join(canary, "canary", "[{\"event\":\"INSERT\",\"schema\":\"public\",\"table\":\"canary\"}]");
                pg.sql("INSERT INTO poison (id, t, tz) VALUES (5, '24:00:00', 'infinity')", "INSERT INTO canary VALUES (2)");
                List<JsonNode> got = PostgresChangesIntegrationTest.changes(canary, 1, 15_000);
                assertEquals(1, got.size(), "the canary row arrives after the restart: " + engine.cdc().lastError());
                assertEquals(2, got.get(0).get("data").get("record").get("id").asInt());
                assertTrue(engine.cdc().healthy());
                assertNull(engine.cdc().lastError());
                assertEquals(200, ready(engine).getStatus());
            } finally {
                engine.close();
                PostgresChangesIntegrationTest.engine = null;
            }
        }
    }
}
