package dev.herald.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.herald.api.plugin.PluginState;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** What a plugin may report is bounded, by count and by length, whatever the plugin hands over. */
class PluginStateTest {

    @Test
    void figuresKeepTheirOrderAndAreCopied() {
        Map<String, Object> figures = new LinkedHashMap<>();
        figures.put("open_relays", 2);
        figures.put("mode", "relay");
        figures.put("healthy", true);
        PluginState s = new PluginState(PluginState.Health.OK, "fine", figures);
        figures.put("later", 1);
        assertEquals(List.of("open_relays", "mode", "healthy"), List.copyOf(s.figures().keySet()));
        assertThrows(UnsupportedOperationException.class, () -> s.figures().put("x", 1));
        assertEquals(List.of("open_relays", "mode", "healthy", "more"), List.copyOf(s.with("more", 3L).figures().keySet()));
    }

    @Test
    void figureNamesAreSnakeCaseAndValuesScalars() {
        assertThrows(IllegalArgumentException.class, () -> PluginState.ok("x").with("REST requests", 1));
        assertThrows(IllegalArgumentException.class, () -> PluginState.ok("x").with("a".repeat(65), 1));
        assertThrows(IllegalArgumentException.class, () -> PluginState.ok("x").with("list", List.of(1)));
        assertThrows(IllegalArgumentException.class, () -> PluginState.ok("x").with("nothing", null));
    }

    @Test
    void countAndLengthAreBounded() {
        Map<String, Object> many = new LinkedHashMap<>();
        for (int i = 0; i <= PluginState.MAX_FIGURES; i++) many.put("f" + i, i);
        assertThrows(IllegalArgumentException.class, () -> new PluginState(PluginState.Health.OK, "", many));
        PluginState long_ = PluginState.notConfigured("y".repeat(10_000)).with("text", "z".repeat(10_000));
        assertEquals(PluginState.MAX_TEXT, long_.summary().length());
        assertEquals(PluginState.MAX_TEXT, ((String) long_.figures().get("text")).length());
        assertEquals(PluginState.Health.NOT_CONFIGURED, long_.health());
        assertEquals("", new PluginState(PluginState.Health.FAILED, null, null).summary());
    }
}
