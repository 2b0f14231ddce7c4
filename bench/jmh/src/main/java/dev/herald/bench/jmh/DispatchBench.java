package dev.herald.bench.jmh;

import com.fasterxml.jackson.databind.JsonNode;
import dev.herald.runtime.cdc.ChangeEvent;
import dev.herald.runtime.cdc.ColumnInfo;
import dev.herald.runtime.cdc.PgSubscription;
import dev.herald.runtime.cdc.SubscriptionIndex;
import dev.herald.runtime.cdc.TableInfo;
import dev.herald.runtime.cdc.filter.RowPredicate;
import dev.herald.runtime.core.Channel;
import dev.herald.runtime.core.RealtimeSession;
import dev.herald.runtime.policy.Principals;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * {@link SubscriptionIndex#dispatch} of one INSERT (one op = one change) to 1,000 channels, each a separate vsn-2
 * session joined to {@code realtime:todos} with one postgres_changes binding. The channels share
 * {@code distinctFilters} different filters ({@code room=in.(5,<1000+k>)}, k = channel % distinctFilters), so the index
 * holds that many binding groups and evaluates that many predicates per change.
 *
 * <ul>
 *   <li>{@code matching=all}: the change (room 5) matches every filter; all 1,000 channels receive it. Each distinct
 *       filter has its own binding id, so the message is built and encoded once per distinct filter and then shared
 *       by the channels of that filter.</li>
 *   <li>{@code matching=none}: the change (room 6) matches no filter: the cost of evaluating the groups alone.</li>
 * </ul>
 * Delivery is the engine's: Channel → session → outbound queue → a connection whose writes complete at once.
 *
 * <p>Four warmup iterations instead of two: the delivery path is still being compiled during the second second
 * (measured 1.3k → 2.6k → 4.6k ops/s over warmup iterations 1–3 with 10 filters, flat afterwards).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 4, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(1)
public class DispatchBench {
    static final int CHANNELS = 1_000;
    private static final Predicate<PgSubscription> ALLOW_ALL = s -> true;

    @Param({"10", "1000"})
    public int distinctFilters;

    @Param({"all", "none"})
    public String matching;

    private EngineFixture fixture;
    private SubscriptionIndex index;
    private TableInfo table;
    private ChangeEvent change;

    @Setup(Level.Trial)
    public void setup() {
        fixture = new EngineFixture();
        table = new TableInfo("public", "todos", List.of(
                new ColumnInfo("id", "int8", 1, true),
                new ColumnInfo("room", "int4", 2, false),
                new ColumnInfo("title", "text", 3, false),
                new ColumnInfo("user_id", "uuid", 4, false),
                new ColumnInfo("done", "bool", 5, false),
                new ColumnInfo("created_at", "timestamptz", 6, false)), false, 'd');
        index = new SubscriptionIndex((s, e) -> {
            throw new IllegalStateException("binding " + s.id() + " failed", e);
        });
        String token = EngineFixture.token("8d0f2c9e-4b1a-4c55-9d6e-3f1a2b3c4d5e");
        for (int i = 0; i < CHANNELS; i++) {
            String filter = "room=in.(5," + (1000 + i % distinctFilters) + ")";
            RealtimeSession session = fixture.open(token);
            Channel ch = EngineFixture.join(session, "todos", "{\"postgres_changes\":[{\"event\":\"INSERT\",\"schema\":\"public\","
                    + "\"table\":\"todos\",\"filter\":\"" + filter + "\"}]}");
            // The binding as BindingValidator.validate registers it: id from the join reply, filter compiled for the table.
            JsonNode entry = ch.postgresChanges().get(0);
            RowPredicate predicate = FilterBench.compile(filter);
            index.register(ch, List.of(new PgSubscription(ch, entry.get("id").asInt(), "public", "todos",
                    ChangeEvent.Type.INSERT, filter, predicate, null, false, ch.claims().role(), Principals.of(ch.claims()), null)));
        }
        long room = matching.equals("all") ? 5 : 6;
        Map<String, Object> row = FilterBench.row(42, room);
        change = new ChangeEvent("public", "todos", ChangeEvent.Type.INSERT, Instant.parse("2026-01-01T12:00:00Z"),
                new ChangeEvent.StreamPosition(1, 2), row, Map.of(), 256);

        int expected = matching.equals("all") ? CHANNELS : 0;
        long before = fixture.framesSent();
        int delivered = index.dispatch(table, change, ALLOW_ALL);
        long written = fixture.framesSent() - before;
        if (delivered != expected || written != expected) {
            throw new IllegalStateException("dispatch reached " + delivered + " channels and wrote " + written
                    + " frames, expected " + expected);
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        long closed = fixture.closedConnections();
        fixture.close();
        if (closed > 0) throw new IllegalStateException(closed + " connections were closed by the engine during the run");
    }

    @Benchmark
    public int dispatch() {
        return index.dispatch(table, change, ALLOW_ALL);
    }
}
