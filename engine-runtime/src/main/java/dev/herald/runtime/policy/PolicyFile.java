package dev.herald.runtime.policy;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.herald.api.policy.ChannelAction;
import dev.herald.api.policy.ChannelPolicy;
import dev.herald.api.policy.ColumnEqualsClaim;
import dev.herald.api.policy.RowPolicy;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The operator's access rules, read from a JSON file ({@code HERALD_POLICY_FILE}); the format is documented in
 * {@code docs/access-policies.md}. In short:
 *
 * <pre>{@code
 * {
 *   "bypass_roles": ["service_role"],
 *   "channels": [
 *     {"topic": "room:{id}",
 *      "read": {"roles": ["authenticated"]},
 *      "broadcast": {"roles": ["authenticated"], "claims": {"app_metadata.rooms": {"contains": "{id}"}}},
 *      "presence": [{"claims": {"app_metadata.rooms": {"contains": "{id}"}}}]}
 *   ],
 *   "rows": [{"table": "public.todos", "column": "user_id", "claim": "sub"}]
 * }
 * }</pre>
 *
 * <p>Validation is strict: unknown keys, wrong types, empty grants, bad topic patterns, bad claim paths and references
 * to captures the topic does not define are refused with a {@link PolicyFileException} naming the entry and field.
 * Channel entries only grant (they never deny); {@code bypass_roles} (default {@code ["service_role"]}) adds a grant of
 * everything on every private channel, and of every row of each table listed in {@code rows}. Immutable.
 */
public final class PolicyFile {
    /** Roles that bypass access rules when the file does not say otherwise (Supabase's service key). */
    public static final List<String> DEFAULT_BYPASS_ROLES = List.of("service_role");

    private static final JsonMapper MAPPER = JsonMapper.builder().enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION).build();

    private static final Set<String> ROOT_KEYS = Set.of("bypass_roles", "channels", "rows", "comment");
    private static final Set<String> CHANNEL_KEYS =
            Set.of("topic", "read", "broadcast", "presence", "presence_read", "presence_write", "comment");
    private static final Set<String> GRANT_KEYS = Set.of("roles", "claims", "comment");
    private static final Set<String> ROW_KEYS = Set.of("table", "column", "claim", "comment");
    private static final Set<String> CONTAINS_KEYS = Set.of("contains");

    private final String source;
    private final List<String> bypassRoles;
    private final List<ChannelPolicy> channelPolicies;
    private final List<RowPolicy> rowPolicies;

    private PolicyFile(String source, List<String> bypassRoles, List<ChannelPolicy> channels, List<RowPolicy> rows) {
        this.source = source;
        this.bypassRoles = List.copyOf(bypassRoles);
        this.channelPolicies = List.copyOf(channels);
        this.rowPolicies = List.copyOf(rows);
    }

    /** The rules in force without a policy file: no channel grants, no row policies, {@link #DEFAULT_BYPASS_ROLES}. */
    public static PolicyFile defaults() {
        return parse("{}", "(defaults)");
    }

    /** Reads and validates {@code path}. */
    public static PolicyFile load(Path path) {
        String text;
        try {
            text = Files.readString(path, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new PolicyFileException(path + ": cannot read the policy file: " + e.getMessage(), e);
        }
        return parse(text, path.toString());
    }

    /**
     * Parses and validates {@code json}.
     *
     * @param source a name for error messages (usually the file name)
     */
    public static PolicyFile parse(String json, String source) {
        JsonNode root;
        try {
            root = MAPPER.readTree(json);
        } catch (JsonProcessingException e) {
            var loc = e.getLocation();
            String at = loc == null ? "" : " at line " + loc.getLineNr() + ", column " + loc.getColumnNr();
            throw new PolicyFileException(source + ": not valid JSON" + at + ": " + e.getOriginalMessage(), e);
        }
        return new Parser(source).root(root);
    }

    /** Where the rules came from (for logs). */
    public String source() {
        return source;
    }

    /** The roles that bypass every rule. */
    public List<String> bypassRoles() {
        return bypassRoles;
    }

    /** One policy per {@code channels} entry, in file order, then the bypass policy (if any bypass role). */
    public List<ChannelPolicy> channelPolicies() {
        return channelPolicies;
    }

    /** One {@link ColumnEqualsClaim} per {@code rows} entry, in file order, then one bypass policy per table. */
    public List<RowPolicy> rowPolicies() {
        return rowPolicies;
    }

    @Override
    public String toString() {
        return source + " (" + channelPolicies.size() + " channel policies, " + rowPolicies.size() + " row policies)";
    }

    private static final class Parser {
        private final String source;

        Parser(String source) {
            this.source = source;
        }

        PolicyFile root(JsonNode root) {
            if (root == null || !root.isObject()) throw error("(root)", "must be a JSON object");
            keys(root, ROOT_KEYS, "(root)");
            comment(root, "comment");

            List<String> bypass = DEFAULT_BYPASS_ROLES;
            if (root.has("bypass_roles")) bypass = strings(root.get("bypass_roles"), "bypass_roles", true);

            List<ChannelPolicy> channels = new ArrayList<>();
            JsonNode ch = root.get("channels");
            if (ch != null) {
                if (!ch.isArray()) throw error("channels", "must be an array of channel rules");
                for (int i = 0; i < ch.size(); i++) channels.add(channel(ch.get(i), "channels[" + i + "]"));
            }
            if (!bypass.isEmpty()) channels.add(new RoleBypass.Channels(Set.copyOf(bypass)));

            List<RowPolicy> rows = new ArrayList<>();
            Set<List<String>> tables = new LinkedHashSet<>();
            JsonNode rw = root.get("rows");
            if (rw != null) {
                if (!rw.isArray()) throw error("rows", "must be an array of row rules");
                for (int i = 0; i < rw.size(); i++) {
                    ColumnEqualsClaim rule = row(rw.get(i), "rows[" + i + "]");
                    rows.add(rule);
                    tables.add(List.of(rule.schema(), rule.table()));
                }
            }
            if (!bypass.isEmpty()) {
                for (List<String> t : tables) rows.add(new RoleBypass.Rows(t.get(0), t.get(1), Set.copyOf(bypass)));
            }
            return new PolicyFile(source, bypass, channels, rows);
        }

        private ChannelPolicy channel(JsonNode node, String at) {
            if (!node.isObject()) throw error(at, "must be an object with a topic and at least one grant");
            keys(node, CHANNEL_KEYS, at);
            comment(node, at + ".comment");
            JsonNode topicNode = node.get("topic");
            if (topicNode == null) throw error(at + ".topic", "is required");
            if (!topicNode.isTextual() || topicNode.textValue().isEmpty()) throw error(at + ".topic", "must be a non-empty string");
            String topic = topicNode.textValue();
            if (topic.startsWith("realtime:")) {
                throw error(at + ".topic", "'" + topic + "' starts with realtime:; write the channel name as given to supabase.channel(name)");
            }
            TopicPattern pattern;
            try {
                pattern = TopicPattern.compile(topic);
            } catch (IllegalArgumentException e) {
                throw error(at + ".topic", e.getMessage());
            }
            if (node.has("presence") && (node.has("presence_read") || node.has("presence_write"))) {
                throw error(at + ".presence", "give either presence or presence_read/presence_write, not both");
            }
            Map<ChannelAction, List<RuleChannelPolicy.Grant>> grants = new EnumMap<>(ChannelAction.class);
            grant(node, "read", at, pattern, grants, ChannelAction.READ);
            grant(node, "broadcast", at, pattern, grants, ChannelAction.BROADCAST_WRITE);
            grant(node, "presence", at, pattern, grants, ChannelAction.PRESENCE_READ, ChannelAction.PRESENCE_WRITE);
            grant(node, "presence_read", at, pattern, grants, ChannelAction.PRESENCE_READ);
            grant(node, "presence_write", at, pattern, grants, ChannelAction.PRESENCE_WRITE);
            if (grants.isEmpty()) {
                throw error(at, "grants nothing: give at least one of read, broadcast, presence, presence_read, presence_write");
            }
            return new RuleChannelPolicy(at, pattern, grants);
        }

        private void grant(JsonNode node, String key, String at, TopicPattern pattern,
                           Map<ChannelAction, List<RuleChannelPolicy.Grant>> grants, ChannelAction... actions) {
            JsonNode value = node.get(key);
            if (value == null) return;
            String here = at + "." + key;
            List<RuleChannelPolicy.Grant> list = new ArrayList<>();
            if (value.isArray()) {
                if (value.isEmpty()) throw error(here, "must not be an empty array (leave the key out to grant nothing)");
                for (int i = 0; i < value.size(); i++) list.add(grant(value.get(i), here + "[" + i + "]", pattern));
            } else {
                list.add(grant(value, here, pattern));
            }
            for (ChannelAction a : actions) grants.put(a, list);
        }

        private RuleChannelPolicy.Grant grant(JsonNode node, String at, TopicPattern pattern) {
            if (!node.isObject()) throw error(at, "must be an object with roles and/or claims, or an array of them");
            keys(node, GRANT_KEYS, at);
            comment(node, at + ".comment");
            if (!node.has("roles") && !node.has("claims")) throw error(at, "must have roles and/or claims (an empty grant would allow everyone)");
            Set<String> roles = null;
            if (node.has("roles")) roles = new LinkedHashSet<>(strings(node.get("roles"), at + ".roles", false));
            List<RuleChannelPolicy.ClaimCondition> conditions = new ArrayList<>();
            JsonNode claims = node.get("claims");
            if (claims != null) {
                if (!claims.isObject() || claims.isEmpty()) throw error(at + ".claims", "must be a non-empty object of claim path → value");
                for (Map.Entry<String, JsonNode> e : claims.properties()) {
                    conditions.add(condition(e.getKey(), e.getValue(), at + ".claims." + e.getKey(), pattern));
                }
            }
            return new RuleChannelPolicy.Grant(roles, conditions);
        }

        private RuleChannelPolicy.ClaimCondition condition(String path, JsonNode value, String at, TopicPattern pattern) {
            if (!ClaimPaths.isValid(path)) {
                throw error(at, "'" + path + "' is not a claim path (names of letters, digits, _ or -, joined by dots)");
            }
            boolean contains = false;
            if (value.isObject()) {
                keys(value, CONTAINS_KEYS, at);
                if (!value.has("contains")) throw error(at, "an object value must be {\"contains\": value}");
                contains = true;
                value = value.get("contains");
                at = at + ".contains";
            }
            if (value.isTextual()) {
                String s = value.textValue();
                if (s.length() >= 2 && s.startsWith("{") && s.endsWith("}")) {
                    String capture = s.substring(1, s.length() - 1);
                    if (!pattern.captureNames().contains(capture)) {
                        throw error(at, "references capture " + s + " but topic '" + pattern.source() + "' defines "
                                + (pattern.captureNames().isEmpty() ? "no capture" : "only " + braces(pattern.captureNames())));
                    }
                    return new RuleChannelPolicy.ClaimCondition(path, null, capture, contains);
                }
                return new RuleChannelPolicy.ClaimCondition(path, s, null, contains);
            }
            if (value.isNumber()) {
                return new RuleChannelPolicy.ClaimCondition(path, ClaimPaths.text(value.decimalValue()), null, contains);
            }
            if (value.isBoolean()) {
                return new RuleChannelPolicy.ClaimCondition(path, Boolean.toString(value.booleanValue()), null, contains);
            }
            throw error(at, "must be a string, number, boolean, \"{capture}\" or {\"contains\": value}");
        }

        private ColumnEqualsClaim row(JsonNode node, String at) {
            if (!node.isObject()) throw error(at, "must be an object with table, column and claim");
            keys(node, ROW_KEYS, at);
            comment(node, at + ".comment");
            String table = required(node, "table", at);
            String column = required(node, "column", at);
            String claim = required(node, "claim", at);
            String[] parts = table.split("\\.", -1);
            String schema = parts.length == 1 ? "public" : parts[0];
            String name = parts.length == 1 ? parts[0] : parts[1];
            if (parts.length > 2 || schema.isBlank() || name.isBlank() || table.chars().anyMatch(Character::isWhitespace)) {
                throw error(at + ".table", "'" + table + "' is not schema.table (or table, meaning public.table)");
            }
            if (!ClaimPaths.isValid(claim)) {
                throw error(at + ".claim", "'" + claim + "' is not a claim path (names of letters, digits, _ or -, joined by dots)");
            }
            return new ColumnEqualsClaim(schema, name, column, claim);
        }

        private String required(JsonNode node, String key, String at) {
            JsonNode v = node.get(key);
            if (v == null) throw error(at + "." + key, "is required");
            if (!v.isTextual() || v.textValue().isBlank()) throw error(at + "." + key, "must be a non-empty string");
            return v.textValue();
        }

        private List<String> strings(JsonNode node, String at, boolean emptyAllowed) {
            if (!node.isArray()) throw error(at, "must be an array of strings");
            if (node.isEmpty() && !emptyAllowed) throw error(at, "must not be empty");
            List<String> out = new ArrayList<>();
            for (int i = 0; i < node.size(); i++) {
                JsonNode v = node.get(i);
                if (!v.isTextual() || v.textValue().isBlank()) throw error(at + "[" + i + "]", "must be a non-empty string");
                out.add(v.textValue());
            }
            return out;
        }

        private void keys(JsonNode node, Set<String> allowed, String at) {
            for (Map.Entry<String, JsonNode> property : node.properties()) {
                String key = property.getKey();
                if (!allowed.contains(key)) {
                    String where = at.equals("(root)") ? key : at + "." + key;
                    throw error(where, "unknown key (expected one of " + String.join(", ", allowed.stream().sorted().toList()) + ")");
                }
            }
        }

        private void comment(JsonNode node, String at) {
            JsonNode c = node.get("comment");
            if (c != null && !c.isTextual()) throw error(at.endsWith("comment") ? at : at + ".comment", "must be a string");
        }

        private static String braces(List<String> names) {
            List<String> out = new ArrayList<>();
            for (String n : names) out.add("{" + n + "}");
            return String.join(", ", out);
        }

        private PolicyFileException error(String at, String message) {
            return new PolicyFileException(source + ": " + at + ": " + message);
        }
    }
}
