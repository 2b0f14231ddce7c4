package dev.herald.runtime.cdc;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What the change feed needs to know about a table, read from the catalog: columns in attribute order, row-level
 * security, and the replica identity ({@code d} default, {@code f} full, {@code i} index, {@code n} nothing).
 * Immutable.
 */
public record TableInfo(String schema, String name, List<ColumnInfo> columns, boolean rowSecurity, char replicaIdentity) {
    public TableInfo {
        columns = List.copyOf(columns);
    }

    public String qualifiedName() {
        return schema + "." + name;
    }

    public boolean hasPrimaryKey() {
        return columns.stream().anyMatch(ColumnInfo::primaryKey);
    }

    public boolean fullReplicaIdentity() {
        return replicaIdentity == 'f';
    }

    /** Column name → typname, in attribute order. */
    public Map<String, String> columnTypes() {
        Map<String, String> m = new LinkedHashMap<>();
        columns.forEach(c -> m.put(c.name(), c.type()));
        return m;
    }

    public ColumnInfo column(String name) {
        for (ColumnInfo c : columns) if (c.name().equals(name)) return c;
        return null;
    }
}
