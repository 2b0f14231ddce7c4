package dev.herald.runtime.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.herald.api.policy.Principal;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class TopicPatternTest {
    private static final Principal ALICE = new Principal("authenticated", "alice-id",
            Map.of("sub", "alice-id", "role", "authenticated", "email", "alice@example.com",
                    "app_metadata", Map.of("team", 42L, "org", Map.of("slug", "acme"))));

    private static boolean matches(String pattern, String topic) {
        return TopicPattern.compile(pattern).matches(topic, ALICE);
    }

    @ParameterizedTest
    @CsvSource({
            "room,room,true",
            "room,rooms,false",
            "room,Room,false",
            "room,room:1,false",
            "room:lobby,room:lobby,true",
            "room:*,room:42,true",
            "room:*,room:,false",
            "room:*,room,false",
            "room:*,room:42:chat,false",
            "room:*:chat,room:42:chat,true",
            "room:*:chat,room:42:voice,false",
            "*,anything,true",
            "*,a:b,false",
            "room:**,room:42,true",
            "room:**,room:42:chat:x,true",
            "room:**,room,false",
            "room:**,room:,false",
            "**,room,true",
            "**,a:b:c,true",
            "'',x,false",
    })
    void matchesSegments(String pattern, String topic, boolean expected) {
        if (pattern.isEmpty()) {
            assertThrows(IllegalArgumentException.class, () -> TopicPattern.compile(pattern));
            return;
        }
        assertEquals(expected, matches(pattern, topic), pattern + " vs " + topic);
    }

    @Test
    void capturesSegments() {
        TopicPattern p = TopicPattern.compile("org:{org}:room:{room}:**");
        assertEquals(List.of("org", "room"), p.captureNames());
        assertEquals(Map.of("org", "acme", "room", "7"), p.match("org:acme:room:7:chat:thread", ALICE));
        assertNull(p.match("org:acme:room::chat", ALICE), "captures need a non-empty segment");
        assertNull(p.match("org:acme:room:7", ALICE), "** needs at least one more segment");
        assertEquals(Map.of(), TopicPattern.compile("room:*").match("room:1", ALICE));
    }

    @Test
    void captureMatchesAnySegmentWithoutAPrincipal() {
        assertEquals(Map.of("id", "9"), TopicPattern.compile("room:{id}").match("room:9", null));
    }

    @Test
    void claimBoundCaptureMatchesOnlyTheOwnClaim() {
        TopicPattern p = TopicPattern.compile("user:{sub}");
        assertEquals(Map.of("sub", "alice-id"), p.match("user:alice-id", ALICE));
        assertNull(p.match("user:bob-id", ALICE));
        assertNull(p.match("user:alice-id", null), "no principal, no claim");
        Principal anon = new Principal("anon", null, Map.of("role", "anon"));
        assertNull(p.match("user:alice-id", anon), "a token without sub never matches");
        assertNull(p.match("user:", anon));
    }

    @Test
    void subjectFallsBackToThePrincipal() {
        Principal p = new Principal("authenticated", "u1", Map.of());
        assertTrue(TopicPattern.compile("user:{sub}").matches("user:u1", p));
        assertTrue(TopicPattern.compile("by-role:{role}").matches("by-role:authenticated", p));
    }

    @Test
    void nestedAndNumericClaims() {
        assertTrue(matches("team:{app_metadata.team}:chat", "team:42:chat"));
        assertFalse(matches("team:{app_metadata.team}:chat", "team:43:chat"));
        assertTrue(matches("org:{app_metadata.org.slug}", "org:acme"));
        assertFalse(matches("org:{app_metadata.org}", "org:acme"), "an object claim has no text");
        assertFalse(matches("x:{app_metadata.missing}", "x:acme"));
        assertTrue(matches("mail:{email}", "mail:alice@example.com"));
    }

    @Test
    void classifiesCaptures() {
        assertTrue(TopicPattern.isClaimCapture("sub"));
        assertTrue(TopicPattern.isClaimCapture("app_metadata.team"));
        assertFalse(TopicPattern.isClaimCapture("id"));
        assertEquals("room", TopicPattern.compile("room:{id}").firstLiteral());
        assertNull(TopicPattern.compile("{id}:room").firstLiteral());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "room:**:x|** is only allowed as the last segment",
            "room:ab*|must fill a whole segment",
            "room:{id|must fill a whole segment",
            "room:{}|capture name must be",
            "room:{1id}|capture name must be",
            "room:{a..b}|capture name must be",
            "{id}:{id}|appears twice",
    })
    void refusesBadPatterns(String pattern, String message) {
        String error = assertThrows(IllegalArgumentException.class, () -> TopicPattern.compile(pattern)).getMessage();
        assertTrue(error.contains(message), error);
        assertTrue(error.contains("'" + pattern + "'"), error);
    }
}
