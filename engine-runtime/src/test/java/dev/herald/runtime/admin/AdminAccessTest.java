package dev.herald.runtime.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.herald.api.ErrorCode;
import dev.herald.runtime.config.ConfigException;
import dev.herald.runtime.config.HeraldConfig;
import dev.herald.runtime.core.TopicKey;
import dev.herald.runtime.limits.LimitSettings;
import dev.herald.runtime.limits.Limits;
import dev.herald.runtime.metrics.ChannelActivity;
import dev.herald.runtime.metrics.ChannelStats;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AdminAccessTest {
    private static String basic(String user, String password) {
        return "Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void basicAndSessionTokens() {
        AdminAccess a = AdminAccess.withPassword("a-long-enough-secret");
        assertTrue(a.check(basic("admin", "a-long-enough-secret")).allowed());
        assertEquals("admin (basic)", a.check(basic("admin", "a-long-enough-secret")).actor());
        for (String wrong : new String[] {null, "", basic("admin", "nope"), basic("root", "a-long-enough-secret"), "Basic %%%", "Bearer x", "Token abc",
                basic("admin", "a-long-enough-secret" + "x")}) {
            assertEquals(401, a.check(wrong).status(), String.valueOf(wrong));
        }
        assertNull(a.login("wrong"));
        String token = a.login("a-long-enough-secret");
        assertNotNull(token);
        assertTrue(a.check("Bearer " + token).allowed());
        assertTrue(a.check("bearer " + token).actor().startsWith("admin (session "));
        a.logout(token);
        assertEquals(401, a.check("Bearer " + token).status());
    }

    @Test
    void disabledAnswers503WithTheReason() {
        AdminAccess a = AdminAccess.disabled("set it");
        assertFalse(a.enabled());
        assertEquals(503, a.check(basic("admin", "anything")).status());
        assertEquals("set it", a.check(null).error());
        assertNull(a.login("anything"));
    }

    @Test
    void setupByHosting(@TempDir Path dir) throws Exception {
        HeraldConfig none = HeraldConfig.load(Map.of("HERALD_DATA_DIR", dir.toString()), new Properties());
        List<String> notes = new ArrayList<>();
        AdminAccess container = AdminSetup.access(none, true, notes);
        assertFalse(container.enabled());
        assertTrue(container.disabledReason().contains("HERALD_ADMIN_PASSWORD"), container.disabledReason());
        assertTrue(notes.isEmpty());
        assertFalse(Files.exists(dir.resolve("admin-password")), "nothing is generated inside an application server");

        AdminAccess loopback = AdminSetup.access(none, false, notes);
        assertTrue(loopback.enabled());
        String stored = Files.readString(dir.resolve("admin-password")).strip();
        assertTrue(notes.get(0).contains("password " + stored), notes.get(0));
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("admin-password"))));
        assertTrue(loopback.passwordMatches(stored));
        assertEquals(stored, AdminAccess.loadOrCreatePassword(dir), "kept across starts");

        HeraldConfig open = HeraldConfig.load(Map.of("HERALD_DATA_DIR", dir.toString(), "HERALD_HTTP_HOST", "0.0.0.0"), new Properties());
        assertFalse(AdminSetup.access(open, false, new ArrayList<>()).enabled());

        HeraldConfig set = HeraldConfig.load(Map.of("HERALD_ADMIN_PASSWORD", "configured-password"), new Properties());
        assertTrue(AdminSetup.access(set, true, new ArrayList<>()).passwordMatches("configured-password"));
        assertThrows(ConfigException.class, () -> HeraldConfig.load(Map.of("HERALD_ADMIN_PASSWORD", "short"), new Properties()));
    }

    @Test
    void limitChangesAreValidatedAllOrNothingAndAudited() throws Exception {
        Limits limits = new Limits(LimitSettings.herald(), System::currentTimeMillis);
        LimitStore store = new LimitStore(null, limits);
        Map<String, Object> bad = new LinkedHashMap<>();
        bad.put(HeraldConfig.LIMITS_MAX_CHANNELS_PER_CLIENT, 7);
        bad.put(HeraldConfig.LIMITS_RATE_WINDOW_MS, 10);
        LimitStore.InvalidLimit e = assertThrows(LimitStore.InvalidLimit.class, () -> store.change(bad, "t"));
        assertEquals(HeraldConfig.LIMITS_RATE_WINDOW_MS, e.field());
        assertEquals(500, limits.settings().maxChannelsPerClient(), "nothing applied");
        assertEquals("x", assertThrows(LimitStore.InvalidLimit.class, () -> store.change(Map.of("x", 1), "t")).field());
        assertThrows(LimitStore.InvalidLimit.class, () -> store.change(Map.of(HeraldConfig.LIMITS_MAX_EVENTS_PER_SECOND, 2.5), "t"));
        assertThrows(LimitStore.InvalidLimit.class, () -> store.change(Map.of(HeraldConfig.LIMITS_MAX_EVENTS_PER_SECOND, "ten"), "t"));

        store.change(Map.of(HeraldConfig.LIMITS_MAX_EVENTS_PER_SECOND, BigInteger.valueOf(25)), "admin (basic)");
        assertEquals(25, limits.settings().maxEventsPerSecond());
        LimitStore.AuditEntry a = store.audit(10).get(0);
        assertEquals("admin (basic)", a.actor());
        assertEquals("0", a.oldValue());
        assertEquals("25", a.newValue());
        store.change(Map.of(HeraldConfig.LIMITS_MAX_EVENTS_PER_SECOND, 25), "again");
        assertEquals(1, store.audit(10).size(), "an unchanged value is not audited");
    }

    @Test
    void healthRules() {
        AtomicLong now = new AtomicLong(1_000_000);
        ChannelActivity activity = new ChannelActivity(now::get);
        ChannelStats s = activity.of(new TopicKey(false, "t"));
        assertEquals("ok", HealthRules.evaluate(s, 0, false, null).status());
        assertEquals("degraded", HealthRules.evaluate(s, 0.6, false, null).status());
        assertEquals("degraded", HealthRules.evaluate(s, 0, true, "lagging").status());
        assertEquals("failing", HealthRules.evaluate(s, 0, true, "failed").status());
        assertEquals("ok", HealthRules.evaluate(s, 0, false, "failed").status(), "no postgres_changes: CDC does not matter");
        s.drop(ErrorCode.PAYLOAD_SIZE_EXCEEDED);
        assertEquals("degraded", HealthRules.evaluate(s, 0, false, null).status());
        s.drop(ErrorCode.SLOW_CONSUMER);
        HealthRules.Health h = HealthRules.evaluate(s, 0, false, null);
        assertEquals("failing", h.status());
        assertTrue(h.reasons().get(0).contains("closure"), h.reasons().toString());
        now.addAndGet(61_000);
        assertEquals("ok", HealthRules.evaluate(s, 0, false, null).status(), "drops older than a minute no longer count");
        assertEquals(2, s.drops().size(), "totals stay");
        for (int i = 0; i < 100; i++) s.delivered(2_000_000_000L);
        assertEquals("failing", HealthRules.evaluate(s, 0, false, null).status(), "p99 above a second");
        now.addAndGet(25_000);
        assertEquals(-1, s.latencyMs(0.99), "latency samples expire");
    }

    @Test
    void idleTopicsWithoutSubscribersAreForgotten() {
        AtomicLong now = new AtomicLong(10_000_000);
        Set<TopicKey> subscribed = new HashSet<>();
        ChannelActivity activity = new ChannelActivity(now::get, subscribed::contains);
        TopicKey kept = new TopicKey(false, "kept");
        subscribed.add(kept);
        activity.of(kept);
        for (int i = 0; i < 100; i++) activity.published(new TopicKey(false, "once-" + i), 0);
        assertEquals(101, activity.snapshot().size());
        now.addAndGet(ChannelActivity.FORGET_AFTER_MS + 1);
        activity.of(new TopicKey(false, "new"));
        assertEquals(Set.of(kept, new TopicKey(false, "new")), activity.snapshot().keySet());
    }

    @Test
    void latencyQuantiles() {
        AtomicLong now = new AtomicLong(5_000_000);
        ChannelStats s = new ChannelActivity(now::get).of(new TopicKey(true, "q"));
        for (int i = 0; i < 98; i++) s.delivered(1_000_000); // 1 ms
        s.delivered(300_000_000); // 300 ms
        s.delivered(300_000_000);
        assertTrue(s.latencyMs(0.5) >= 1 && s.latencyMs(0.5) < 2, String.valueOf(s.latencyMs(0.5)));
        assertTrue(s.latencyMs(0.99) >= 300 && s.latencyMs(0.99) < 700, String.valueOf(s.latencyMs(0.99)));
        assertEquals("degraded", HealthRules.evaluate(s, 0, false, null).status());
    }
}
