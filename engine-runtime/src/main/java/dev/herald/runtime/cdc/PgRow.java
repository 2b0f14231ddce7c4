package dev.herald.runtime.cdc;

import java.util.AbstractMap;
import java.util.AbstractSet;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * A row image of a change, column → value. Read as a {@link Map} it shows Herald's typed model (what filters, row
 * policies and plugin hooks see), converting each {@link PgValue} on first access; {@link #raw} gives the value as
 * received, which the payload encodes exactly. A missing key is an unknown value, a present {@code null} SQL NULL.
 * Unmodifiable through the Map interface; built by the change feed only.
 */
public final class PgRow extends AbstractMap<String, Object> {
    private final LinkedHashMap<String, Object> values;

    public PgRow() {
        this.values = new LinkedHashMap<>();
    }

    private PgRow(LinkedHashMap<String, Object> values) {
        this.values = values;
    }

    /** {@code base} with the raw values of {@code over} laid on top (unchanged TOAST columns filled from the old row). */
    static PgRow merged(Map<String, Object> base, Map<String, Object> over) {
        LinkedHashMap<String, Object> m = new LinkedHashMap<>();
        base.keySet().forEach(k -> m.put(k, raw(base, k)));
        over.keySet().forEach(k -> m.put(k, raw(over, k)));
        return new PgRow(m);
    }

    void putRaw(String column, Object value) {
        values.put(column, value);
    }

    /** The value of {@code column} as received: a {@link PgValue}, {@code null} (SQL NULL) or an already typed value. */
    public Object raw(String column) {
        return values.get(column);
    }

    /** {@link #raw} of any row map: rows built elsewhere (tests, benchmarks) hold typed values directly. */
    public static Object raw(Map<String, Object> row, String column) {
        return row instanceof PgRow r ? r.values.get(column) : row.get(column);
    }

    static Object typed(Object v) {
        return v instanceof PgValue p ? p.typed() : v;
    }

    @Override
    public Object get(Object key) {
        return typed(values.get(key));
    }

    @Override
    public boolean containsKey(Object key) {
        return values.containsKey(key);
    }

    @Override
    public int size() {
        return values.size();
    }

    @Override
    public Set<Entry<String, Object>> entrySet() {
        return new AbstractSet<>() {
            @Override
            public Iterator<Entry<String, Object>> iterator() {
                Iterator<Entry<String, Object>> it = values.entrySet().iterator();
                return new Iterator<>() {
                    @Override
                    public boolean hasNext() {
                        return it.hasNext();
                    }

                    @Override
                    public Entry<String, Object> next() {
                        Entry<String, Object> e = it.next();
                        return new SimpleImmutableEntry<>(e.getKey(), typed(e.getValue()));
                    }
                };
            }

            @Override
            public int size() {
                return values.size();
            }
        };
    }

    @Override
    public Set<String> keySet() {
        return Collections.unmodifiableSet(values.keySet());
    }
}
