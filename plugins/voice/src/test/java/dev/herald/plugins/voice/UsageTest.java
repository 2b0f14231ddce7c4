package dev.herald.plugins.voice;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.herald.api.plugin.PluginContext;
import dev.herald.api.plugin.UsageSink;
import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class UsageTest {

    /** A context whose only service is {@code sink} (or none); everything else answers null. */
    private static PluginContext context(UsageSink sink) {
        return (PluginContext) Proxy.newProxyInstance(UsageTest.class.getClassLoader(), new Class<?>[] {PluginContext.class},
                (proxy, method, args) -> method.getName().equals("service") && args[0] == UsageSink.class ? sink : null);
    }

    private static VoiceSettings settings() {
        return VoiceSettings.from(new MapConfig(Map.of()));
    }

    @Test
    void aFinishedSessionIsRecordedWhenTheAnalyticsSinkExists() {
        List<Object[]> got = new ArrayList<>();
        try (VoiceService service = new VoiceService(settings(), context((type, user, props) -> got.add(new Object[] {type, user, props})))) {
            service.recordUsage("user-1", Map.of("seconds", 1.5, "audio_bytes_in", 9L));
        }
        assertEquals(1, got.size());
        assertEquals("voice_session", got.get(0)[0]);
        assertEquals("user-1", got.get(0)[1]);
        assertEquals(Map.of("seconds", 1.5, "audio_bytes_in", 9L), got.get(0)[2]);
    }

    @Test
    void withoutASinkOrWithAFailingOneNothingBreaks() {
        try (VoiceService service = new VoiceService(settings(), context(null))) {
            service.recordUsage("user-1", Map.of("seconds", 1.0));
        }
        try (VoiceService service = new VoiceService(settings(), context((type, user, props) -> {
            throw new IllegalStateException("analytics is down");
        }))) {
            service.recordUsage("user-1", Map.of("seconds", 1.0));
        }
    }
}
