package dev.herald.runtime.boot;

import dev.herald.runtime.core.FakeConnection;
import dev.herald.runtime.core.RealtimeSession;
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
            Engine first = ChangeCaptureEngines.start(pg, durable);
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
            Engine second = ChangeCaptureEngines.start(pg, durable);
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

    @Test
    void aRetiredTopicNeverReusesAPositionEvenAcrossARestart() throws Exception {
        try (PostgresFixture pg = new PostgresFixture()) {
            Map<String, String> durable = Map.of("HERALD_REPLAY_STORE", "postgres", "HERALD_REPLAY_MAX_AGE_MS", "300");
            Engine first = ChangeCaptureEngines.start(pg, durable);
            String old;
            String reborn;
            try {
                FakeConnection conn = new FakeConnection();
                RealtimeSession s = first.open(conn, first.checkHandshake("2.0.0", Tokens.valid(), null));
                s.onText("[\"1\",\"1\",\"realtime:r\",\"phx_join\",{\"config\":{}}]");
                for (int i = 1; i <= 3; i++) first.broadcastJson("r", false, "e", Json.object().put("i", i), null, null);
                old = conn.events("broadcast").get(1).get(4).get("meta").get("herald_pos").asText();
                s.onClosed();
                long end = System.currentTimeMillis() + 5_000;
                while (first.broadcasts().topicLogCount() > 0 && System.currentTimeMillis() < end) Thread.sleep(20);
                assertEquals(0, first.broadcasts().topicLogCount(), "the quiet topic's log was retired");
                // Many other topics retire after it, so the engine no longer remembers this one's stream.
                for (int i = 0; i < 20_000; i++) first.broadcastJson("other-" + i, false, "e", Json.object(), null, null);
                end = System.currentTimeMillis() + 10_000;
                while (first.broadcasts().topicLogCount() > 0 && System.currentTimeMillis() < end) Thread.sleep(20);
                assertEquals(0, first.broadcasts().topicLogCount(), "the other topics retired");
                FakeConnection again = new FakeConnection();
                RealtimeSession s2 = first.open(again, first.checkHandshake("2.0.0", Tokens.valid(), null));
                s2.onText("[\"1\",\"1\",\"realtime:r\",\"phx_join\",{\"config\":{\"broadcast\":{\"herald_resume\":{\"broadcast\":\"" + old + "\"}}}}]");
                assertEquals(false, again.events("system").get(0).get(4).get("recovered").asBoolean(), "the retired incarnation cannot be resumed");
                first.broadcastJson("r", false, "e", Json.object().put("i", 4), null, null);
                reborn = again.events("broadcast").get(0).get(4).get("meta").get("herald_pos").asText();
                String[] o = old.split(":");
                String[] n = reborn.split(":");
                org.junit.jupiter.api.Assertions.assertNotEquals(o[1], n[1], "a new incarnation has another epoch: " + old + " / " + reborn);
                org.junit.jupiter.api.Assertions.assertTrue(Long.parseLong(n[2]) > Long.parseLong(o[2]) + 1_000_000, "offsets jump past the old ones: " + reborn);
            } finally {
                first.close();
            }
            // After a restart the store's epoch is back; the old position must still not match the new rows.
            Engine second = ChangeCaptureEngines.start(pg, durable);
            try {
                FakeConnection conn = new FakeConnection();
                RealtimeSession s = second.open(conn, second.checkHandshake("2.0.0", Tokens.valid(), null));
                s.onText("[\"1\",\"1\",\"realtime:r\",\"phx_join\",{\"config\":{\"broadcast\":{\"herald_resume\":{\"broadcast\":\"" + old + "\"}}}}]");
                JsonNode notice = conn.events("system").get(0).get(4);
                assertEquals(false, notice.get("recovered").asBoolean(), notice.toString());
                assertEquals(List.of(), received(conn), "nothing of the later incarnation is passed off as what was missed");
            } finally {
                second.close();
            }
        }
    }
}
