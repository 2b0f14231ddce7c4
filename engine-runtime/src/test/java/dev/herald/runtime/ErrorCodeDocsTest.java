package dev.herald.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.herald.runtime.docs.ReferenceDocs;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * docs/error-codes.md is generated from {@link ErrorCode}; this test fails when they drift. Regenerate with
 * {@code mvn -pl engine-runtime test -Dtest=ErrorCodeDocsTest -Dherald.docs.update=true} (or ReferenceDocs --write).
 */
class ErrorCodeDocsTest {

    static String render() {
        return ReferenceDocs.errorCodes();
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
