package dev.herald.runtime.cdc.filter;

import com.fasterxml.jackson.databind.JsonNode;
import java.math.BigDecimal;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.OffsetDateTime;
import java.time.OffsetTime;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A compiled {@code postgres_changes} filter, evaluated against one row image.
 *
 * <p>Row value model (what the change feed produces), keyed by column name: int2/int4/int8 → {@link Long};
 * float4/float8 → {@link Double}; numeric → {@link BigDecimal} (the text {@code NaN}/{@code Infinity} for
 * special values); bool → {@link Boolean}; text-like, uuid, enums and other types → {@link String}; json/jsonb →
 * {@link JsonNode}; date → {@link LocalDate}; time → {@link LocalTime}; timetz → {@link OffsetTime}; timestamp →
 * {@link LocalDateTime}; timestamptz → {@link OffsetDateTime}; bytea → {@code byte[]}; arrays → {@link List} of
 * element values; a value without an exact form there (infinity, {@code 24:00:00}, numeric NaN) is PostgreSQL's text of it. The change feed's
 * rows ({@code PgRow}) convert each value on first access, so an unfiltered column is never parsed. SQL NULL
 * is a present key with a {@code null} value. A filtered column whose key is absent (not in the replica identity of a
 * DELETE, an unchanged TOAST value) makes the whole predicate false: a filter that cannot be evaluated does not deliver.
 * A value of an unexpected Java type is converted when possible (strings are parsed like filter literals), otherwise
 * its condition is not satisfied.
 *
 * <p>Implementations returned by {@link FilterCompiler} are immutable and thread-safe; {@link #test} does not modify the
 * row.
 */
public interface RowPredicate {

    /** Whether every condition holds for {@code row} (SQL three-valued logic: only TRUE delivers). */
    boolean test(Map<String, Object> row);

    /** The columns the predicate reads; empty when it has no conditions (then it accepts every row). */
    Set<String> columns();
}
