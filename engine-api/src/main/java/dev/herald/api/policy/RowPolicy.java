package dev.herald.api.policy;

import java.util.Map;
import java.util.Set;

/**
 * Decides which changes of one table ({@link #schema()}.{@link #table()}) a postgres_changes subscriber may see.
 *
 * <h2>Inputs</h2>
 * A row policy sees only a <em>projection</em> of the subscriber's claims: the values of {@link #claimKeys()}, each a
 * claim path ({@code sub}, {@code role}, or a dot-separated path into nested claims such as
 * {@code app_metadata.team}). The projection map passed to {@link #allows} holds exactly those keys; a claim the token
 * lacks appears with a {@code null} value. The engine groups subscribers by their projection and evaluates the policy
 * once per distinct projection per change, so the result must depend on nothing but (projection, row).
 *
 * <p>The row map holds the columns of the row image (the new row for INSERT and UPDATE, the old row for DELETE) in
 * Herald's typed model: {@code Long} (int2/4/8), {@code Double} (float4/8), {@code BigDecimal} (numeric),
 * {@code Boolean}, {@code String} (text, varchar, uuid, enums and every other type), Jackson {@code JsonNode}
 * (json/jsonb), {@code java.time} types (date, time, timetz, timestamp, timestamptz), {@code byte[]} (bytea) and
 * {@code List} (arrays). A value without an exact form there (a date or timestamp {@code infinity}, the time
 * {@code 24:00:00}, numeric {@code NaN}, a JSON document that cannot be parsed) is PostgreSQL's text of it, a
 * {@code String}. A {@code null} value is SQL NULL. A <em>missing</em> key means the value is unknown (an
 * unchanged TOASTed value, or a DELETE whose old row holds only the replica identity): the policy must deny. The engine
 * enforces this too: if any column of {@link #columns()} is missing from the row, it denies without calling the policy.
 *
 * <h2>Combination</h2>
 * Tables without a row policy are authorised by PostgreSQL itself. When several row policies cover one table, a change
 * is delivered when ANY of them allows it (like permissive PostgreSQL policies).
 *
 * <h2>Contract</h2>
 * Pure (no I/O, no blocking, no mutable state), thread-safe (called concurrently from the change-capture fan-out),
 * fast (it runs on the change path for every change of the table). {@link #schema()}, {@link #table()},
 * {@link #claimKeys()} and {@link #columns()} are constant. A thrown exception means deny.
 */
public interface RowPolicy {
    /** The table's schema, e.g. {@code public}. */
    String schema();

    /** The table's name, e.g. {@code todos}. */
    String table();

    /** The claim paths whose values are this policy's only claim input (e.g. {@code sub}, {@code app_metadata.team}). */
    Set<String> claimKeys();

    /** The columns {@link #allows} reads; a row lacking any of them is denied without asking. */
    Set<String> columns();

    /**
     * Whether a subscriber whose claims project to {@code claimProjection} may see {@code row}.
     *
     * @param claimProjection claim path → value for exactly {@link #claimKeys()} (values may be null); unmodifiable
     * @param row column → typed value; unmodifiable; a missing column means unknown (deny)
     * @return true to deliver the change to that subscriber
     */
    boolean allows(Map<String, Object> claimProjection, Map<String, Object> row);
}
