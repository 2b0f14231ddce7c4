package dev.herald.plugins.challenges;

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
import dev.herald.api.policy.SignedInRows;
import java.util.List;
import java.util.Map;
import javax.sql.DataSource;

/**
 * Challenges with submissions, collaborative editing and owner notifications (docs/plugins/challenges.md).
 * <ul>
 *   <li>tables {@code public.challenges}, {@code public.challenge_submissions}, {@code public.challenge_notifications},
 *       all published;</li>
 *   <li>channel {@code challenge:{id}}: presence (who edits which section), client broadcasts (cursor positions: too
 *       frequent for presence), and postgres_changes of that challenge's submissions and row (default filters);</li>
 *   <li>channel {@code challenge-notifications:{sub}} (claim-bound): the caller's own notifications;</li>
 *   <li>row policy {@code challenge_notifications.user_id = sub}: a notification reaches only its recipient, on any
 *       channel;</li>
 *   <li>REST at {@code /plugins/challenges};</li>
 *   <li>console state: REST requests, challenges created, submissions, reviews and notifications sent since start
 *       ({@link ChallengeActivity}).</li>
 * </ul>
 */
public final class ChallengesPlugin implements OwnsTables, DeclaresChannels, DeclaresPolicies, ServesRest, ReportsState {
    static final String CHALLENGES = "challenges";
    static final String SUBMISSIONS = "challenge_submissions";
    static final String NOTIFICATIONS = "challenge_notifications";

    private final ChallengeActivity activity = new ChallengeActivity();
    // Written once in start(), read by REST threads Herald starts only afterwards.
    private volatile DataSource dataSource;

    @Override
    public String id() {
        return "challenges";
    }

    @Override
    public String description() {
        return "Challenges with submissions, collaborative editing presence and owner notifications";
    }

    @Override
    public Tables tables() {
        return Tables.inPublic("db/plugins/challenges", CHALLENGES, SUBMISSIONS, NOTIFICATIONS);
    }

    @Override
    public void start(PluginContext context) {
        this.dataSource = context.dataSource();
    }

    @Override
    public List<ChannelSpec> channels() {
        return List.of(
                new ChannelSpec("challenge:{id}", "One challenge: editors' presence (section), cursor broadcasts, live submissions",
                        List.of("public." + SUBMISSIONS, "public." + CHALLENGES),
                        Map.of("public." + SUBMISSIONS, "challenge_id=eq.{id}", "public." + CHALLENGES, "id=eq.{id}"), true, true),
                new ChannelSpec("challenge-notifications:{sub}", "The caller's own challenge notifications",
                        List.of("public." + NOTIFICATIONS), Map.of("public." + NOTIFICATIONS, "user_id=eq.{sub}"), false, false));
    }

    @Override
    public List<ChannelPolicy> channelPolicies() {
        return List.of(new CollaborationPolicy(), new OwnNotificationsPolicy());
    }

    @Override
    public List<RowPolicy> rowPolicies() {
        return List.of(new ColumnEqualsClaim("public", NOTIFICATIONS, "user_id", "sub"),
                // Challenges and submissions are shared with every signed-in user; anonymous keys see none of them.
                new SignedInRows("public", CHALLENGES), new SignedInRows("public", SUBMISSIONS));
    }

    @Override
    public Object restResource(Principal caller) {
        activity.request();
        return new ChallengesApi(dataSource, activity, caller);
    }

    @Override
    public PluginState state() {
        return activity.state();
    }

    static boolean signedIn(Principal p) {
        return p.subject() != null && !"anon".equals(p.role());
    }

    /** Private {@code challenge:<id>}: every signed-in user may join, track presence and broadcast cursors. */
    static final class CollaborationPolicy implements ChannelPolicy {
        @Override
        public String topicPattern() {
            return "challenge:*";
        }

        @Override
        public Decision decide(ChannelAction action, String topic, Principal principal) {
            return signedIn(principal) ? Decision.ALLOW : Decision.ABSTAIN;
        }
    }

    /** Private {@code challenge-notifications:<own sub>}: read only; the pattern is claim-bound, so never someone else's. */
    static final class OwnNotificationsPolicy implements ChannelPolicy {
        @Override
        public String topicPattern() {
            return "challenge-notifications:{sub}";
        }

        @Override
        public Decision decide(ChannelAction action, String topic, Principal principal) {
            return signedIn(principal) && action == ChannelAction.READ ? Decision.ALLOW : Decision.ABSTAIN;
        }
    }
}
