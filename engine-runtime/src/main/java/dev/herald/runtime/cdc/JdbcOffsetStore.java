package dev.herald.runtime.cdc;

import java.nio.ByteBuffer;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import javax.sql.DataSource;
import org.apache.kafka.connect.errors.ConnectException;
import org.apache.kafka.connect.runtime.WorkerConfig;
import org.apache.kafka.connect.storage.MemoryOffsetBackingStore;

/**
 * Debezium offsets kept in {@code herald.cdc_offsets} through Herald's own connection pool. Debezium creates this
 * class by name, so the pool is looked up from a registry by the id in {@code offset.storage.herald.id}.
 */
public final class JdbcOffsetStore extends MemoryOffsetBackingStore {
    static final String ID_PROPERTY = "offset.storage.herald.id";
    private static final Map<String, DataSource> REGISTRY = new ConcurrentHashMap<>();

    private DataSource dataSource;

    static void register(String id, DataSource dataSource) {
        REGISTRY.put(id, dataSource);
    }

    static void unregister(String id) {
        REGISTRY.remove(id);
    }

    @Override
    public void configure(WorkerConfig config) {
        super.configure(config);
        String id = config.originalsStrings().get(ID_PROPERTY);
        dataSource = id == null ? null : REGISTRY.get(id);
        if (dataSource == null) throw new ConnectException("no Herald data source registered for offset store id " + id);
    }

    @Override
    public synchronized void start() {
        super.start();
        try (Connection c = dataSource.getConnection();
             PreparedStatement ps = c.prepareStatement("SELECT offset_key, offset_value FROM herald.cdc_offsets");
             ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                byte[] v = rs.getBytes(2);
                data.put(ByteBuffer.wrap(rs.getBytes(1)), v == null ? null : ByteBuffer.wrap(v));
            }
        } catch (SQLException e) {
            throw new ConnectException("cannot read CDC offsets from herald.cdc_offsets: " + e.getMessage(), e);
        }
    }

    @Override
    protected void save() {
        try (Connection c = dataSource.getConnection();
             PreparedStatement ps = c.prepareStatement(
                     "INSERT INTO herald.cdc_offsets (offset_key, offset_value, updated_at) VALUES (?, ?, now()) "
                             + "ON CONFLICT (offset_key) DO UPDATE SET offset_value = EXCLUDED.offset_value, updated_at = now()")) {
            for (Map.Entry<ByteBuffer, ByteBuffer> e : data.entrySet()) {
                ps.setBytes(1, bytes(e.getKey()));
                ps.setBytes(2, e.getValue() == null ? null : bytes(e.getValue()));
                ps.addBatch();
            }
            ps.executeBatch();
        } catch (SQLException e) {
            throw new ConnectException("cannot write CDC offsets to herald.cdc_offsets: " + e.getMessage(), e);
        }
    }

    @Override
    public Set<Map<String, Object>> connectorPartitions(String connectorName) {
        return Set.of();
    }

    private static byte[] bytes(ByteBuffer b) {
        byte[] out = new byte[b.remaining()];
        b.duplicate().get(out);
        return out;
    }
}
