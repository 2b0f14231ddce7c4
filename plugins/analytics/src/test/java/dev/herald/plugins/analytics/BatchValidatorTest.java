package dev.herald.plugins.analytics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class BatchValidatorTest {
    static final Instant NOW = Instant.parse("2026-03-01T12:00:30Z");
    final BatchValidator v = new BatchValidator(new ObjectMapper(), EventTypes.withExtra("signup"), 3, 64, Duration.ofHours(24));

    List<Event> ok(String body) throws InvalidBatch {
        return v.validate(body, "service_role", null, NOW);
    }

    InvalidBatch refused(String body) {
        return assertThrows(InvalidBatch.class, () -> ok(body));
    }

    @Test
    void validBatchKeepsEveryField() throws InvalidBatch {
        List<Event> events = ok("""
                {"events":[{"type":"page_view","user_id":"u1","properties":{"path":"/a"}},
                           {"type":"challenge_view","at":"2026-03-01T11:00:00+01:00","properties":{"challenge_id":42}},
                           {"type":"signup"}]}""");
        assertEquals(3, events.size());
        assertEquals("u1", events.get(0).userId());
        assertEquals(NOW, events.get(0).occurredAt());
        assertEquals("{\"path\":\"/a\"}", events.get(0).propertiesJson());
        assertEquals(Instant.parse("2026-03-01T10:00:00Z"), events.get(1).occurredAt());
        assertNull(events.get(1).userId());
        assertEquals("{}", events.get(2).propertiesJson());
    }

    @Test
    void theFirstBadEventIsNamedByIndex() {
        InvalidBatch e = refused("""
                {"events":[{"type":"page_view","properties":{"path":"/"}},{"type":"nope"},{"type":"also_bad"}]}""");
        assertEquals(400, e.status());
        assertEquals(1, e.index());
        assertTrue(e.getMessage().startsWith("events[1].type 'nope' is not a known event type"), e.getMessage());
    }

    @Test
    void tooManyEventsIs413() {
        InvalidBatch e = refused("{\"events\":[{\"type\":\"signup\"},{\"type\":\"signup\"},{\"type\":\"signup\"},{\"type\":\"signup\"}]}");
        assertEquals(413, e.status());
        assertEquals(-1, e.index());
        assertTrue(e.getMessage().contains("at most 3"), e.getMessage());
    }

    @Test
    void anOversizedBodyIsRefusedBeforeParsing() {
        InvalidBatch e = refused("{\"events\":[" + " ".repeat(3 * (64 + 512) + 64) + "]}");
        assertEquals(413, e.status());
        assertTrue(e.getMessage().startsWith("the body has "), e.getMessage());
    }

    @Test
    void malformedBodiesAndEvents() {
        assertEquals(-1, refused("{\"events\":").index());
        assertEquals(-1, refused("[]").index());
        assertEquals(-1, refused("{\"events\":[]}").index());
        assertEquals(-1, refused("{\"events\":{}}").index());
        assertEquals(-1, refused("{\"events\":[{\"type\":\"signup\"}],\"extra\":1}").index());
        assertEquals(0, refused("{\"events\":[1]}").index());
        assertEquals(0, refused("{\"events\":[{}]}").index());
        assertEquals(0, refused("{\"events\":[{\"type\":7}]}").index());
        assertEquals(1, refused("{\"events\":[{\"type\":\"signup\"},{\"type\":\"signup\",\"colour\":\"red\"}]}").index());
        // required properties per type
        assertTrue(refused("{\"events\":[{\"type\":\"page_view\"}]}").getMessage().contains("events[0].properties.path is required"));
        assertEquals(0, refused("{\"events\":[{\"type\":\"page_view\",\"properties\":{\"path\":\" \"}}]}").index());
        assertEquals(0, refused("{\"events\":[{\"type\":\"page_view\",\"properties\":{\"path\":{\"x\":1}}}]}").index());
        assertEquals(0, refused("{\"events\":[{\"type\":\"signup\",\"properties\":[1]}]}").index());
        // size of the properties
        assertTrue(refused("{\"events\":[{\"type\":\"signup\",\"properties\":{\"x\":\"" + "y".repeat(80) + "\"}}]}").getMessage().contains("larger than 64"));
        // times
        assertEquals(0, refused("{\"events\":[{\"type\":\"signup\",\"at\":\"yesterday\"}]}").index());
        assertEquals(0, refused("{\"events\":[{\"type\":\"signup\",\"at\":\"2026-03-01T12:10:00Z\"}]}").index());
        assertEquals(0, refused("{\"events\":[{\"type\":\"signup\",\"at\":\"2026-02-27T12:00:00Z\"}]}").index());
        // user ids and seconds
        assertEquals(0, refused("{\"events\":[{\"type\":\"signup\",\"user_id\":\"\"}]}").index());
        assertEquals(0, refused("{\"events\":[{\"type\":\"signup\",\"user_id\":5}]}").index());
        assertEquals(0, refused("{\"events\":[{\"type\":\"voice_session\",\"properties\":{\"seconds\":\"ten\"}}]}").index());
        assertEquals(0, refused("{\"events\":[{\"type\":\"voice_session\",\"properties\":{\"seconds\":-1}}]}").index());
    }

    @Test
    void onlyTheServiceRoleNamesOtherUsers() throws InvalidBatch {
        String mine = "{\"events\":[{\"type\":\"signup\"},{\"type\":\"signup\",\"user_id\":\"me\"}]}";
        List<Event> events = v.validate(mine, "authenticated", "me", NOW);
        assertEquals("me", events.get(0).userId());
        assertEquals("me", events.get(1).userId());
        InvalidBatch e = assertThrows(InvalidBatch.class,
                () -> v.validate("{\"events\":[{\"type\":\"signup\"},{\"type\":\"signup\",\"user_id\":\"you\"}]}", "authenticated", "me", NOW));
        assertEquals(403, e.status());
        assertEquals(1, e.index());
        assertNull(v.validate("{\"events\":[{\"type\":\"signup\"}]}", "anon", null, NOW).get(0).userId());
        assertEquals(403, assertThrows(InvalidBatch.class,
                () -> v.validate("{\"events\":[{\"type\":\"signup\",\"user_id\":\"x\"}]}", "anon", null, NOW)).status());
    }

    @Test
    void extraTypeNamesAreChecked() {
        assertThrows(IllegalArgumentException.class, () -> EventTypes.withExtra("ok, Not-OK"));
        assertTrue(EventTypes.withExtra(" a_b , ,c ").known("c"));
    }
}
