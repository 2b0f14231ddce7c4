package dev.herald.runtime.plugin;

import dev.herald.api.plugin.ChannelSpec;
import dev.herald.api.policy.Principal;
import dev.herald.runtime.auth.Claims;
import dev.herald.runtime.core.ChannelRules;
import dev.herald.runtime.policy.Principals;
import dev.herald.runtime.policy.TopicPattern;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The channel families plugins declare, in plugin start order: the engine's {@link ChannelRules}. Immutable, thread-safe. */
public final class PluginChannels implements ChannelRules {
    private static final Pattern PLACEHOLDER = Pattern.compile("\\{([A-Za-z0-9_.]+)}");

    record Declared(String pluginId, TopicPattern pattern, ChannelSpec spec) {
    }

    /**
     * The rules of one joined channel.
     *
     * @param pluginId who declared them
     * @param spec the declaration
     * @param captures the pattern's captures for this topic
     */
    public record Rules(String pluginId, ChannelSpec spec, Map<String, String> captures) implements ChannelRules.Rule {
        @Override
        public boolean broadcastAllowed() {
            return spec.broadcast();
        }

        @Override
        public boolean presenceAllowed() {
            return spec.presence();
        }

        @Override
        public boolean allowsTable(String schema, String table) {
            return spec.tables().contains(schema + "." + table);
        }

        /** The default filter for {@code schema.table} with captures filled in, or null. */
        @Override
        public String defaultFilter(String schema, String table) {
            String template = spec.defaultFilters().get(schema + "." + table);
            if (template == null) return null;
            Matcher m = PLACEHOLDER.matcher(template);
            StringBuilder out = new StringBuilder();
            while (m.find()) {
                String v = captures.get(m.group(1));
                m.appendReplacement(out, Matcher.quoteReplacement(v == null ? m.group() : v));
            }
            m.appendTail(out);
            return out.toString();
        }
    }

    private final List<Declared> declared;

    PluginChannels(List<Declared> declared) {
        this.declared = List.copyOf(declared);
    }

    static PluginChannels none() {
        return new PluginChannels(List.of());
    }

    /** The rules for the channel {@code topic} (sub-topic) as seen by {@code principal}, or null when no plugin declares it. */
    public Rules rulesFor(String topic, Principal principal) {
        for (Declared d : declared) {
            Map<String, String> captures = d.pattern().match(topic, principal);
            if (captures != null) return new Rules(d.pluginId(), d.spec(), captures);
        }
        return null;
    }

    @Override
    public Rules ruleFor(String topic, Claims claims) {
        return declared.isEmpty() ? null : rulesFor(topic, Principals.of(claims));
    }

    public boolean isEmpty() {
        return declared.isEmpty();
    }

    /** Every declaration, for the admin API. */
    public List<ChannelSpec> specs(String pluginId) {
        return declared.stream().filter(d -> d.pluginId().equals(pluginId)).map(Declared::spec).toList();
    }
}
