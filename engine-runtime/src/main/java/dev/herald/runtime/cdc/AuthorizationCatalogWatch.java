package dev.herald.runtime.cdc;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Objects;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Notices when anything the delivery path's authorisation caches were read from changes — row-level security
 * policies, a table's row-security flags or grants, column grants, schema grants, role memberships and role
 * attributes — by
 * comparing a digest of those catalog rows (their {@code xmin} moves with every change) between calls, and then runs
 * {@code onChange}. The caller polls it from its housekeeping round, so a GRANT, REVOKE, CREATE/ALTER/DROP POLICY or
 * ALTER TABLE … ROW LEVEL SECURITY reaches live delivery within one round. Thread-safe.
 */
final class AuthorizationCatalogWatch {
    private static final Logger LOG = LoggerFactory.getLogger(AuthorizationCatalogWatch.class);
    private static final String DIGEST = "SELECT md5(concat_ws('|', "
            + "(SELECT string_agg(oid::text || ':' || xmin::text, ',' ORDER BY oid) FROM pg_policy), "
            + "(SELECT string_agg(c.oid::text || ':' || c.xmin::text, ',' ORDER BY c.oid) FROM pg_class c "
            + "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind IN ('r', 'p') "
            + "AND n.nspname NOT IN ('pg_catalog', 'information_schema')), "
            + "(SELECT string_agg(attrelid::text || '.' || attnum::text || ':' || xmin::text, ',' ORDER BY attrelid, attnum) "
            + "FROM pg_attribute WHERE attacl IS NOT NULL), "
            + "(SELECT string_agg(roleid::text || '>' || member::text || ':' || xmin::text, ',' ORDER BY roleid, member) FROM pg_auth_members), "
            + "(SELECT string_agg(oid::text || ':' || rolsuper::text || rolbypassrls::text, ',' ORDER BY oid) FROM pg_roles), "
            + "(SELECT string_agg(oid::text || ':' || xmin::text, ',' ORDER BY oid) FROM pg_namespace)))";

    private final DataSource dataSource;
    private final Runnable onChange;
    private String last;

    AuthorizationCatalogWatch(DataSource dataSource, Runnable onChange) {
        this.dataSource = dataSource;
        this.onChange = onChange;
    }

    /** Reads the digest; runs {@code onChange} when it differs from the previous one. Failures are logged and skipped. */
    synchronized void check() {
        String digest;
        try (Connection c = dataSource.getConnection(); PreparedStatement ps = c.prepareStatement(DIGEST); ResultSet rs = ps.executeQuery()) {
            digest = rs.next() ? rs.getString(1) : null;
        } catch (SQLException e) {
            LOG.debug("cannot read the authorisation catalog digest: {}", e.toString());
            return;
        }
        boolean changed = last != null && !Objects.equals(last, digest);
        last = digest;
        if (changed) {
            LOG.info("grants, row-level security policies or roles changed; re-reading them");
            onChange.run();
        }
    }
}
