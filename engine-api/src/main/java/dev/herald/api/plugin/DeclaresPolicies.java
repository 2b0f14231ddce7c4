package dev.herald.api.plugin;

import dev.herald.api.policy.ChannelPolicy;
import dev.herald.api.policy.RowPolicy;
import java.util.List;

/**
 * A plugin that decides who may use private channels or receive rows. Its policies are combined with every other
 * source (other plugins, the policy file): access needs one allow and no deny.
 */
public interface DeclaresPolicies extends Plugin {
    /** Access policies for private channels (see {@link ChannelPolicy}). Called once, after {@link Plugin#start}. */
    default List<ChannelPolicy> channelPolicies() {
        return List.of();
    }

    /** Row policies for postgres_changes subscribers (see {@link RowPolicy}). Called once, after {@link Plugin#start}. */
    default List<RowPolicy> rowPolicies() {
        return List.of();
    }
}
