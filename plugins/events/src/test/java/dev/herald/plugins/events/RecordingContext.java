package dev.herald.plugins.events;

import dev.herald.api.plugin.PluginConfig;
import dev.herald.api.plugin.PluginContext;
import dev.herald.api.policy.Principal;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import javax.sql.DataSource;

/** A context without an engine: no database, no presence; broadcasts are recorded as (topic, private, event, payload). */
final class RecordingContext implements PluginContext {
    final List<List<Object>> broadcasts = Collections.synchronizedList(new ArrayList<>());

    @Override
    public PluginConfig config() {
        throw new UnsupportedOperationException("no configuration in this test");
    }

    @Override
    public DataSource dataSource() {
        return null;
    }

    @Override
    public void broadcast(String topic, boolean privateChannel, String event, Object payload) {
        broadcasts.add(List.of(topic, privateChannel, event, payload));
    }

    @Override
    public Map<String, List<Map<String, Object>>> presence(String topic, boolean privateChannel) {
        return Map.of();
    }

    @Override
    public Principal verify(String jwt) {
        throw new SecurityException("no tokens in this test");
    }

    @Override
    public boolean pluginEnabled(String id) {
        return false;
    }

    @Override
    public <T> T service(Class<T> type) {
        return null;
    }

    @Override
    public <T> void publish(Class<T> type, T service) {
    }
}
