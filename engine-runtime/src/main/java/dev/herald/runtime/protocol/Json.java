package dev.herald.runtime.protocol;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.io.JsonStringEncoder;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;

/** The engine's one Jackson mapper and small helpers around it. Thread-safe. */
public final class Json {
    /**
     * Numbers keep their exact text: floats are read as BigDecimal and written plain, so a payload passed through
     * (or a numeric column like {@code 1.50}) comes out as it went in.
     */
    public static final JsonNodeFactory NODES = JsonNodeFactory.withExactBigDecimals(true);
    public static final ObjectMapper MAPPER = new ObjectMapper()
            .setNodeFactory(NODES)
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
            .enable(JsonGenerator.Feature.WRITE_BIGDECIMAL_AS_PLAIN);

    private Json() {
    }

    public static ObjectNode object() {
        return NODES.objectNode();
    }

    public static String write(JsonNode node) {
        try {
            return MAPPER.writeValueAsString(node);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static byte[] writeBytes(JsonNode node) {
        try {
            return MAPPER.writeValueAsBytes(node);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static JsonNode read(String text) throws IOException {
        return MAPPER.readTree(text);
    }

    public static JsonNode read(byte[] bytes) throws IOException {
        return MAPPER.readTree(bytes);
    }

    /**
     * The first value of {@code node} that this mapper cannot write back, or null when there is none: a number whose
     * exponent puts it outside what plain notation allows ({@code 1e99999}: scale beyond ±9999). Such a payload is
     * valid JSON and parses, but could never be sent on; the caller refuses it. One walk, no serialisation.
     */
    public static String unrepresentable(JsonNode node) {
        if (node == null) return null;
        if (node.isBigDecimal()) {
            int scale = node.decimalValue().scale();
            return scale > 9999 || scale < -9999 ? "a number with exponent " + (-scale) + " (at most 9999)" : null;
        }
        if (node.isContainerNode()) {
            for (JsonNode child : node) {
                String bad = unrepresentable(child);
                if (bad != null) return bad;
            }
        }
        return null;
    }

    /** {@code s} as a JSON string literal, quotes included. */
    public static String quote(String s) {
        if (s == null) return "null";
        StringBuilder sb = new StringBuilder(s.length() + 2).append('"');
        JsonStringEncoder.getInstance().quoteAsString(s, sb);
        return sb.append('"').toString();
    }
}
