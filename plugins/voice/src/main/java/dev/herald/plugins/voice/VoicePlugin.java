package dev.herald.plugins.voice;

import dev.herald.api.plugin.ChannelSpec;
import dev.herald.api.plugin.ConfigKey;
import dev.herald.api.plugin.DeclaresChannels;
import dev.herald.api.plugin.DeclaresPolicies;
import dev.herald.api.plugin.OwnsTables;
import dev.herald.api.plugin.PluginConfig;
import dev.herald.api.plugin.PluginContext;
import dev.herald.api.plugin.PluginState;
import dev.herald.api.plugin.PluginState.Health;
import dev.herald.api.plugin.ReportsState;
import dev.herald.api.plugin.ServesRest;
import dev.herald.api.plugin.ServesSockets;
import dev.herald.api.plugin.SocketEndpoint;
import dev.herald.api.plugin.Tables;
import dev.herald.api.policy.ChannelAction;
import dev.herald.api.policy.ChannelPolicy;
import dev.herald.api.policy.ColumnEqualsClaim;
import dev.herald.api.policy.Decision;
import dev.herald.api.policy.Principal;
import dev.herald.api.policy.RowPolicy;
import java.net.URI;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.logging.Logger;

/**
 * The voice plugin: an AI voice assistant whose browser never sees the API key (docs/plugins/voice.md).
 * <ul>
 *   <li>REST {@code POST /plugins/voice/session}: a short-lived client secret minted with the server's key;</li>
 *   <li>WebSocket {@code /plugins/voice/relay}: a relay to the upstream Realtime service, configured by the server;</li>
 *   <li>table {@code public.voice_transcripts} (published): completed transcript segments of relayed sessions;</li>
 *   <li>channel {@code voice:{sub}}: a user's own transcripts as postgres_changes (row policy {@code user_id = sub});</li>
 *   <li>usage of each relayed session handed to the analytics plugin's {@code UsageSink} when it is installed;</li>
 *   <li>its state for the admin console: not configured without an API key, degraded while upstream calls fail.</li>
 * </ul>
 */
public final class VoicePlugin implements OwnsTables, DeclaresChannels, DeclaresPolicies, ServesRest, ServesSockets, ReportsState {
    private static final Logger LOG = Logger.getLogger(VoicePlugin.class.getName());
    static final String TABLE = "voice_transcripts";

    private PluginConfig config;
    private VoiceSettings settings;
    // Written once by start() on the lifecycle thread, read by console threads.
    private volatile VoiceService service;

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
        this.config = config;
        LOG.info("voice: " + settings + (settings.hasApiKey() ? "" : " (no API key: sessions will be refused until one is configured)"));
    }

    @Override
    public Tables tables() {
        return Tables.inPublic("db/plugins/voice", TABLE);
    }

    @Override
    public void start(PluginContext context) {
        service = new VoiceService(settings, context);
    }

    /** What the REST API and the relays share and report to; null before {@link #start}. */
    VoiceService service() {
        return service;
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
    public Object restResource(Principal caller) {
        return new VoiceApi(service, caller);
    }

    @Override
    public List<SocketEndpoint> sockets() {
        return List.of(new SocketEndpoint("relay", () -> new RelayEndpoint(service), List.of(), RelayEndpoint.MAX_MESSAGE_BYTES));
    }

    /**
     * Not configured while no API key is set (every session is refused with 503 then); degraded while the last
     * upstream calls failed (see {@link UpstreamHealth}); otherwise OK. The figures are the service's counters.
     */
    @Override
    public PluginState state() {
        VoiceService s = service;
        Map<String, Object> figures = new LinkedHashMap<>();
        figures.put("open_relays", s == null ? 0 : s.openRelays());
        figures.put("relays_started", s == null ? 0L : s.relaysStarted());
        figures.put("relays_refused", s == null ? 0L : s.relaysRefused());
        figures.put("secrets_minted", s == null ? 0L : s.secretsMinted());
        figures.put("mints_refused", s == null ? 0L : s.mintsRefused());
        figures.put("upstream_failures", s == null ? 0L : s.upstream().failures());
        figures.put("transcripts_saved", s == null ? 0L : s.transcripts().written());
        figures.put("transcripts_dropped", s == null ? 0L : s.transcripts().dropped());
        if (!settings.hasApiKey()) {
            return new PluginState(Health.NOT_CONFIGURED, "no API key: set " + config.describe(VoiceSettings.API_KEY)
                    + " or " + config.describe(VoiceSettings.API_KEY_FILE), figures);
        }
        String failing = s == null ? null : s.upstream().failing();
        if (failing != null) return new PluginState(Health.DEGRADED, failing, figures);
        return new PluginState(Health.OK, "relaying to " + origin(settings.upstream()) + " (" + settings.flavour().name().toLowerCase(Locale.ROOT)
                + ", " + settings.model() + ")", figures);
    }

    /** Scheme, host and port only: a base URL may carry credentials or a proxy path an operator screen need not show. */
    private static String origin(URI uri) {
        return uri.getScheme() + "://" + uri.getHost() + (uri.getPort() < 0 ? "" : ":" + uri.getPort());
    }

    @Override
    public void close() {
        if (service != null) service.close();
    }
}
