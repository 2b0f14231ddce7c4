package dev.herald.runtime.plugin;

import dev.herald.runtime.config.ConfigException;
import dev.herald.runtime.config.HeraldConfig;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** The start order of the enabled plugins: each after the plugins it depends on; a missing dependency or a cycle stops the boot. */
final class DependencyOrder {
    private DependencyOrder() {
    }

    /** Dependencies first; among independent plugins, discovery order. */
    static List<PluginHost.Loaded> of(Map<String, PluginHost.Loaded> active, Set<String> installed) {
        for (PluginHost.Loaded l : active.values()) {
            for (String dep : l.plugin.dependsOn()) {
                if (!active.containsKey(dep)) {
                    throw new ConfigException("Plugin '" + l.id() + "' depends on '" + dep + "', which is "
                            + (installed.contains(dep) ? "disabled (" + HeraldConfig.envName(HeraldConfig.PLUGINS_PREFIX + dep + ".enabled") + "=false)" : "not installed"));
                }
            }
        }
        List<PluginHost.Loaded> out = new ArrayList<>();
        Set<String> done = new LinkedHashSet<>();
        for (PluginHost.Loaded l : active.values()) visit(l, active, done, new ArrayList<>(), out);
        return Collections.unmodifiableList(out);
    }

    private static void visit(PluginHost.Loaded l, Map<String, PluginHost.Loaded> active, Set<String> done, List<String> path, List<PluginHost.Loaded> out) {
        if (done.contains(l.id())) return;
        if (path.contains(l.id())) {
            List<String> cycle = new ArrayList<>(path.subList(path.indexOf(l.id()), path.size()));
            cycle.add(l.id());
            throw new ConfigException("Plugin dependency cycle: " + String.join(" -> ", cycle));
        }
        path.add(l.id());
        for (String dep : l.plugin.dependsOn().stream().sorted().toList()) visit(active.get(dep), active, done, path, out);
        path.remove(path.size() - 1);
        done.add(l.id());
        out.add(l);
    }
}
