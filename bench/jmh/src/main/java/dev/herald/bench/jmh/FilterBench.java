package dev.herald.bench.jmh;

import dev.herald.runtime.cdc.filter.FilterCompiler;
import dev.herald.runtime.cdc.filter.FilterException;
import dev.herald.runtime.cdc.filter.FilterParser;
import dev.herald.runtime.cdc.filter.RowPredicate;
import java.time.OffsetDateTime;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * One evaluation of a compiled postgres_changes filter against a typed row (the change feed's value model: int
 * columns as {@code Long}, text and uuid as {@code String}, ...). Every predicate matches the row, so each condition is
 * evaluated in full.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(1)
public class FilterBench {
    /** The todos table as the catalog reports it: column → pg_type.typname. */
    static final Map<String, String> COLUMN_TYPES = columnTypes();

    static final String IN_50 = "id=in.(" + IntStream.rangeClosed(1, 50).mapToObj(Integer::toString).collect(Collectors.joining(",")) + ")";

    private Map<String, Object> row;
    private RowPredicate eq;
    private RowPredicate ilike;
    private RowPredicate in50;
    private RowPredicate and3;

    static Map<String, String> columnTypes() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("id", "int8");
        m.put("room", "int4");
        m.put("title", "text");
        m.put("user_id", "uuid");
        m.put("done", "bool");
        m.put("created_at", "timestamptz");
        return m;
    }

    /** A typed row image as the change feed decodes it. */
    static Map<String, Object> row(long id, long room) {
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("id", id);
        r.put("room", room);
        r.put("title", "Weekly FOOD order for the office kitchen");
        r.put("user_id", "8d0f2c9e-4b1a-4c55-9d6e-3f1a2b3c4d5e");
        r.put("done", false);
        r.put("created_at", OffsetDateTime.parse("2026-01-01T12:00:00Z"));
        return r;
    }

    static RowPredicate compile(String filter) {
        try {
            return FilterCompiler.compile(FilterParser.parse(filter), COLUMN_TYPES);
        } catch (FilterException e) {
            throw new IllegalStateException(filter + ": " + e.getMessage(), e);
        }
    }

    @Setup
    public void setup() {
        row = row(42, 5);
        eq = compile("room=eq.5");
        ilike = compile("title=ilike.%foo%");
        in50 = compile(IN_50);
        and3 = compile("room=eq.5,title=ilike.%foo%," + IN_50);
        for (RowPredicate p : new RowPredicate[] {eq, ilike, in50, and3}) {
            if (!p.test(row)) throw new IllegalStateException("every benchmarked predicate must match the row");
        }
    }

    @Benchmark
    public boolean eqInt() {
        return eq.test(row);
    }

    @Benchmark
    public boolean ilikeText() {
        return ilike.test(row);
    }

    @Benchmark
    public boolean in50Values() {
        return in50.test(row);
    }

    @Benchmark
    public boolean and3Conditions() {
        return and3.test(row);
    }
}
