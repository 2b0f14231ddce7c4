package dev.herald.runtime.policy;

import dev.herald.api.policy.Principal;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A compiled {@link dev.herald.api.policy.ChannelPolicy#topicPattern() topic pattern}, matched against a channel's
 * sub-topic ({@code room:42}, never {@code realtime:room:42}).
 *
 * <p>Syntax: segments separated by {@code :}; a literal segment matches itself exactly (case-sensitive); {@code *}
 * matches one non-empty segment; {@code **}, last segment only, matches one or more remaining segments (colons
 * included); {@code {name}} matches one non-empty segment and captures it. Literal segments may not contain
 * {@code *}, <code>{</code> or <code>}</code>; capture names are claim paths ({@link ClaimPaths#isValid}) and unique.
 *
 * <p>Claim substitution: a capture whose name is a claim — one of {@link #STANDARD_CLAIMS} or any dotted path such as
 * {@code app_metadata.team} — is claim-bound: it only matches a segment equal to the principal's value of that claim
 * (compared by {@link ClaimPaths#text}). A principal without that claim (or no principal) never matches. So
 * {@code user:{sub}} matches {@code user:7f1c...} only for the token whose {@code sub} is {@code 7f1c...}. Any other
 * name ({@code {id}}, {@code {room}}) is a plain capture matching any segment; bind it to a claim in a rule instead.
 *
 * <p>Immutable and thread-safe; matching allocates only the capture map.
 */
public final class TopicPattern {
    /** Top-level claims that make a capture of the same name claim-bound. */
    public static final Set<String> STANDARD_CLAIMS = Set.of("sub", "role", "email", "phone", "session_id");

    private enum Kind { LITERAL, ANY, REST, CAPTURE, CLAIM }

    private record Segment(Kind kind, String text) {
    }

    private final String source;
    private final Segment[] segments;
    private final List<String> captureNames;

    private TopicPattern(String source, Segment[] segments, List<String> captureNames) {
        this.source = source;
        this.segments = segments;
        this.captureNames = captureNames;
    }

    /**
     * Compiles {@code pattern}.
     *
     * @throws IllegalArgumentException with a message naming the faulty segment
     */
    public static TopicPattern compile(String pattern) {
        if (pattern == null || pattern.isEmpty()) throw new IllegalArgumentException("topic pattern must not be empty");
        String[] parts = pattern.split(":", -1);
        Segment[] segments = new Segment[parts.length];
        List<String> names = new ArrayList<>();
        for (int i = 0; i < parts.length; i++) {
            String p = parts[i];
            String where = "topic pattern '" + pattern + "', segment " + (i + 1) + " ('" + p + "'): ";
            if (p.equals("**")) {
                if (i != parts.length - 1) throw new IllegalArgumentException(where + "** is only allowed as the last segment");
                segments[i] = new Segment(Kind.REST, null);
            } else if (p.equals("*")) {
                segments[i] = new Segment(Kind.ANY, null);
            } else if (p.startsWith("{") && p.endsWith("}") && p.length() >= 2) {
                String name = p.substring(1, p.length() - 1);
                if (!ClaimPaths.isValid(name)) {
                    throw new IllegalArgumentException(where + "capture name must be letters, digits, _ or - (dots for nested claims), starting with a letter or _");
                }
                if (names.contains(name)) throw new IllegalArgumentException(where + "capture {" + name + "} appears twice");
                names.add(name);
                segments[i] = new Segment(isClaimCapture(name) ? Kind.CLAIM : Kind.CAPTURE, name);
            } else if (p.contains("*") || p.contains("{") || p.contains("}")) {
                throw new IllegalArgumentException(where + "*, ** and {name} must fill a whole segment");
            } else {
                segments[i] = new Segment(Kind.LITERAL, p);
            }
        }
        return new TopicPattern(pattern, segments, List.copyOf(names));
    }

    /** Whether a capture named {@code name} is claim-bound (a standard claim or a dotted claim path). */
    public static boolean isClaimCapture(String name) {
        return STANDARD_CLAIMS.contains(name) || name.indexOf('.') >= 0;
    }

    /** The pattern text as written. */
    public String source() {
        return source;
    }

    /** Capture names in pattern order, claim-bound ones included. */
    public List<String> captureNames() {
        return captureNames;
    }

    /** The first segment when it is a literal (topics not starting with it never match), else null. */
    public String firstLiteral() {
        return segments[0].kind == Kind.LITERAL ? segments[0].text : null;
    }

    /** Whether {@code topic} matches for {@code principal} (which may be null: claim-bound captures then fail). */
    public boolean matches(String topic, Principal principal) {
        return match(topic, principal) != null;
    }

    /**
     * Matches {@code topic} for {@code principal}.
     *
     * @return the captures (name → segment, claim-bound ones included; unmodifiable), or null when it does not match
     */
    public Map<String, String> match(String topic, Principal principal) {
        if (topic == null) return null;
        Map<String, String> captures = captureNames.isEmpty() ? Map.of() : new LinkedHashMap<>();
        int pos = 0;
        boolean more = true;
        for (Segment s : segments) {
            if (!more) return null;
            if (s.kind == Kind.REST) {
                return pos < topic.length() ? freeze(captures) : null;
            }
            int end = topic.indexOf(':', pos);
            String segment = end < 0 ? topic.substring(pos) : topic.substring(pos, end);
            switch (s.kind) {
                case LITERAL -> {
                    if (!s.text.equals(segment)) return null;
                }
                case ANY -> {
                    if (segment.isEmpty()) return null;
                }
                case CAPTURE -> {
                    if (segment.isEmpty()) return null;
                    captures.put(s.text, segment);
                }
                case CLAIM -> {
                    if (segment.isEmpty() || !segment.equals(ClaimPaths.text(ClaimPaths.resolve(principal, s.text)))) return null;
                    captures.put(s.text, segment);
                }
                default -> throw new AssertionError(s.kind);
            }
            if (end < 0) {
                more = false;
            } else {
                pos = end + 1;
            }
        }
        return more ? null : freeze(captures);
    }

    private static Map<String, String> freeze(Map<String, String> captures) {
        return captures.isEmpty() ? Map.of() : Collections.unmodifiableMap(captures);
    }

    @Override
    public String toString() {
        return source;
    }
}
