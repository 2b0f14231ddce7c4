package dev.herald.plugins.bookmarks;

import dev.herald.api.plugin.ChannelSpec;
import dev.herald.api.plugin.DeclaresChannels;
import dev.herald.api.plugin.DeclaresPolicies;
import dev.herald.api.plugin.OwnsTables;
import dev.herald.api.plugin.PluginContext;
import dev.herald.api.plugin.PluginState;
import dev.herald.api.plugin.ReportsState;
import dev.herald.api.plugin.ServesRest;
import dev.herald.api.plugin.Tables;
import dev.herald.api.policy.ChannelAction;
import dev.herald.api.policy.ChannelPolicy;
import dev.herald.api.policy.ColumnEqualsClaim;
import dev.herald.api.policy.Decision;
import dev.herald.api.policy.Principal;
import dev.herald.api.policy.RowPolicy;
import java.util.List;
import java.util.Map;
import javax.sql.DataSource;

/**
 * Bookmarks of challenges, ideas, events, opportunities and partners (docs/plugins/bookmarks.md).
 * <ul>
 *   <li>table {@code public.bookmarks}, published, unique per (user, item type, item id);</li>
 *   <li>row policy {@code user_id = sub}: a subscriber only ever receives its own bookmark changes, whatever channel
 *       or filter it uses;</li>
 *   <li>channel {@code bookmarks:{sub}} (claim-bound: only matches the caller's own sub), carrying
 *       {@code public.bookmarks} filtered to {@code user_id=eq.<sub>} by default; private joins are granted to signed-in
 *       users on their own topic only;</li>
 *   <li>REST at {@code /plugins/bookmarks};</li>
 *   <li>console state: REST requests, bookmarks added and removed since start ({@link BookmarkActivity}).</li>
 * </ul>
 */
public final class BookmarksPlugin implements OwnsTables, DeclaresChannels, DeclaresPolicies, ServesRest, ReportsState {
    static final String TABLE = "bookmarks";
    static final String CHANNEL = "bookmarks:{sub}";

    private final BookmarkActivity activity = new BookmarkActivity();
    // Written once in start(), read by REST threads Herald starts only afterwards.
    private volatile DataSource dataSource;

    @Override
    public String id() {
        return "bookmarks";
    }

    @Override
    public String description() {
        return "Bookmarks of challenges, ideas, events, opportunities and partners, synced to the owner's devices";
    }

    @Override
    public Tables tables() {
        return Tables.inPublic("db/plugins/bookmarks", TABLE);
    }

    @Override
    public void start(PluginContext context) {
        this.dataSource = context.dataSource();
    }

    @Override
    public List<ChannelSpec> channels() {
        return List.of(new ChannelSpec(CHANNEL, "One user's bookmark changes, for all of that user's devices",
                List.of("public." + TABLE), Map.of("public." + TABLE, "user_id=eq.{sub}"), false, false));
    }

    @Override
    public List<ChannelPolicy> channelPolicies() {
        return List.of(new OwnTopicPolicy());
    }

    @Override
    public List<RowPolicy> rowPolicies() {
        return List.of(new ColumnEqualsClaim("public", TABLE, "user_id", "sub"));
    }

    @Override
    public Object restResource(Principal caller) {
        activity.request();
        return new BookmarksApi(dataSource, activity, caller);
    }

    @Override
    public PluginState state() {
        return activity.state();
    }

    /**
     * Private {@code bookmarks:{sub}}: the engine only asks when the topic's last segment is the caller's own sub, so
     * granting read to any signed-in caller grants it on its own topic only. Nothing is ever written to the channel by
     * clients (the changes come from the table), so writes are left to the default deny.
     */
    static final class OwnTopicPolicy implements ChannelPolicy {
        @Override
        public String topicPattern() {
            return CHANNEL;
        }

        @Override
        public Decision decide(ChannelAction action, String topic, Principal principal) {
            boolean signedIn = principal.subject() != null && !"anon".equals(principal.role());
            return signedIn && action == ChannelAction.READ ? Decision.ALLOW : Decision.ABSTAIN;
        }
    }
}
