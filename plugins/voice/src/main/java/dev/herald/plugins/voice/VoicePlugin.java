package dev.herald.plugins.voice;

import dev.herald.api.plugin.ChannelSpec;
import dev.herald.api.plugin.ConfigKey;
import dev.herald.api.plugin.PluginConfig;
import dev.herald.api.plugin.PluginContext;
import dev.herald.api.plugin.PluginFactory;
import dev.herald.api.plugin.SocketEndpoint;
import dev.herald.api.plugin.Tables;
import dev.herald.api.policy.ChannelAction;
import dev.herald.api.policy.ChannelPolicy;
import dev.herald.api.policy.ColumnEqualsClaim;
import dev.herald.api.policy.Decision;
import dev.herald.api.policy.Principal;
import dev.herald.api.policy.RowPolicy;
import java.util.List;
import java.util.Map;
import java.util.logging.Logger;

/**
 * The voice plugin: an AI voice assistant whose browser never sees the API key (docs/plugins/voice.md).
 * <ul>
 *   <li>REST {@code POST /plugins/voice/session}: a short-lived client secret minted with the server's key;</li>
 *   <li>WebSocket {@code /plugins/voice/relay}: a relay to the upstream Realtime service, configured by the server;</li>
 *   <li>table {@code public.voice_transcripts} (published): completed transcript segments of relayed sessions;</li>
 *   <li>channel {@code voice:{sub}}: a user's own transcripts as postgres_changes (row policy {@code user_id = sub});</li>
 *   <li>usage of each relayed session handed to the analytics plugin's {@code UsageSink} when it is installed.</li>
 * </ul>
 */
public final class VoicePlugin implements PluginFactory {
    private static final Logger LOG = Logger.getLogger(VoicePlugin.class.getName());
    static final String TABLE = "voice_transcripts";

    private VoiceSettings settings;
    private VoiceService service;

    @Override
    public String id() {
        return "voice";
    }

    @Override
    public String description() {
        return "AI voice sessions: client secrets, a relay to an OpenAI-Realtime-compatible service, live transcripts";
    }

    @Override
    public List<ConfigKey> configKeys() {
        return VoiceSettings.keys();
    }

    @Override
    public void init(PluginConfig config) {
        settings = VoiceSettings.from(config);
        LOG.info("voice: " + settings + (settings.hasApiKey() ? "" : " (no API key: sessions will be refused until one is configured)"));
    }

    @Override
    public Tables tables() {
        return Tables.inPublic("db/plugins/voice", TABLE);
    }

    @Override
    public void postInit(PluginContext context) {
        service = new VoiceService(settings, context);
    }

    @Override
    public List<ChannelSpec> channels() {
        return List.of(new ChannelSpec("voice:{sub}", "A user's own voice transcripts, live",
                List.of("public." + TABLE), Map.of("public." + TABLE, "user_id=eq.{sub}"), false, false));
    }

    @Override
    public List<ChannelPolicy> channelPolicies() {
        return List.of(new ChannelPolicy() {
            @Override
            public String topicPattern() {
                // Claim-bound: matches voice:<own sub> only.
                return "voice:{sub}";
            }

            @Override
            public Decision decide(ChannelAction action, String topic, Principal principal) {
                return action == ChannelAction.READ ? Decision.ALLOW : Decision.ABSTAIN;
            }
        });
    }

    @Override
    public List<RowPolicy> rowPolicies() {
        return List.of(new ColumnEqualsClaim("public", TABLE, "user_id", "sub"));
    }

    @Override
    public Object restResource() {
        return new VoiceApi(service);
    }

    @Override
    public List<SocketEndpoint> sockets() {
        return List.of(new SocketEndpoint("relay", () -> new RelayEndpoint(service), List.of(), RelayEndpoint.MAX_MESSAGE_BYTES));
    }

    @Override
    public void close() {
        if (service != null) service.close();
    }
}
