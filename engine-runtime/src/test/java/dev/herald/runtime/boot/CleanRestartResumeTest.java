package dev.herald.runtime.boot;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import dev.herald.runtime.cdc.PostgresFixture;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** After a clean stop, a client resuming from the last change it got receives everything committed since. */
class CleanRestartResumeTest {

    @Test
    void changesCommittedWhileHeraldWasStoppedAreReplayedToResumingClients() throws Exception {
        try (PostgresFixture pg = new PostgresFixture()) {
            pg.sql("CREATE TABLE outage (id int PRIMARY KEY)", "GRANT SELECT ON outage TO anon");
            String bindings = "[{\"event\":\"INSERT\",\"schema\":\"public\",\"table\":\"outage\"}]";
            PostgresChangesIntegrationTest.engine = ChangeCaptureEngines.start(pg, Map.of());
            String last;
            try {
                var c = PostgresChangesIntegrationTest.connect();
                PostgresChangesIntegrationTest.join(c, "o", bindings);
                pg.sql("INSERT INTO outage VALUES (1)", "INSERT INTO outage VALUES (2)");
                List<JsonNode> got = PostgresChangesIntegrationTest.changes(c, 2, 10_000);
                last = got.get(1).get("herald_pos").asText();
            } finally {
                PostgresChangesIntegrationTest.engine.close(2_000);
            }
            pg.sql("INSERT INTO outage VALUES (3)", "INSERT INTO outage VALUES (4)");
            PostgresChangesIntegrationTest.engine = ChangeCaptureEngines.start(pg, Map.of());
            try {
                var again = PostgresChangesIntegrationTest.connect();
                again.session().onText("[\"1\",\"1\",\"realtime:o\",\"phx_join\",{\"config\":{\"broadcast\":{\"herald_resume\":{\"changes\":\""
                        + last + "\"}},\"postgres_changes\":" + bindings + "}}]");
                List<JsonNode> replayed = PostgresChangesIntegrationTest.changes(again, 2, 15_000);
                assertEquals(2, replayed.size(), again.conn().texts().toString());
                assertEquals(3, replayed.get(0).get("data").get("record").get("id").asInt());
                assertEquals(4, replayed.get(1).get("data").get("record").get("id").asInt());
                JsonNode notice = again.conn().events("system").stream().filter(n -> n.get(4).has("recovered")).findFirst().orElseThrow().get(4);
                assertEquals(true, notice.get("recovered").asBoolean(), notice.toString());
            } finally {
                PostgresChangesIntegrationTest.engine.close();
                PostgresChangesIntegrationTest.engine = null;
            }
        }
    }
}
