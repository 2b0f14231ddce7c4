package dev.herald.plugins.campaigns;

import dev.herald.api.plugin.ChannelSpec;
import dev.herald.api.plugin.ConfigKey;
import dev.herald.api.plugin.DeclaresChannels;
import dev.herald.api.plugin.DeclaresPolicies;
import dev.herald.api.plugin.OwnsTables;
import dev.herald.api.plugin.PluginConfig;
import dev.herald.api.plugin.PluginState;
import dev.herald.api.plugin.ReportsState;
import dev.herald.api.plugin.ServesRest;
import dev.herald.api.plugin.Tables;
import dev.herald.api.plugin.UsesJpa;
import dev.herald.api.policy.ChannelAction;
import dev.herald.api.policy.ChannelPolicy;
import dev.herald.api.policy.Decision;
import dev.herald.api.policy.Principal;
import dev.herald.api.policy.RowPolicy;
import dev.herald.api.policy.SignedInRows;
import jakarta.persistence.EntityManagerFactory;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Campaigns with status, metrics and an approval workflow (docs/plugins/campaigns.md).
 * <ul>
 *   <li>table {@code public.campaigns}, published; entity {@link Campaign} (Hibernate);</li>
 *   <li>state machine {@link CampaignStatus}; who may move what: {@link Workflow} (approvers carry the configured role
 *       in {@code app_metadata});</li>
 *   <li>channel {@code campaign:{id}}: postgres_changes of that campaign's row only (default filter {@code id=eq.{id}}),
 *       no presence, no client broadcasts; private joins are granted to signed-in users;</li>
 *   <li>REST at {@code /plugins/campaigns};</li>
 *   <li>console state: the approver role, REST requests, campaigns created, status changes (of them approvals and
 *       rejections) and metric updates since start ({@link CampaignActivity}).</li>
 * </ul>
 * Its only database access is the entity manager factory Herald hands it ({@link UsesJpa}); nothing else of the plugin
 * context is used, so {@code start} is the default.
 */
public final class CampaignsPlugin implements OwnsTables, UsesJpa, DeclaresChannels, DeclaresPolicies, ServesRest, ReportsState {
    static final String TABLE = "campaigns";

    private final CampaignActivity activity = new CampaignActivity();
    private String approverRole;
    private Workflow workflow;
    // Handed over once before start(), read by REST threads Herald starts only afterwards.
    private volatile Supplier<EntityManagerFactory> entityManagerFactory;

    @Override
    public String id() {
        return "campaigns";
    }

    @Override
    public String description() {
        return "Campaigns with status, metrics and an approval workflow";
    }

    @Override
    public List<ConfigKey> configKeys() {
        return List.of(ConfigKey.of("approver-role", ConfigKey.Type.STRING, "campaign_approver",
                "The app_metadata role (app_metadata.role, or an entry of app_metadata.roles) that may approve or reject campaigns"));
    }

    @Override
    public void init(PluginConfig config) {
        String role = config.string("approver-role");
        if (role == null || role.isBlank()) throw new IllegalArgumentException(config.describe("approver-role") + " must not be blank");
        approverRole = role.trim();
        workflow = new Workflow(approverRole);
    }

    @Override
    public Tables tables() {
        return Tables.inPublic("db/plugins/campaigns", TABLE);
    }

    @Override
    public List<Class<?>> entityClasses() {
        return List.of(Campaign.class);
    }

    @Override
    public void entityManagerFactory(Supplier<EntityManagerFactory> factory) {
        this.entityManagerFactory = factory;
    }

    @Override
    public List<ChannelSpec> channels() {
        return List.of(new ChannelSpec("campaign:{id}", "Changes of one campaign (status, metrics, approval)",
                List.of("public." + TABLE), Map.of("public." + TABLE, "id=eq.{id}"), false, false));
    }

    @Override
    public List<RowPolicy> rowPolicies() {
        // Campaigns are not secret among signed-in users; anonymous keys see none.
        return List.of(new SignedInRows("public", TABLE));
    }

    @Override
    public List<ChannelPolicy> channelPolicies() {
        return List.of(new CampaignChannelPolicy());
    }

    @Override
    public Object restResource(Principal caller) {
        activity.request();
        return new CampaignsApi(entityManagerFactory, workflow, activity, caller);
    }

    @Override
    public PluginState state() {
        return activity.state(approverRole);
    }

    /** Private {@code campaign:<id>}: signed-in users may join and read; clients never write to it. */
    static final class CampaignChannelPolicy implements ChannelPolicy {
        @Override
        public String topicPattern() {
            return "campaign:*";
        }

        @Override
        public Decision decide(ChannelAction action, String topic, Principal principal) {
            boolean signedIn = principal.subject() != null && !"anon".equals(principal.role());
            return signedIn && action == ChannelAction.READ ? Decision.ALLOW : Decision.ABSTAIN;
        }
    }
}
