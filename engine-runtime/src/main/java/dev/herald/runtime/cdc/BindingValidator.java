package dev.herald.runtime.cdc;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import dev.herald.api.policy.Principal;
import dev.herald.runtime.auth.Claims;
import dev.herald.runtime.cdc.filter.Condition;
import dev.herald.runtime.cdc.filter.FilterCompiler;
import dev.herald.runtime.cdc.filter.FilterException;
import dev.herald.runtime.cdc.filter.FilterParser;
import dev.herald.runtime.cdc.filter.RowPredicate;
import dev.herald.runtime.policy.Principals;
import dev.herald.runtime.policy.RowAuthorizer;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns the postgres_changes entries of a join into bindings: the table is published, the token's role exists and
 * may select it, selected and filtered columns exist and are readable, the filter parses and compiles for the
 * columns' types. Each refusal carries the error text the client gets in its {@code system} message.
 *
 * <p>Called on the subscription executor, never on a socket or the change-feed thread: it queries the catalog.
 * Thread-safe (the catalog and publication state are).
 */
final class BindingValidator {
    /** The log category operators know these lines by, from before this class was split out. */
    private static final Logger LOG = LoggerFactory.getLogger(CdcService.class);

    private final PublicationManager publications;
    private final TableCatalog catalog;
    private final RowAuthorizer rowAuthorizer;

    BindingValidator(PublicationManager publications, TableCatalog catalog, RowAuthorizer rowAuthorizer) {
        this.publications = publications;
        this.catalog = catalog;
        this.rowAuthorizer = rowAuthorizer;
    }

    /**
     * The bindings of {@code entries} (with their ids) for {@code subscriber}, all or none: the first invalid entry
     * refuses them all.
     *
     * @throws InvalidBinding an entry cannot be subscribed; its message is the client's error text
     * @throws SQLException   the publication could not be read
     */
    List<PgSubscription> validate(Subscriber subscriber, Claims claims, ArrayNode entries) throws SQLException, InvalidBinding {
        publications.reconcile();
        Set<String> published = publications.publishedTables();
        List<PgSubscription> out = new ArrayList<>();
        for (JsonNode entry : entries) out.add(validateEntry(subscriber, claims, entry, published));
        return out;
    }

    private PgSubscription validateEntry(Subscriber subscriber, Claims claims, JsonNode entry, Set<String> published) throws InvalidBinding {
        String eventText = entry.path("event").isTextual() ? entry.get("event").asText().toUpperCase(Locale.ROOT) : "*";
        ChangeEvent.Type event = switch (eventText) {
            case "INSERT" -> ChangeEvent.Type.INSERT;
            case "UPDATE" -> ChangeEvent.Type.UPDATE;
            case "DELETE" -> ChangeEvent.Type.DELETE;
            default -> null;
        };
        JsonNode schemaNode = entry.get("schema");
        JsonNode tableNode = entry.get("table");
        JsonNode filterNode = entry.get("filter");
        for (JsonNode n : new JsonNode[] {schemaNode, tableNode, filterNode}) {
            if (n != null && !n.isNull() && !n.isTextual()) throw new InvalidBinding("Unable to subscribe to changes with given parameters. "
                    + "schema, table and filter must be strings: " + entry);
        }
        String schema = schemaNode == null || schemaNode.isNull() ? "public" : schemaNode.asText();
        String table = tableNode == null || tableNode.isNull() || tableNode.asText().equals("*") ? null : tableNode.asText();
        if (schema.equals("*")) schema = null;
        String filter = filterNode == null || filterNode.isNull() || filterNode.asText().isBlank() ? null : filterNode.asText();
        String params = "[event: " + eventText + ", schema: " + (schema == null ? "*" : schema) + ", table: " + (table == null ? "*" : table)
                + ", filters: " + (filter == null ? "[]" : "[" + filter + "]") + ", select: " + (entry.has("select") ? entry.get("select") : "nil") + "]";
        List<String> select = null;
        JsonNode sel = entry.get("select");
        if (sel != null && !sel.isNull()) {
            if (!sel.isArray()) throw new InvalidBinding(
                    "Error parsing `select` params: expected a list of column name strings, e.g. select: [\"col1\", \"col2\"]");
            if (table == null || schema == null) throw new InvalidBinding(
                    "Column selection is not supported for wildcard subscriptions. Provide an explicit schema and table name.");
            select = new ArrayList<>();
            for (JsonNode c : sel) {
                if (!c.isTextual()) throw new InvalidBinding(
                        "Error parsing `select` params: expected a list of column name strings, e.g. select: [\"col1\", \"col2\"]");
                select.add(c.asText());
            }
            select = List.copyOf(select);
        }
        boolean leave = entry.path("leave").asBoolean(false);
        String role = claims.role();

        List<Condition> conditions;
        try {
            conditions = FilterParser.parse(filter);
        } catch (FilterException e) {
            throw new InvalidBinding(e.getMessage());
        }
        if (table == null || schema == null) {
            if (!conditions.isEmpty()) throw new InvalidBinding("Unable to subscribe to changes with given parameters. "
                    + "A filter needs an explicit schema and table: " + params);
            final String s = schema;
            boolean any = published.stream().anyMatch(t -> s == null || t.startsWith(s + "."));
            if (!any) throw notEnabled(params);
            if (!catalog.roleExists(role)) throw exception(params, "role \"" + role + "\" of the token does not exist in the database");
            return new PgSubscription(subscriber, entry.get("id").asInt(), schema, null, event, null, null, null, leave, role, Principals.of(claims), null);
        }
        if (!published.contains(schema + "." + table)) throw notEnabled(params);
        catalog.invalidate(schema, table);
        TableInfo info = catalog.table(schema, table).orElseThrow(() -> notEnabled(params));
        if (!catalog.roleExists(role)) throw exception(params, "role \"" + role + "\" of the token does not exist in the database");
        if (!catalog.canSelect(role, schema, table)) throw exception(params, "permission denied for table " + table + " (role " + role + ")");
        if (select != null) {
            for (String c : select) if (info.column(c) == null) throw exception(params, "invalid column for select " + c);
        }
        RowPredicate predicate = null;
        if (!conditions.isEmpty()) {
            try {
                predicate = FilterCompiler.compile(conditions, info.columnTypes());
            } catch (FilterException e) {
                throw exception(params, e.getMessage());
            }
            boolean mayDelete = event == null || event == ChangeEvent.Type.DELETE;
            if (mayDelete && !info.fullReplicaIdentity()
                    && predicate.columns().stream().anyMatch(c -> info.column(c) != null && !info.column(c).primaryKey())) {
                // DELETE filters see only the replica identity: without FULL, non-key conditions never match.
                LOG.info("{}: filter '{}' on {} reads non-key columns; DELETEs cannot match without REPLICA IDENTITY FULL",
                        subscriber.topic(), filter, info.qualifiedName());
            }
        }
        if (leave && !info.fullReplicaIdentity()) throw exception(params, "\"leave\": true needs REPLICA IDENTITY FULL on " + info.qualifiedName());
        List<String> visible = catalog.selectableColumns(role, info);
        if (visible.size() < info.columns().size()) {
            // Column privileges: only columns the role may read appear in columns/record/old_record.
            for (ColumnInfo c : info.columns()) {
                if (c.primaryKey() && !visible.contains(c.name())) throw exception(params, "permission denied for column " + c.name()
                        + " of the primary key (role " + role + ")");
            }
            List<String> restricted = new ArrayList<>();
            for (String c : select == null ? visible : select) if (visible.contains(c)) restricted.add(c);
            select = List.copyOf(restricted);
            if (predicate != null) {
                for (String c : predicate.columns()) if (!visible.contains(c)) throw exception(params, "invalid column for filter " + c);
            }
        }
        Principal principal = Principals.of(claims);
        Object projection = rowAuthorizer.hasPolicy(schema, table) ? rowAuthorizer.projection(schema, table, principal) : null;
        return new PgSubscription(subscriber, entry.get("id").asInt(), schema, table, event, filter, predicate, select, leave, role, principal, projection);
    }

    private static InvalidBinding notEnabled(String params) {
        return new InvalidBinding("Unable to subscribe to changes with given parameters. Please check Realtime is enabled for the given connect parameters: " + params);
    }

    private static InvalidBinding exception(String params, String detail) {
        return new InvalidBinding("Unable to subscribe to changes with given parameters. An exception happened so please check your connect parameters: "
                + params + ". Exception: " + detail);
    }

    /** A binding that cannot be registered; the message is the {@code system} error text. */
    static final class InvalidBinding extends Exception {
        InvalidBinding(String message) {
            super(message, null, false, false);
        }
    }
}
