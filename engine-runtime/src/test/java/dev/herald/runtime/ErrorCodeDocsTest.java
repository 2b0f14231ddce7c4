package dev.herald.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.herald.api.ErrorCode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * docs/error-codes.md is generated from {@link ErrorCode}; this test fails when they drift. Regenerate with
 * {@code mvn -pl engine-runtime test -Dtest=ErrorCodeDocsTest -Dherald.docs.update=true}.
 */
class ErrorCodeDocsTest {

    static String render() {
        StringBuilder sb = new StringBuilder()
                .append("# Error codes\n\n")
                .append("Generated from `dev.herald.api.ErrorCode` by `ErrorCodeDocsTest`; do not edit by hand.\n\n")
                .append("Join error replies carry `Code: message`; channel shutdowns (`system` event) and refused upgrades carry\n")
                .append("the message alone. Every entry is counted in `herald_drops_total{reason=\"<metric tag>\"}`.\n\n")
                .append("| Metric tag | Code | Message |\n|---|---|---|\n");
        for (ErrorCode c : ErrorCode.values()) {
            sb.append("| `").append(c.tag()).append("` | ").append(c.code() == null ? "—" : "`" + c.code() + "`")
                    .append(" | ").append(c.message().replace("|", "\\|")).append(" |\n");
        }
        return sb.toString();
    }

    @Test
    void docsTableMatchesTheCatalogue() throws Exception {
        Path doc = Path.of("..", "docs", "error-codes.md");
        String expected = render();
        if (Boolean.getBoolean("herald.docs.update")) Files.writeString(doc, expected, StandardCharsets.UTF_8);
        assertEquals(expected, Files.readString(doc, StandardCharsets.UTF_8),
                "docs/error-codes.md is stale; regenerate it (see this test's Javadoc)");
    }
}
