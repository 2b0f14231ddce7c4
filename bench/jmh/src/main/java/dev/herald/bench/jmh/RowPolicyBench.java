package dev.herald.bench.jmh;

import dev.herald.api.policy.ColumnEqualsClaim;
import dev.herald.api.policy.Principal;
import dev.herald.runtime.policy.RowAuthorizer;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Row-policy authorisation of one change (one op) for 3,000 subscribers of {@code public.todos} under the policy
 * {@code ColumnEqualsClaim(user_id = sub)}, the subscribers spread evenly over {@code distinctUsers} users (each with
 * its own Principal, as each channel has its own token).
 *
 * <ul>
 *   <li>{@code grouped}: the projection recomputed per subscriber on every change, then a per-change {@code HashMap}
 *       memo keyed by it, so the policy runs once per distinct projection (the engine's first version).</li>
 *   <li>{@code groupedPrecomputed}: what the engine's change path does now (cdc.ChangeAuthorization): the same memo with
 *       each subscriber's projection computed once at subscribe time
 *       (the use {@link RowAuthorizer}'s documentation describes): per change only a hash lookup per subscriber plus
 *       one policy evaluation per distinct user.</li>
 *   <li>{@code naive}: projection and policy evaluation for every subscriber.</li>
 * </ul>
 * The returned value is the number of subscribers allowed (3,000 / distinctUsers: the row belongs to one user).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(1)
public class RowPolicyBench {
    static final int SUBSCRIBERS = 3_000;
    static final String SCHEMA = "public";
    static final String TABLE = "todos";

    @Param({"10", "300", "3000"})
    public int distinctUsers;

    private RowAuthorizer authorizer;
    private Principal[] subscribers;
    private Object[] projections;
    private Map<String, Object> row;

    @Setup
    public void setup() {
        authorizer = RowAuthorizer.of(new ColumnEqualsClaim(SCHEMA, TABLE, "user_id", "sub"));
        subscribers = new Principal[SUBSCRIBERS];
        projections = new Object[SUBSCRIBERS];
        long exp = System.currentTimeMillis() / 1000 + 86_400;
        for (int i = 0; i < SUBSCRIBERS; i++) {
            String sub = user(i % distinctUsers);
            Map<String, Object> claims = new LinkedHashMap<>();
            claims.put("aud", "authenticated");
            claims.put("exp", exp);
            claims.put("sub", sub);
            claims.put("email", "user" + (i % distinctUsers) + "@example.com");
            claims.put("role", "authenticated");
            claims.put("session_id", UUID.randomUUID().toString());
            subscribers[i] = new Principal("authenticated", sub, claims);
            projections[i] = authorizer.projection(SCHEMA, TABLE, subscribers[i]);
        }
        row = new LinkedHashMap<>(FilterBench.row(42, 5));
        row.put("user_id", user(7 % distinctUsers));

        // The premise: projections group by user, and every variant admits the same subscribers.
        Set<Object> distinct = new HashSet<>(List.of(projections));
        if (distinct.size() != distinctUsers) throw new IllegalStateException(distinct.size() + " projections for " + distinctUsers + " users");
        int expected = SUBSCRIBERS / distinctUsers;
        if (grouped() != expected || groupedPrecomputed() != expected || naive() != expected) {
            throw new IllegalStateException("variants disagree on the allowed subscribers");
        }
    }

    static String user(int n) {
        return new UUID(0x8d0f2c9e4b1a4c55L, 0x9d6e000000000000L + n).toString();
    }

    @Benchmark
    public int grouped() {
        Map<Object, Boolean> memo = new HashMap<>();
        int allowed = 0;
        for (Principal p : subscribers) {
            Object projection = authorizer.projection(SCHEMA, TABLE, p);
            if (memo.computeIfAbsent(projection, k -> authorizer.allows(SCHEMA, TABLE, k, row))) allowed++;
        }
        return allowed;
    }

    @Benchmark
    public int groupedPrecomputed() {
        Map<Object, Boolean> memo = new HashMap<>();
        int allowed = 0;
        for (Object projection : projections) {
            if (memo.computeIfAbsent(projection, k -> authorizer.allows(SCHEMA, TABLE, k, row))) allowed++;
        }
        return allowed;
    }

    @Benchmark
    public int naive() {
        int allowed = 0;
        for (Principal p : subscribers) {
            if (authorizer.allows(SCHEMA, TABLE, authorizer.projection(SCHEMA, TABLE, p), row)) allowed++;
        }
        return allowed;
    }
}
