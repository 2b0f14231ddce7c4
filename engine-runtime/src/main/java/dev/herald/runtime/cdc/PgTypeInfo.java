package dev.herald.runtime.cdc;

import java.util.List;

/**
 * What the change feed needs to know about a column's type to turn PostgreSQL's text output into exact values: the
 * kind it behaves as (domains resolved to their base type, as {@code to_jsonb} does), the element type and delimiter
 * of arrays, the subtype of ranges and multiranges, and the fields of composites. Read from the catalog by
 * {@link TableCatalog}; {@link #builtin} covers the built-in names without a catalog. Immutable.
 */
public final class PgTypeInfo {

    /** How values of a type are decoded and encoded. */
    public enum Kind {
        /** int2, int4, int8: JSON numbers, typed {@code Long}. */
        INT,
        /** oid: typed {@code Long}, a JSON string (to_jsonb does not treat oid as a number). */
        OID,
        /** float4, float8. */
        FLOAT,
        NUMERIC,
        BOOL,
        JSON,
        JSONB,
        DATE,
        TIME,
        TIMETZ,
        TIMESTAMP,
        TIMESTAMPTZ,
        BYTEA,
        ARRAY,
        COMPOSITE,
        RANGE,
        MULTIRANGE,
        /** Everything else: the text output is the value (text, uuid, enums, inet, interval, money, geometric, ...). */
        TEXT
    }

    /** A field of a composite type. */
    public record Field(String name, PgTypeInfo type) {
    }

    private final String name;
    private final Kind kind;
    private final PgTypeInfo element;
    private final char delimiter;
    private final List<Field> fields;
    private final boolean zoneDependent;

    private PgTypeInfo(String name, Kind kind, PgTypeInfo element, char delimiter, List<Field> fields) {
        this.name = name;
        this.kind = kind;
        this.element = element;
        this.delimiter = delimiter;
        this.fields = fields == null ? List.of() : List.copyOf(fields);
        boolean zone = kind == Kind.TIMESTAMPTZ || (element != null && element.zoneDependent);
        for (Field f : this.fields) zone |= f.type().zoneDependent;
        this.zoneDependent = zone;
    }

    /** A scalar (non-container) type. */
    public static PgTypeInfo scalar(String name, Kind kind) {
        return new PgTypeInfo(name, kind, null, ',', null);
    }

    /** An array of {@code element}, whose text output separates elements by {@code delimiter}. */
    public static PgTypeInfo array(String name, PgTypeInfo element, char delimiter) {
        return new PgTypeInfo(name, Kind.ARRAY, element, delimiter, null);
    }

    /** A range ({@code multirange=false}) or multirange of {@code subtype}. */
    public static PgTypeInfo range(String name, PgTypeInfo subtype, boolean multirange) {
        return new PgTypeInfo(name, multirange ? Kind.MULTIRANGE : Kind.RANGE, subtype, ',', null);
    }

    public static PgTypeInfo composite(String name, List<Field> fields) {
        return new PgTypeInfo(name, Kind.COMPOSITE, null, ',', fields);
    }

    /** {@code base} under another name (a domain). */
    public static PgTypeInfo renamed(String name, PgTypeInfo base) {
        return new PgTypeInfo(name, base.kind, base.element, base.delimiter, base.fields);
    }

    /**
     * The type of a built-in {@code typname} ({@code _name} for its array), without asking the catalog. Unknown names
     * (enums, domains, composites) are text.
     */
    public static PgTypeInfo builtin(String typname) {
        if (typname == null) return TEXT_TYPE;
        if (typname.length() > 1 && typname.charAt(0) == '_') {
            String element = typname.substring(1);
            return array(typname, builtin(element), element.equals("box") ? ';' : ',');
        }
        return switch (typname) {
            case "int2", "int4", "int8" -> scalar(typname, Kind.INT);
            case "oid" -> scalar(typname, Kind.OID);
            case "float4", "float8" -> scalar(typname, Kind.FLOAT);
            case "numeric" -> scalar(typname, Kind.NUMERIC);
            case "bool" -> scalar(typname, Kind.BOOL);
            case "json" -> scalar(typname, Kind.JSON);
            case "jsonb" -> scalar(typname, Kind.JSONB);
            case "date" -> scalar(typname, Kind.DATE);
            case "time" -> scalar(typname, Kind.TIME);
            case "timetz" -> scalar(typname, Kind.TIMETZ);
            case "timestamp" -> scalar(typname, Kind.TIMESTAMP);
            case "timestamptz" -> scalar(typname, Kind.TIMESTAMPTZ);
            case "bytea" -> scalar(typname, Kind.BYTEA);
            case "tstzrange" -> range(typname, scalar("timestamptz", Kind.TIMESTAMPTZ), false);
            case "tstzmultirange" -> range(typname, scalar("timestamptz", Kind.TIMESTAMPTZ), true);
            case "int4range", "int8range", "numrange", "daterange", "tsrange" -> range(typname, TEXT_TYPE, false);
            case "int4multirange", "int8multirange", "nummultirange", "datemultirange", "tsmultirange" -> range(typname, TEXT_TYPE, true);
            default -> scalar(typname, Kind.TEXT);
        };
    }

    private static final PgTypeInfo TEXT_TYPE = scalar("text", Kind.TEXT);

    /** The {@code pg_type.typname} of the type (the domain's own name for a domain). */
    public String name() {
        return name;
    }

    public Kind kind() {
        return kind;
    }

    /** The element type of an array, the subtype of a range or multirange, else null. */
    public PgTypeInfo element() {
        return element;
    }

    /** The element delimiter of an array's text form ({@code ;} for box, {@code ,} otherwise). */
    public char delimiter() {
        return delimiter;
    }

    /** The fields of a composite, in attribute order (dropped attributes left out). */
    public List<Field> fields() {
        return fields;
    }

    /** Whether the text output depends on the session's TimeZone (a timestamptz somewhere inside). */
    public boolean zoneDependent() {
        return zoneDependent;
    }

    @Override
    public String toString() {
        return name + "(" + kind + ")";
    }
}
