package dev.herald.runtime.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.herald.api.ErrorCode;
import org.junit.jupiter.api.Test;

/** The once-a-second drop log line names what was dropped instead of printing the message template. */
class DropLogTest {
    @Test
    void theLogLineCarriesTheTopicNotAPlaceholder() {
        assertEquals("You do not have permissions to read from this Channel topic: room:1",
                HeraldMetrics.logText(ErrorCode.UNAUTHORIZED_CHANNEL, new Object[] {"room:1"}));
        assertEquals("You do not have permissions to read from this Channel topic: -",
                HeraldMetrics.logText(ErrorCode.UNAUTHORIZED_CHANNEL, new Object[0]));
        assertEquals("You do not have permissions to read from this Channel topic: a 'b' c",
                HeraldMetrics.logText(ErrorCode.UNAUTHORIZED_CHANNEL, new Object[] {"a \"b\"\nc"}), "one line, no quotes to break it");
    }
}
