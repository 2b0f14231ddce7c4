package dev.herald.runtime.plugin;

import dev.herald.api.ErrorCode;
import dev.herald.api.plugin.ChannelSpec;
import dev.herald.api.plugin.ConfigKey;
import dev.herald.api.plugin.DeclaresChannels;
import dev.herald.api.plugin.DeclaresPolicies;
import dev.herald.api.plugin.OwnsTables;
import dev.herald.api.plugin.Plugin;
import dev.herald.api.plugin.PluginContext;
import dev.herald.api.plugin.PluginState;
import dev.herald.api.plugin.ReactsToChanges;
import dev.herald.api.plugin.ReportsState;
import dev.herald.api.plugin.RowChange;
import dev.herald.api.plugin.ServesRest;
import dev.herald.api.plugin.ServesSockets;
import dev.herald.api.plugin.SocketEndpoint;
import dev.herald.api.plugin.TableHook;
import dev.herald.api.plugin.Tables;
import dev.herald.api.plugin.UsesJpa;
import dev.herald.api.policy.ChannelPolicy;
import dev.herald.api.policy.Principal;
import dev.herald.api.policy.RowPolicy;
import dev.herald.runtime.cdc.ChangeEvent;
import dev.herald.runtime.config.ConfigException;
import dev.herald.runtime.config.HeraldConfig;
import dev.herald.runtime.db.SchemaMigrations;
import dev.herald.runtime.metrics.HeraldMetrics;
import dev.herald.runtime.policy.TopicPattern;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.regex.Pattern;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The plugins of one engine: finds them, checks their configuration, orders them by dependency, runs their
 * lifecycle and holds what they contribute. Lifecycle methods are called from one thread (the boot, the stop); the
 * contributions are read-only afterwards and safe to use from any thread.
 */
public final class PluginHost {
    private static final Logger LOG = LoggerFactory.getLogger(PluginHost.class);
    private static final Pattern ID = Pattern.compile("[a-z][a-z0-9]{0,31}");
    private static final Pattern TABLE = Pattern.compile("[a-z_][a-z0-9_$]*\\.[a-z_][a-z0-9_$]*");
    private static final Set<String> RESERVED_IDS = Set.of("dir", "close");

    /**
     * What the admin console shows about one plugin.
     *
     * @param tables the published tables ({@code schema.table})
     * @param internalTables the plugin's other tables, never published
     * @param state what the plugin reports ({@link ReportsState}), or null when it reports nothing or is disabled
     */
    public record Info(String id, String version, String description, boolean enabled, List<String> tables, List<String> internalTables,
                       List<String> channels, Map<String, String> settings, PluginState state) {
    }

    /** A plugin's WebSocket endpoint, with the id that places it at {@code /plugins/<id>/<path>}. */
    public record Socket(String pluginId, SocketEndpoint endpoint) {
        public String fullPath() {
            return "/plugins/" + pluginId + "/" + endpoint.path();
        }
    }

    static final class Loaded {
        final Plugin plugin;
        final PluginSettings settings;
        Tables tables;
        PluginEntities entities;
        boolean initialised;
        boolean started;

        Loaded(Plugin plugin, PluginSettings settings) {
            this.plugin = plugin;
            this.settings = settings;
        }

        String id() {
            return plugin.id();
        }
    }

    private final HeraldConfig config;
    private final List<Loaded> ordered;
    private final List<Info> disabled = new ArrayList<>();
    private final ClassLoader loader;
    private final List<String> publishedTables = new ArrayList<>();
    private final List<String> internalTables = new ArrayList<>();
    private final List<ChannelPolicy> channelPolicies = new ArrayList<>();
    private final List<RowPolicy> rowPolicies = new ArrayList<>();
    private final Map<String, List<TableHook>> hooks = new HashMap<>();
    private final Map<String, String> hookOwners = new HashMap<>();
    private final Map<String, ServesRest> restApis = new HashMap<>();
    private final List<Socket> sockets = new ArrayList<>();
    private final List<PluginChannels.Declared> channels = new ArrayList<>();
    private PluginChannels channelView = PluginChannels.none();
    private volatile HeraldMetrics metrics;
    private final Map<String, PluginContext> contexts = new HashMap<>();
    private volatile boolean closed;

    /** Finds the plugins on Herald's class path and in {@code herald.plugins.dir} (see {@link PluginDiscovery}). */
    public static PluginHost discover(HeraldConfig config) {
        PluginDiscovery.Found found = PluginDiscovery.find(config);
        return new PluginHost(config, found.plugins(), found.loader());
    }

    /** The plugins on Herald's class path and in {@code dir} (may be null), without configuring them (for docs). */
    public static List<Plugin> pluginsIn(Path dir) {
        return PluginDiscovery.pluginsIn(dir);
    }

    /** A host over the given plugins (tests, embedders and the plugin test kit). */
    public static PluginHost of(HeraldConfig config, List<? extends Plugin> plugins) {
        return new PluginHost(config, plugins, PluginHost.class.getClassLoader());
    }

    private PluginHost(HeraldConfig config, List<? extends Plugin> found, ClassLoader loader) {
        this.config = config;
        this.loader = loader;
        Map<String, Plugin> byId = new LinkedHashMap<>();
        for (Plugin f : found) {
            String id = f.id();
            if (id == null || !ID.matcher(id).matches() || RESERVED_IDS.contains(id)) {
                throw new ConfigException("Plugin " + f.getClass().getName() + " has the invalid id '" + id
                        + "' (lower-case letters and digits, starting with a letter; 'dir' and 'close' are reserved)");
            }
            Plugin other = byId.putIfAbsent(id, f);
            if (other != null) {
                throw new ConfigException("Two plugins have the id '" + id + "': " + other.getClass().getName() + " and " + f.getClass().getName());
            }
        }
        // Group configured values by plugin id: HERALD_PLUGINS_<ID>_<KEY>.
        Map<String, Map<String, HeraldConfig.PluginEntry>> byPlugin = new HashMap<>();
        String prefix = HeraldConfig.envName(HeraldConfig.PLUGINS_PREFIX);
        config.pluginEntries().forEach((envKey, entry) -> {
            String rest = envKey.substring(prefix.length());
            int cut = rest.indexOf('_');
            String id = (cut < 0 ? rest : rest.substring(0, cut)).toLowerCase(Locale.ROOT);
            String key = cut < 0 ? "" : rest.substring(cut + 1);
            byPlugin.computeIfAbsent(id, k -> new LinkedHashMap<>()).put(key, entry);
        });
        Map<String, Boolean> enabled = new HashMap<>();
        for (var e : byPlugin.entrySet()) {
            String id = e.getKey();
            HeraldConfig.PluginEntry flag = e.getValue().remove("ENABLED");
            if (flag != null) {
                if (!flag.value().equalsIgnoreCase("true") && !flag.value().equalsIgnoreCase("false")) {
                    throw new ConfigException("Invalid value for " + flag.shownAs() + ": '" + flag.value() + "' is not true or false");
                }
                enabled.put(id, Boolean.parseBoolean(flag.value()));
            }
            if (!byId.containsKey(id)) {
                if (flag != null && Boolean.parseBoolean(flag.value())) {
                    throw new ConfigException("Plugin '" + id + "' is enabled by " + flag.shownAs() + " but is not installed. Installed plugins: "
                            + (byId.isEmpty() ? "none" : String.join(", ", byId.keySet()))
                            + (config.pluginsDir() == null ? " (no plugins folder configured: " + HeraldConfig.envName(HeraldConfig.PLUGINS_DIR) + ")"
                            : " (plugins folder " + config.pluginsDir() + ")"));
                }
                if (!e.getValue().isEmpty()) {
                    throw new ConfigException("Unknown configuration key " + e.getValue().values().iterator().next().shownAs()
                            + ": there is no plugin '" + id + "'. Installed plugins: " + (byId.isEmpty() ? "none" : String.join(", ", byId.keySet())));
                }
            }
        }
        Map<String, Loaded> active = new LinkedHashMap<>();
        for (Plugin f : byId.values()) {
            boolean on = enabled.getOrDefault(f.id(), true);
            LOG.info("plugin {} {} found{}{}", f.id(), f.version(), on ? "" : " (disabled by configuration)",
                    f.description().isEmpty() ? "" : ": " + f.description());
            if (!on) {
                disabled.add(new Info(f.id(), f.version(), f.description(), false, List.of(), List.of(), List.of(), Map.of(), null));
                continue;
            }
            List<ConfigKey> keys = f.configKeys() == null ? List.of() : f.configKeys();
            active.put(f.id(), new Loaded(f, new PluginSettings(f.id(), keys, byPlugin.getOrDefault(f.id(), Map.of()))));
        }
        this.ordered = DependencyOrder.of(active, byId.keySet());
    }

    /** The enabled plugins' ids in start order. */
    public List<String> ids() {
        return ordered.stream().map(Loaded::id).toList();
    }

    public boolean isEnabled(String id) {
        return ordered.stream().anyMatch(l -> l.id().equals(id));
    }

    /** Calls every plugin's {@code init} in dependency order and reads its tables and entity classes. */
    public void init() {
        for (Loaded l : ordered) {
            try {
                l.plugin.init(l.settings);
            } catch (ConfigException e) {
                throw e;
            } catch (RuntimeException e) {
                throw new ConfigException("Plugin '" + l.id() + "' refused to start: " + message(e));
            }
            l.initialised = true;
            if (l.plugin instanceof OwnsTables owner) {
                l.tables = owner.tables();
                if (l.tables == null) throw new ConfigException("Plugin '" + l.id() + "' owns tables but its tables() returned null");
            }
            if (l.plugin instanceof UsesJpa jpa) {
                List<Class<?>> classes = jpa.entityClasses();
                if (classes == null || classes.isEmpty()) throw new ConfigException("Plugin '" + l.id() + "' uses JPA but declares no entity classes");
                l.entities = new PluginEntities(l.id(), () -> contexts.get(l.id()).dataSource(), classes, l.plugin.getClass().getClassLoader());
            }
            if (l.tables != null) {
                for (String t : l.tables.published()) {
                    if (!TABLE.matcher(l.tables.schema() + "." + t).matches()) {
                        throw new ConfigException("Plugin '" + l.id() + "' publishes the invalid table name '" + t + "'");
                    }
                }
            }
        }
    }

    /** Whether any enabled plugin has tables (and so needs Herald's database). */
    public boolean needsDatabase() {
        return ordered.stream().anyMatch(l -> l.tables != null || l.entities != null);
    }

    /** Applies every plugin's migrations, in dependency order, each with its own history. */
    public void migrate(DataSource dataSource) {
        for (Loaded l : ordered) {
            if (l.tables == null) continue;
            Set<String> before = PluginTables.tablesIn(dataSource, l.tables.schema());
            try {
                int applied = SchemaMigrations.migrate(dataSource, l.tables.migrations(), "plugin_" + l.id() + "_history", l.tables.schema(),
                        l.plugin.getClass().getClassLoader());
                LOG.info("plugin {}: {} migration(s) applied from {}", l.id(), applied, l.tables.migrations());
            } catch (RuntimeException e) {
                throw new ConfigException("Plugin '" + l.id() + "': migration failed: " + message(e));
            }
            // A table the migrations just created but the plugin does not declare would be captured by a pattern such
            // as public.*; only a first migration can tell, which is when plugin authors run it.
            Set<String> created = new TreeSet<>(PluginTables.tablesIn(dataSource, l.tables.schema()));
            created.removeAll(before);
            created.removeAll(l.tables.published());
            created.removeAll(l.tables.internal());
            if (!created.isEmpty()) {
                throw new ConfigException("Plugin '" + l.id() + "': its migrations created " + created + " in schema " + l.tables.schema()
                        + ", which its Tables declare neither as published nor as internal");
            }
            for (String t : l.tables.published()) publishedTables.add(l.tables.schema() + "." + t);
            for (String t : l.tables.internal()) internalTables.add(l.tables.schema() + "." + t);
        }
    }

    /** Tables plugins own but do not publish ({@code schema.table}): never to be captured, whatever the patterns. */
    public List<String> internalTables() {
        return List.copyOf(internalTables);
    }

    /** Tables plugins publish ({@code schema.table}), for Herald's publication. */
    public List<String> publishedTables() {
        return List.copyOf(publishedTables);
    }

    /**
     * Hands each plugin its context (and its entity manager factory), calls {@code start} in dependency order and
     * collects the contributions.
     */
    public void start(Function<String, PluginContext> contexts) {
        for (Loaded l : ordered) {
            Plugin p = l.plugin;
            try {
                PluginContext context = contexts.apply(l.id());
                this.contexts.put(l.id(), context);
                if (p instanceof UsesJpa jpa) jpa.entityManagerFactory(l.entities);
                p.start(context);
                l.started = true;
                collect(l);
            } catch (ConfigException e) {
                throw e;
            } catch (RuntimeException e) {
                throw new ConfigException("Plugin '" + l.id() + "' failed to start: " + message(e));
            }
        }
        channelView = new PluginChannels(channels);
    }

    private void collect(Loaded l) {
        int policyCount = 0, channelCount = 0, hookCount = 0;
        String rest = "", websocket = "";
        if (l.plugin instanceof DeclaresPolicies policies) {
            List<ChannelPolicy> channel = policies.channelPolicies();
            List<RowPolicy> row = policies.rowPolicies();
            channelPolicies.addAll(channel);
            rowPolicies.addAll(row);
            policyCount = channel.size() + row.size();
        }
        if (l.plugin instanceof DeclaresChannels declares) {
            List<ChannelSpec> specs = declares.channels();
            for (ChannelSpec spec : specs) {
                TopicPattern pattern;
                try {
                    pattern = TopicPattern.compile(spec.topicPattern());
                } catch (IllegalArgumentException e) {
                    throw new ConfigException("Plugin '" + l.id() + "' declares the invalid channel pattern '" + spec.topicPattern() + "': " + e.getMessage());
                }
                for (String t : spec.tables()) {
                    if (!TABLE.matcher(t).matches()) throw new ConfigException("Plugin '" + l.id() + "': channel " + spec.topicPattern()
                            + " names '" + t + "', expected schema.table");
                }
                channels.add(new PluginChannels.Declared(l.id(), pattern, spec));
            }
            channelCount = specs.size();
        }
        if (l.plugin instanceof ReactsToChanges reacts) {
            List<TableHook> list = reacts.hooks();
            for (TableHook h : list) {
                String table = h.schema() + "." + h.table();
                if (l.tables == null || !publishedTables.contains(table) || !l.tables.published().contains(h.table())) {
                    throw new ConfigException("Plugin '" + l.id() + "' hooks " + table + ", which is not one of its published tables");
                }
                hooks.computeIfAbsent(table, k -> new ArrayList<>()).add(h);
                hookOwners.put(table, l.id());
            }
            hookCount = list.size();
        }
        if (l.plugin instanceof ServesRest api) {
            restApis.put(l.id(), api);
            rest = ", REST /plugins/" + l.id();
        }
        if (l.plugin instanceof ServesSockets serves) {
            Set<String> paths = new HashSet<>();
            List<SocketEndpoint> endpoints = serves.sockets();
            for (SocketEndpoint s : endpoints) {
                if (!paths.add(s.path())) throw new ConfigException("Plugin '" + l.id() + "' declares the socket path '" + s.path() + "' twice");
                sockets.add(new Socket(l.id(), s));
            }
            if (!paths.isEmpty()) websocket = ", WebSocket " + endpoints.stream().map(e -> "/plugins/" + l.id() + "/" + e.path()).toList();
        }
        LOG.info("plugin {} started: {} channel(s), {} polic(ies), {} hook(s){}{}", l.id(), channelCount, policyCount, hookCount, rest, websocket);
    }

    public void metrics(HeraldMetrics metrics) {
        this.metrics = metrics;
    }

    public List<ChannelPolicy> channelPolicies() {
        return List.copyOf(channelPolicies);
    }

    public List<RowPolicy> rowPolicies() {
        return List.copyOf(rowPolicies);
    }

    public PluginChannels channels() {
        return channelView;
    }

    /** Whether plugin {@code id} is enabled, started and has a REST API. */
    public boolean servesRest(String id) {
        return restApis.containsKey(id);
    }

    /**
     * The resource serving one REST request of {@code caller} to plugin {@code id} (see {@link ServesRest}).
     *
     * @throws IllegalStateException when the plugin has no REST API or returns no resource
     */
    public Object restResource(String id, Principal caller) {
        ServesRest rest = restApis.get(id);
        if (rest == null) throw new IllegalStateException("plugin " + id + " has no REST API");
        Object resource = rest.restResource(caller);
        if (resource == null) throw new IllegalStateException("plugin " + id + " returned no REST resource");
        return resource;
    }

    public List<Socket> sockets() {
        return List.copyOf(sockets);
    }

    public boolean hasHooks() {
        return !hooks.isEmpty();
    }

    /** Runs the hooks of the change's table (on the change-capture thread, after fan-out). */
    public void onChange(ChangeEvent e) {
        List<TableHook> list = hooks.get(e.schema() + "." + e.table());
        if (list == null) return;
        RowChange change = new RowChange(e.schema(), e.table(), RowChange.Type.valueOf(e.type().name()),
                e.type() == ChangeEvent.Type.DELETE ? Map.of() : Collections.unmodifiableMap(e.rowAfter()),
                Collections.unmodifiableMap(e.oldRow()), e.commitTime());
        for (TableHook h : list) {
            try {
                h.onChange(change);
            } catch (RuntimeException ex) {
                HeraldMetrics m = metrics;
                if (m != null) m.drop(ErrorCode.PLUGIN_HOOK_FAILED);
                LOG.warn("{}", ErrorCode.PLUGIN_HOOK_FAILED.reason(hookOwners.get(e.schema() + "." + e.table()), ex.toString()), ex);
            }
        }
    }

    /** Every plugin found, enabled ones in start order first. */
    public List<Info> plugins() {
        List<Info> out = new ArrayList<>();
        for (Loaded l : ordered) {
            List<String> tables = l.tables == null ? List.of() : l.tables.published().stream().map(t -> l.tables.schema() + "." + t).toList();
            List<String> internal = l.tables == null ? List.of() : l.tables.internal().stream().map(t -> l.tables.schema() + "." + t).toList();
            List<String> chans = channelView.specs(l.id()).stream().map(ChannelSpec::topicPattern).toList();
            out.add(new Info(l.id(), l.plugin.version(), l.plugin.description(), true, tables, internal, chans, l.settings.shown(), state(l)));
        }
        out.addAll(disabled);
        return out;
    }

    /** What a started plugin reports; a failing report is shown as the failure, never thrown at the console. */
    private PluginState state(Loaded l) {
        if (!l.started || closed || !(l.plugin instanceof ReportsState reports)) return null;
        try {
            PluginState state = reports.state();
            return state != null ? state : new PluginState(PluginState.Health.FAILED, "state() returned nothing", Map.of());
        } catch (RuntimeException e) {
            return new PluginState(PluginState.Health.FAILED, "state() failed: " + e, Map.of());
        }
    }

    /** Closes the plugins in reverse start order, each given at most {@code deadlineMs}. */
    public synchronized void close(long deadlineMs) {
        if (closed) return;
        closed = true;
        List<Loaded> reverse = new ArrayList<>(ordered);
        Collections.reverse(reverse);
        for (Loaded l : reverse) {
            if (!l.initialised) continue;
            Thread t = new Thread(() -> {
                try {
                    l.plugin.close();
                } catch (RuntimeException e) {
                    LOG.warn("plugin {}: close failed: {}", l.id(), e.toString());
                }
            }, "herald-plugin-close-" + l.id());
            t.setDaemon(true);
            t.start();
            try {
                t.join(Math.max(1, deadlineMs));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            if (t.isAlive()) LOG.warn("plugin {} did not close within {} ms; moving on", l.id(), deadlineMs);
            if (l.entities != null) l.entities.close();
        }
    }

    Loaded loaded(String id) {
        return ordered.stream().filter(l -> l.id().equals(id)).findFirst().orElseThrow();
    }

    ClassLoader loader() {
        return loader;
    }

    private static String message(Throwable e) {
        Throwable t = e;
        StringBuilder sb = new StringBuilder(String.valueOf(t.getMessage() == null ? t.toString() : t.getMessage()));
        while (t.getCause() != null && t.getCause() != t && sb.length() < 600) {
            t = t.getCause();
            if (t.getMessage() != null && !sb.toString().contains(t.getMessage())) sb.append(": ").append(t.getMessage());
        }
        return sb.toString();
    }
}
