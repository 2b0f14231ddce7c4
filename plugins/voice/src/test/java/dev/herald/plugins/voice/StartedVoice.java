package dev.herald.plugins.voice;

import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.herald.testing.PluginHarness;

/** Voice settings as the plugin reads them when Herald's boot starts it with the given values. */
final class StartedVoice {
    private StartedVoice() {
    }

    /** A harness for the voice plugin with {@code pairs} (key, value, key, value, ...) set. */
    static PluginHarness.Builder with(VoicePlugin plugin, String... pairs) {
        PluginHarness.Builder b = PluginHarness.of(plugin);
        for (int i = 0; i < pairs.length; i += 2) b.setting(pairs[i], pairs[i + 1]);
        return b;
    }

    /** The settings the started plugin uses. */
    static VoiceSettings settings(String... pairs) {
        VoicePlugin plugin = new VoicePlugin();
        try (PluginHarness h = with(plugin, pairs).start()) {
            return plugin.service().settings();
        }
    }

    /** The message the boot stops with when these settings are refused. */
    static String refusal(String... pairs) {
        return assertThrows(IllegalStateException.class, () -> with(new VoicePlugin(), pairs).start().close()).getMessage();
    }
}
