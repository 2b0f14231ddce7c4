package dev.herald.plugins.comments;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.herald.api.plugin.ChannelSpec;
import dev.herald.api.policy.ChannelAction;
import dev.herald.api.policy.Decision;
import dev.herald.api.policy.Principal;
import java.util.Map;
import org.junit.jupiter.api.Test;

class CommentRulesTest {
    @Test
    void itemAddressesBecomeTopicSegmentsAndFilterValues() {
        assertNull(CommentRules.checkItem("challenge", "42"));
        assertNull(CommentRules.checkItem("event", "7c9e6679-7425-40de-944b-e07fc1f90ae7"));
        assertNotNull(CommentRules.checkItem("Challenge", "42"));
        assertNotNull(CommentRules.checkItem("challenge", "a:b"), "':' would split the topic");
        assertNotNull(CommentRules.checkItem("challenge", "1,2"), "',' would split the filter");
        assertNotNull(CommentRules.checkItem("challenge", ""));
        assertNotNull(CommentRules.checkItem(null, "1"));
        assertEquals("discussion:challenge:42", CommentRules.topic("challenge", "42"));
    }

    @Test
    void bodies() {
        CommentRules r = new CommentRules(5);
        assertNull(r.checkBody("hello"));
        assertNull(r.checkBody("👍👍👍👍👍"), "length counts code points");
        assertNotNull(r.checkBody("hello!"));
        assertNotNull(r.checkBody("  "));
        assertNotNull(r.checkBody(null));
    }

    @Test
    void emoji() {
        assertNull(CommentRules.checkEmoji("👍"));
        assertNull(CommentRules.checkEmoji("❤️"));
        assertNull(CommentRules.checkEmoji("👩‍💻"));
        assertNotNull(CommentRules.checkEmoji("like"));
        assertNotNull(CommentRules.checkEmoji("<b>"));
        assertNotNull(CommentRules.checkEmoji("👍 "));
        assertNotNull(CommentRules.checkEmoji(""));
        assertNotNull(CommentRules.checkEmoji("👍".repeat(17)));
    }

    @Test
    void theDiscussionChannelCarriesOnlyItsItem() {
        CommentsPlugin p = new CommentsPlugin();
        ChannelSpec spec = p.channels().get(0);
        assertEquals("discussion:{item_type}:{item_id}", spec.topicPattern());
        assertTrue(spec.broadcast(), "typing indicators are client broadcasts");
        assertTrue(spec.presence());
        assertEquals(Map.of("public.comments", "item_type=eq.{item_type},item_id=eq.{item_id}",
                "public.comment_reactions", "item_type=eq.{item_type},item_id=eq.{item_id}"), spec.defaultFilters());
        var policy = p.channelPolicies().get(0);
        assertEquals(Decision.ALLOW, policy.decide(ChannelAction.BROADCAST_WRITE, "discussion:challenge:1", new Principal("authenticated", "u1", Map.of())));
        assertEquals(Decision.ABSTAIN, policy.decide(ChannelAction.READ, "discussion:challenge:1", new Principal("anon", null, Map.of())));
        assertFalse(spec.tables().isEmpty());
    }
}
