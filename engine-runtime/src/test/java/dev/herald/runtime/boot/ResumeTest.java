package dev.herald.runtime.boot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.herald.runtime.auth.Tokens;
import dev.herald.runtime.core.FakeConnection;
import dev.herald.runtime.core.RealtimeSession;
import dev.herald.runtime.protocol.Json;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Broadcast positions and resume: replay in order, then live, no gap, no repeat; or recovered:false. */
class ResumeTest {
    private Engine engine;

    @AfterEach
    void stop() {
        if (engine != null) engine.close();
    }

    private record Client(RealtimeSession session, FakeConnection conn) {
    }

    private Client connect() {
        FakeConnection conn = new FakeConnection();
        return new Client(engine.open(conn, engine.checkHandshake("2.0.0", Tokens.valid(), null)), conn);
    }

    private static void join(Client c, String resume) {
        String broadcast = resume == null ? "{}" : "{\"herald_resume\":{\"broadcast\":\"" + resume + "\"}}";
        c.session().onText("[\"1\",\"1\",\"realtime:r\",\"phx_join\",{\"config\":{\"broadcast\":" + broadcast + "}}]");
    }

    private static List<Integer> received(Client c) throws Exception {
        List<Integer> out = new ArrayList<>();
        for (JsonNode n : c.conn().events("broadcast")) out.add(n.get(4).get("payload").get("i").asInt());
        return out;
    }

    private static String positionOf(Client c, int i) throws Exception {
        for (JsonNode n : c.conn().events("broadcast")) {
            if (n.get(4).get("payload").get("i").asInt() == i) return n.get(4).get("meta").get("herald_pos").asText();
        }
        throw new AssertionError("message " + i + " not received");
    }

    private void publish(int from, int to) {
        for (int i = from; i <= to; i++) engine.broadcastJson("r", false, "e", Json.object().put("i", i), null, null);
    }

    @Test
    void aResumingChannelGetsExactlyWhatItMissedThenLiveMessages() throws Exception {
        engine = RealtimeSessionTest.engine(Map.of("HERALD_REPLAY_MAX_MESSAGES", "100"));
        Client first = connect();
        join(first, null);
        publish(1, 4);
        String pos = positionOf(first, 4);
        assertTrue(pos.startsWith("b:"), pos);
        first.session().onClosed(); // the tab sleeps
        publish(5, 9);
        Client again = connect();
        join(again, pos);
        publish(10, 11);
        assertEquals(List.of(5, 6, 7, 8, 9, 10, 11), received(again));
        JsonNode system = again.conn().events("system").get(0).get(4);
        assertEquals(true, system.get("recovered").asBoolean());
        assertEquals("Recovered 5 messages", system.get("message").asText());
        assertEquals("broadcast", system.get("stream").asText());
        // Order on the wire: reply, replayed messages, the recovery notice, then live ones.
        List<String> events = new ArrayList<>();
        for (String t : again.conn().texts()) events.add(Json.read(t).get(3).asText());
        assertEquals(List.of("phx_reply", "broadcast", "broadcast", "broadcast", "broadcast", "broadcast", "system", "broadcast", "broadcast"), events);
    }

    @Test
    void outsideTheRetentionWindowTheClientIsToldToRefetch() throws Exception {
        engine = RealtimeSessionTest.engine(Map.of("HERALD_REPLAY_MAX_MESSAGES", "3"));
        Client first = connect();
        join(first, null);
        publish(1, 2);
        String pos = positionOf(first, 1);
        publish(3, 10);
        Client again = connect();
        join(again, pos);
        JsonNode system = again.conn().events("system").get(0).get(4);
        assertEquals(false, system.get("recovered").asBoolean());
        assertTrue(system.get("message").asText().startsWith("Could not recover"));
        assertEquals(List.of(), received(again));
        publish(11, 11);
        assertEquals(List.of(11), received(again), "live messages still flow");
        Client otherEpoch = connect();
        join(otherEpoch, "b:0123:5");
        assertEquals(false, otherEpoch.conn().events("system").get(0).get(4).get("recovered").asBoolean(), "a position of an earlier engine");
    }
}
