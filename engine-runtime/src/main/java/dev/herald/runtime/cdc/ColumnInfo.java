package dev.herald.runtime.cdc;

/**
 * One column of a captured table: its name, its {@code pg_type.typname}, its position, whether it belongs to the
 * primary key, and what the change feed needs to decode its values ({@link PgTypeInfo}).
 */
public record ColumnInfo(String name, String type, int position, boolean primaryKey, PgTypeInfo pgType) {
    public ColumnInfo {
        if (pgType == null) pgType = PgTypeInfo.builtin(type);
    }

    /** A column of a built-in type (or one decoded as text), without catalog type details. */
    public ColumnInfo(String name, String type, int position, boolean primaryKey) {
        this(name, type, position, primaryKey, null);
    }
}
