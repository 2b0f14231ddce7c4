package dev.herald.runtime.cdc;

import com.fasterxml.jackson.databind.JsonNode;
import dev.herald.api.ErrorCode;
import dev.herald.runtime.protocol.Json;
import io.debezium.engine.DebeziumEngine;
import io.debezium.engine.RecordChangeEvent;
import io.debezium.engine.format.ChangeEventFormat;
import io.debezium.embedded.Connect;
import java.net.URI;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import javax.sql.DataSource;
import org.apache.kafka.connect.data.Field;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.source.SourceRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link CdcSource} on Debezium embedded (pgoutput, Connect records, no JSON step). The publication is managed by
 * Herald ({@code publication.autocreate.mode=disabled}); offsets go to {@link JdbcOffsetStore}.
 */
public final class DebeziumCdcSource implements CdcSource {
    private static final Logger LOG = LoggerFactory.getLogger(DebeziumCdcSource.class);

    /** Connection and tuning of the source. */
    public record Settings(String jdbcUrl, String user, String password, String slot, String publication,
                           long pollIntervalMs, long offsetFlushMs) {
    }

    private final Settings settings;
    private final DataSource dataSource;
    private final TableCatalog catalog;
    private final Consumer<ErrorCode> drops;
    private final String storeId = UUID.randomUUID().toString();
    private volatile State state = State.STOPPED;
    private volatile String lastError;
    private volatile long lastLsn;
    private DebeziumEngine<RecordChangeEvent<SourceRecord>> engine;
    private ExecutorService executor;

    /** {@code drops} counts each record that had to be skipped (see {@link #convertSafely}). */
    public DebeziumCdcSource(Settings settings, DataSource dataSource, TableCatalog catalog,
                             Consumer<ErrorCode> drops) {
        this.settings = settings;
        this.dataSource = dataSource;
        this.catalog = catalog;
        this.drops = drops;
    }

    @Override
    public synchronized void start(Handler handler) {
        if (engine != null) throw new IllegalStateException("already started");
        JdbcOffsetStore.register(storeId, dataSource);
        state = State.STARTING;
        lastError = null;
        engine = DebeziumEngine.create(ChangeEventFormat.of(Connect.class))
                .using(properties())
                .using(new DebeziumEngine.ConnectorCallback() {
                    @Override
                    public void taskStarted() {
                        state = State.RUNNING;
                        LOG.info("change capture running (slot {}, publication {})", settings.slot(), settings.publication());
                    }
                })
                .using((success, message, error) -> {
                    if (!success) {
                        state = State.FAILED;
                        lastError = message + (error != null ? ": " + error : "");
                        LOG.error("change capture stopped: {}", lastError, error);
                    } else if (state != State.FAILED) {
                        state = State.STOPPED;
                    }
                })
                .notifying((records, committer) -> {
                    List<ChangeEvent> batch = new ArrayList<>(records.size());
                    for (RecordChangeEvent<SourceRecord> r : records) {
                        ChangeEvent e = convertSafely(r.record());
                        if (e != null) batch.add(e);
                    }
                    if (!batch.isEmpty()) {
                        handler.onChanges(batch);
                        lastLsn = batch.get(batch.size() - 1).position().lsn();
                    }
                    // Only now, after fan-out, may Debezium record these offsets.
                    for (RecordChangeEvent<SourceRecord> r : records) committer.markProcessed(r);
                    committer.markBatchFinished();
                })
                .build();
        executor = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "herald-cdc");
            t.setDaemon(true);
            return t;
        });
        executor.execute(engine);
    }

    private Properties properties() {
        URI uri = URI.create(settings.jdbcUrl().substring("jdbc:".length()));
        String db = uri.getPath() == null || uri.getPath().length() <= 1 ? "postgres" : uri.getPath().substring(1);
        Properties p = new Properties();
        p.setProperty("name", "herald");
        // Debezium's connector, except that column values reach Herald as PostgreSQL's text (see TextValueConnector).
        p.setProperty("connector.class", TextValueConnector.class.getName());
        p.setProperty("converters", "herald");
        p.setProperty("herald.type", TextValueConverter.class.getName());
        p.setProperty("plugin.name", "pgoutput");
        p.setProperty("database.hostname", uri.getHost());
        p.setProperty("database.port", String.valueOf(uri.getPort() > 0 ? uri.getPort() : 5432));
        p.setProperty("database.user", settings.user());
        p.setProperty("database.password", settings.password() == null ? "" : settings.password());
        p.setProperty("database.dbname", db);
        p.setProperty("topic.prefix", "herald");
        p.setProperty("slot.name", settings.slot());
        p.setProperty("publication.name", settings.publication());
        p.setProperty("publication.autocreate.mode", "disabled");
        p.setProperty("snapshot.mode", "no_data");
        p.setProperty("tombstones.on.delete", "false");
        p.setProperty("poll.interval.ms", String.valueOf(settings.pollIntervalMs()));
        p.setProperty("offset.storage", JdbcOffsetStore.class.getName());
        p.setProperty(JdbcOffsetStore.ID_PROPERTY, storeId);
        p.setProperty("offset.flush.interval.ms", String.valueOf(settings.offsetFlushMs()));
        p.setProperty("decimal.handling.mode", "string");
        p.setProperty("time.precision.mode", "adaptive_time_microseconds");
        p.setProperty("binary.handling.mode", "bytes");
        p.setProperty("interval.handling.mode", "string");
        p.setProperty("hstore.handling.mode", "json");
        p.setProperty("include.unknown.datatypes", "true");
        p.setProperty("provide.transaction.metadata", "false");
        // Heartbeats let the slot advance on keepalives, so WAL of tables Herald does not capture is not retained.
        p.setProperty("heartbeat.interval.ms", "10000");
        // After a database restart Debezium restarts its task by itself; 10 s (its default) is a long gap.
        p.setProperty("retriable.restart.connector.wait.ms", "2000");
        return p;
    }

    /**
     * {@link #convert}, never throwing: a record that cannot be turned into a change (which no column value can cause;
     * this guards against anything else) is skipped, counted as {@code change_not_decodable} and logged with its
     * table, key and LSN, never its content, so the feed goes on with the next record.
     */
    ChangeEvent convertSafely(SourceRecord record) {
        try {
            return convert(record);
        } catch (TableCatalog.CatalogException e) {
            throw e; // the database is unreachable: fail, and resume from this record once it is back
        } catch (RuntimeException | StackOverflowError e) {
            drops.accept(ErrorCode.CHANGE_NOT_DECODABLE);
            LOG.error("{}", ErrorCode.CHANGE_NOT_DECODABLE.message(describe(record), where(e)));
            return null;
        }
    }

    /** Table, primary key and LSN of a record, for logs: the key values only, each cut to 64 characters. */
    static String describe(SourceRecord record) {
        StringBuilder sb = new StringBuilder();
        try {
            Struct value = record.value() instanceof Struct v ? v : null;
            Struct source = value == null || value.schema().field("source") == null ? null : value.getStruct("source");
            sb.append(source == null ? "?" : source.getString("schema") + "." + source.getString("table"));
            sb.append(" key ");
            if (record.key() instanceof Struct key) {
                sb.append('{');
                boolean first = true;
                for (Field f : key.schema().fields()) {
                    String v = String.valueOf(key.get(f));
                    if (!first) sb.append(", ");
                    first = false;
                    sb.append(f.name()).append('=').append(v.length() > 64 ? v.substring(0, 64) + "..." : v);
                }
                sb.append('}');
            } else {
                sb.append("(none)");
            }
            Long lsn = source == null || source.schema().field("lsn") == null ? null : source.getInt64("lsn");
            sb.append(" at LSN ").append(lsn == null ? "?" : lsn(lsn));
        } catch (RuntimeException e) {
            sb.append(" (record unreadable)");
        }
        return sb.toString();
    }

    /** An error's class and where it was thrown, without its message (which may quote row content). */
    static String where(Throwable e) {
        StackTraceElement[] trace = e.getStackTrace();
        return e.getClass().getName() + (trace.length == 0 ? "" : " at " + trace[0]);
    }

    /** An LSN in PostgreSQL's {@code X/X} form. */
    static String lsn(long lsn) {
        return Long.toHexString(lsn >>> 32).toUpperCase(Locale.ROOT) + "/" + Long.toHexString(lsn & 0xFFFFFFFFL).toUpperCase(Locale.ROOT);
    }

    private ChangeEvent convert(SourceRecord record) {
        if (!(record.value() instanceof Struct value) || value.schema().field("op") == null) return null;
        ChangeEvent.Type type;
        switch (value.getString("op")) {
            case "c" -> type = ChangeEvent.Type.INSERT;
            case "u" -> type = ChangeEvent.Type.UPDATE;
            case "d" -> type = ChangeEvent.Type.DELETE;
            default -> {
                return null; // snapshot reads, truncates, logical messages
            }
        }
        Struct source = value.getStruct("source");
        String schema = source.getString("schema");
        String tableName = source.getString("table");
        TableInfo table = catalog.table(schema, tableName).orElse(null);
        Struct after = value.getStruct("after");
        Struct before = value.getStruct("before");
        if (table == null || (after != null && !knowsAll(table, after))) {
            // A table created or altered since it was cached.
            catalog.invalidate(schema, tableName);
            table = catalog.table(schema, tableName).orElse(null);
            if (table == null) return null;
        }
        Map<String, Object> newRow = RowDecoder.decode(after, table);
        Map<String, Object> oldRow;
        if (before != null) {
            PgRow decoded = RowDecoder.decode(before, table);
            oldRow = table.fullReplicaIdentity() ? decoded : keyColumns(decoded, table);
        } else if (type == ChangeEvent.Type.UPDATE && record.key() instanceof Struct key) {
            oldRow = RowDecoder.decode(key, table);
        } else {
            oldRow = new PgRow();
        }
        long lsn = source.getInt64("lsn") == null ? 0 : source.getInt64("lsn");
        long lastCommit = lastCommitLsn(source, lsn);
        Long ts = source.getInt64("ts_ms");
        return new ChangeEvent(schema, tableName, type, Instant.ofEpochMilli(ts == null ? System.currentTimeMillis() : ts),
                new ChangeEvent.StreamPosition(lastCommit, lsn), newRow, oldRow, approximateBytes(after) + approximateBytes(before));
    }

    private static boolean knowsAll(TableInfo table, Struct s) {
        for (Field f : s.schema().fields()) if (table.column(f.name()) == null) return false;
        return true;
    }

    private static Map<String, Object> keyColumns(PgRow row, TableInfo table) {
        PgRow out = new PgRow();
        for (ColumnInfo c : table.columns()) if (c.primaryKey() && row.containsKey(c.name())) out.putRaw(c.name(), row.raw(c.name()));
        return out;
    }

    private static long lastCommitLsn(Struct source, long lsn) {
        String seq = source.schema().field("sequence") == null ? null : source.getString("sequence");
        if (seq == null) return lsn;
        try {
            JsonNode n = Json.read(seq);
            JsonNode first = n.get(0);
            return first == null || first.isNull() ? 0 : Long.parseLong(first.asText());
        } catch (Exception e) {
            return lsn;
        }
    }

    private static int approximateBytes(Struct s) {
        if (s == null) return 0;
        int n = 0;
        for (Field f : s.schema().fields()) {
            Object v = s.get(f);
            if (v instanceof String str) n += str.length();
            else if (v instanceof byte[] b) n += b.length * 2;
            else if (v instanceof ByteBuffer b) n += b.remaining() * 2;
            else if (v instanceof List<?> l) n += l.size() * 8;
            else n += 8;
        }
        return n;
    }

    @Override
    public synchronized void close() {
        if (engine == null) return;
        try {
            engine.close();
        } catch (Exception e) {
            LOG.warn("error stopping change capture: {}", e.toString());
        }
        executor.shutdown();
        try {
            if (!executor.awaitTermination(30, TimeUnit.SECONDS)) executor.shutdownNow();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        JdbcOffsetStore.unregister(storeId);
        engine = null;
        if (state != State.FAILED) state = State.STOPPED;
    }

    @Override
    public State state() {
        return state;
    }

    @Override
    public String lastError() {
        return lastError;
    }

    @Override
    public long lastLsn() {
        return lastLsn;
    }
}
