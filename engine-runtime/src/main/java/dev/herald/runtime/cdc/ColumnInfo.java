package dev.herald.runtime.cdc;

/** One column of a captured table: its name, its {@code pg_type.typname} and whether it belongs to the primary key. */
public record ColumnInfo(String name, String type, int position, boolean primaryKey) {
}
