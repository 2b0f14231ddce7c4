package dev.herald.runtime.boot;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.herald.runtime.admin.AdminSetup;
import dev.herald.runtime.cdc.CdcService;
import dev.herald.runtime.cdc.DebeziumCdcSource;
import dev.herald.runtime.db.Database;
import dev.herald.runtime.policy.RowAuthorizer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * docs/metrics.md is generated from the meters an engine registers (with change capture on), read back from the
 * Prometheus exposition itself; this test fails when they drift. Regenerate with
 * {@code mvn -pl engine-runtime test -Dtest=MetricsDocsTest -Dherald.docs.update=true}.
 */
class MetricsDocsTest {

    private record Family(String type, String help, TreeSet<String> labels) {
    }

    static String render() throws Exception {
        Engine engine = RealtimeSessionTest.engine(Map.of());
        // Change-capture meters are registered by the CDC service; the database is only contacted once it starts.
        Database nowhere = new Database("jdbc:postgresql://127.0.0.1:1/none", "none", "none");
        CdcService cdc = new CdcService(nowhere, new DebeziumCdcSource.Settings(nowhere.jdbcUrl(), "none", "none", "herald", "herald", 10, 1000),
                List.of(), engine.metrics(), new RowAuthorizer(List.of()), 0, 0, 0, DebeziumCdcSource::new);
        String scrape;
        try {
            AdminSetup.gauges(engine.metrics(), engine.limits(), engine.sessions(), engine.activity());
            scrape = engine.metrics().scrape();
        } finally {
            cdc.close();
            nowhere.close();
            engine.close();
        }
        Map<String, Family> families = new TreeMap<>();
        String current = null;
        for (String line : scrape.split("\n")) {
            if (line.startsWith("# HELP ")) {
                String[] p = line.substring(7).split(" ", 2);
                current = p[0];
                families.computeIfAbsent(current, k -> new Family(null, p.length > 1 ? p[1] : "", new TreeSet<>()));
            } else if (line.startsWith("# TYPE ")) {
                String[] p = line.substring(7).split(" ", 2);
                Family f = families.get(p[0]);
                families.put(p[0], new Family(p[1], f == null ? "" : f.help(), f == null ? new TreeSet<>() : f.labels()));
            } else if (!line.isBlank() && !line.startsWith("#") && current != null && line.contains("{")) {
                String labels = line.substring(line.indexOf('{') + 1, line.lastIndexOf('}'));
                for (String part : labels.split(",(?=[a-zA-Z_]+=\")")) {
                    String key = part.substring(0, part.indexOf('='));
                    if (!key.equals("le")) families.get(current).labels().add(key);
                }
            }
        }
        StringBuilder sb = new StringBuilder()
                .append("# Metrics\n\n")
                .append("Generated from the meters Herald registers (read back from its Prometheus exposition) by `MetricsDocsTest`;\n")
                .append("do not edit by hand. Scrape them at `GET /metrics` (Prometheus text format).\n\n")
                .append("The catalogue is global and low-cardinality on purpose: no label carries a topic, user or connection.\n")
                .append("Per-channel detail (rates, latency, drops, health) is in the admin API (`/admin/api/channels`, see\n")
                .append("[admin-console.md](admin-console.md)). The `reason` label of `herald_drops` is the metric tag of an\n")
                .append("[error code](error-codes.md); every reason is present from the start, at 0. Counters are exposed with the\n")
                .append("`_total` suffix, timers as `_seconds` histograms (`_bucket`, `_count`, `_sum`) plus `_seconds_max`.\n")
                .append("The `herald_cdc_*` meters exist only while change capture is enabled.\n\n")
                .append("| Metric | Type | Labels | Meaning |\n|---|---|---|---|\n");
        families.forEach((name, f) -> sb.append("| `").append(name).append("` | ").append(f.type()).append(" | ")
                .append(f.labels().isEmpty() ? "—" : String.join(", ", f.labels())).append(" | ")
                .append(f.help().replace("|", "\\|")).append(" |\n"));
        return sb.toString();
    }

    @Test
    void docsTableMatchesTheRegistry() throws Exception {
        Path doc = Path.of("..", "docs", "metrics.md");
        String expected = render();
        if (Boolean.getBoolean("herald.docs.update")) Files.writeString(doc, expected, StandardCharsets.UTF_8);
        assertEquals(expected, Files.exists(doc) ? Files.readString(doc, StandardCharsets.UTF_8) : "",
                "docs/metrics.md is stale; regenerate it (see this test's Javadoc)");
    }
}
