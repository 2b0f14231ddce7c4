package dev.herald.plugins.comments;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.herald.api.plugin.ChannelSpec;
import dev.herald.api.plugin.ConfigKey;
import dev.herald.api.plugin.DeclaresChannels;
import dev.herald.api.plugin.DeclaresPolicies;
import dev.herald.api.plugin.OwnsTables;
import dev.herald.api.plugin.PluginConfig;
import dev.herald.api.plugin.PluginContext;
import dev.herald.api.plugin.ServesRest;
import dev.herald.api.plugin.Tables;
import dev.herald.api.policy.ChannelAction;
import dev.herald.api.policy.ChannelPolicy;
import dev.herald.api.policy.Decision;
import dev.herald.api.policy.Principal;
import dev.herald.api.policy.RowPolicy;
import dev.herald.api.policy.SignedInRows;
import java.util.List;
import java.util.Map;

/**
 * Comments (docs/plugins/comments.md): threaded comments on any item ({@code item_type}, {@code item_id}) with edits,
 * soft deletes and reactions, and a discussion channel per item, {@code discussion:{item_type}:{item_id}}, that carries
 * the item's comment and reaction changes (postgres_changes, filtered to the item by default), presence, and typing
 * indicators sent by clients as broadcasts (event {@code typing}, protocol in the docs; clients/js/herald-typing.js
 * implements it).
 *
 * <p>It keeps no counters of its own, so it does not report state to the admin console ({@code ReportsState}).
 */
public final class CommentsPlugin implements OwnsTables, DeclaresChannels, DeclaresPolicies, ServesRest {
    static final String TOPIC = "discussion:{item_type}:{item_id}";
    static final String ITEM_FILTER = "item_type=eq.{item_type},item_id=eq.{item_id}";

    private final ObjectMapper json = new ObjectMapper();
    private PluginConfig config;
    private CommentStore store;
    private CommentRules rules;

    @Override
    public String id() {
        return "comments";
    }

    @Override
    public String description() {
        return "Threaded comments with reactions and a live discussion channel per item";
    }

    @Override
    public List<ConfigKey> configKeys() {
        return List.of(ConfigKey.of("max-body-length", ConfigKey.Type.INTEGER, "5000", "Longest comment body accepted, in characters"));
    }

    @Override
    public void init(PluginConfig config) {
        if (config.integer("max-body-length") < 1) throw new IllegalArgumentException(config.describe("max-body-length") + " must be at least 1");
        this.config = config;
    }

    @Override
    public Tables tables() {
        return Tables.inPublic("db/plugins/comments", "comments", "comment_reactions");
    }

    @Override
    public void start(PluginContext context) {
        store = new CommentStore(context.dataSource());
        rules = new CommentRules((int) config.integer("max-body-length"));
    }

    @Override
    public List<ChannelSpec> channels() {
        return List.of(new ChannelSpec(TOPIC, "One item's discussion: comment and reaction changes, presence, typing broadcasts",
                List.of("public.comments", "public.comment_reactions"),
                Map.of("public.comments", ITEM_FILTER, "public.comment_reactions", ITEM_FILTER), true, true));
    }

    /** Private discussion channels are open to signed-in users (any authenticated token with a sub). */
    @Override
    public List<RowPolicy> rowPolicies() {
        // Discussions are shared with every signed-in user; anonymous keys see none.
        return List.of(new SignedInRows("public", "comments"), new SignedInRows("public", "comment_reactions"));
    }

    @Override
    public List<ChannelPolicy> channelPolicies() {
        return List.of(new ChannelPolicy() {
            @Override
            public String topicPattern() {
                return "discussion:*:*";
            }

            @Override
            public Decision decide(ChannelAction action, String topic, Principal principal) {
                return principal.subject() != null && !"anon".equals(principal.role()) ? Decision.ALLOW : Decision.ABSTAIN;
            }
        });
    }

    @Override
    public Object restResource(Principal caller) {
        return new CommentsApi(store, rules, json, caller);
    }
}
