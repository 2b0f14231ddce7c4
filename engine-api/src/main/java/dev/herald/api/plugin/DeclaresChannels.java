package dev.herald.api.plugin;

import java.util.List;

/** A plugin that defines channel families (see {@link ChannelSpec}). */
public interface DeclaresChannels extends Plugin {
    /** The channels. Called once, after {@link Plugin#start}; what it returns must not change afterwards. */
    List<ChannelSpec> channels();
}
