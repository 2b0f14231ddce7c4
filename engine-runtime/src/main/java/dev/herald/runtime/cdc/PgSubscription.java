package dev.herald.runtime.cdc;

import dev.herald.runtime.cdc.filter.RowPredicate;
import dev.herald.api.policy.Principal;
import java.util.List;

/**
 * One validated postgres_changes binding of one subscriber. {@code table} is null for a wildcard over a schema
 * ({@code schema} null too for all schemas); {@code event} is null for {@code *}; {@code select} null means all
 * columns; {@code leave} opts into updates that move a row out of the filter. Immutable.
 */
public record PgSubscription(Subscriber subscriber, int id, String schema, String table, ChangeEvent.Type event,
                             String filter, RowPredicate predicate, List<String> select, boolean leave, String role,
                             Principal principal, Object rowProjection) {
}
