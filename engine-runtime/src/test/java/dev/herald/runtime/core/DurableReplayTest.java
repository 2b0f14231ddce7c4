package dev.herald.runtime.core;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import dev.herald.runtime.auth.Tokens;
import dev.herald.runtime.cdc.PostgresFixture;
import dev.herald.runtime.protocol.Json;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** HERALD_REPLAY_STORE=postgres: broadcasts missed across an engine restart are replayed. */
class DurableReplayTest {

    private static List<Integer> received(FakeConnection conn) throws Exception {
        List<Integer> out = new ArrayList<>();
        for (JsonNode n : conn.events("broadcast")) out.add(n.get(4).get("payload").get("i").asInt());
        return out;
    }

    @Test
    void broadcastsSurviveARestartOfTheEngine() throws Exception {
        try (PostgresFixture pg = new PostgresFixture()) {
            Map<String, String> durable = Map.of("HERALD_REPLAY_STORE", "postgres");
            Engine first = pg.startEngine(durable);
            String pos;
            try {
                FakeConnection conn = new FakeConnection();
                RealtimeSession s = first.open(conn, first.checkHandshake("2.0.0", Tokens.valid(), null));
                s.onText("[\"1\",\"1\",\"realtime:d\",\"phx_join\",{\"config\":{}}]");
                for (int i = 1; i <= 5; i++) first.broadcastJson("d", false, "e", Json.object().put("i", i), null, null);
                pos = conn.events("broadcast").get(1).get(4).get("meta").get("herald_pos").asText();
            } finally {
                first.close();
            }
            Engine second = pg.startEngine(durable);
            try {
                FakeConnection conn = new FakeConnection();
                RealtimeSession s = second.open(conn, second.checkHandshake("2.0.0", Tokens.valid(), null));
                s.onText("[\"1\",\"1\",\"realtime:d\",\"phx_join\",{\"config\":{\"broadcast\":{\"herald_resume\":{\"broadcast\":\"" + pos + "\"}}}}]");
                second.broadcastJson("d", false, "e", Json.object().put("i", 6), null, null);
                assertEquals(List.of(3, 4, 5, 6), received(conn));
                JsonNode notice = conn.events("system").get(0).get(4);
                assertEquals(true, notice.get("recovered").asBoolean(), notice.toString());
                assertEquals("Recovered 3 messages", notice.get("message").asText());
                String sixth = conn.events("broadcast").get(3).get(4).get("meta").get("herald_pos").asText();
                assertEquals(pos.substring(0, pos.lastIndexOf(':')) + ":6", sixth, "same epoch, offsets continue");
            } finally {
                second.close();
            }
        }
    }
}
