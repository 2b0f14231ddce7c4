package dev.herald.runtime.boot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.herald.runtime.cdc.PostgresFixture;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** PostgreSQL restarts under a stream of changes: change capture recovers by itself and loses nothing. */
class DatabaseRestartTest {

    @Test
    void changeCaptureRecoversAfterADatabaseRestart() throws Exception {
        try (PostgresFixture pg = new PostgresFixture()) {
            pg.sql("CREATE TABLE survive (id int PRIMARY KEY)", "GRANT SELECT ON survive TO anon");
            PostgresChangesIntegrationTest.engine = ChangeCaptureEngines.start(pg, Map.of());
            try {
                var c = PostgresChangesIntegrationTest.connect();
                PostgresChangesIntegrationTest.join(c, "s", "[{\"event\":\"INSERT\",\"schema\":\"public\",\"table\":\"survive\"}]");
                for (int i = 0; i < 20; i++) pg.sql("INSERT INTO survive VALUES (" + i + ")");
                pg.restart();
                for (int i = 20; i < 40; i++) pg.sql("INSERT INTO survive VALUES (" + i + ")");
                long end = System.currentTimeMillis() + 60_000;
                while (PostgresChangesIntegrationTest.changes(c, 40, 10).size() < 40 && System.currentTimeMillis() < end) Thread.sleep(100);
                List<JsonNode> got = PostgresChangesIntegrationTest.changes(c, 40, 10);
                Set<Integer> ids = new HashSet<>();
                for (JsonNode m : got) ids.add(m.get("data").get("record").get("id").asInt());
                assertEquals(40, ids.size(), "every row delivered: " + ids);
                assertEquals(40, got.size(), "none twice");
                assertTrue(PostgresChangesIntegrationTest.engine.cdc().healthy(), "ready again");
            } finally {
                PostgresChangesIntegrationTest.engine.close();
                PostgresChangesIntegrationTest.engine = null;
            }
        }
    }
}
