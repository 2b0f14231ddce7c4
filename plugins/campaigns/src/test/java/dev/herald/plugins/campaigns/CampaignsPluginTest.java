package dev.herald.plugins.campaigns;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.herald.api.plugin.PluginConfig;
import dev.herald.api.plugin.PluginState;
import dev.herald.api.policy.Principal;
import jakarta.persistence.EntityManagerFactory;
import jakarta.ws.rs.WebApplicationException;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/** The per-request API's caller checks and the console state, without an engine or a database. */
class CampaignsPluginTest {
    private static final Principal ANON = new Principal("anon", null, Map.of("role", "anon"));
    private static final Principal SERVICE = new Principal("service_role", null, Map.of("role", "service_role"));

    private final AtomicInteger factoryCalls = new AtomicInteger();
    // Building the factory is what touches the database; a refusal must come before it.
    private final Supplier<EntityManagerFactory> noFactory = () -> {
        factoryCalls.incrementAndGet();
        throw new IllegalStateException("the entity manager factory must not be needed here");
    };

    private static void assertForbidden(String message, Runnable r) {
        WebApplicationException e = assertThrows(WebApplicationException.class, r::run);
        assertEquals(403, e.getResponse().getStatus());
        @SuppressWarnings("unchecked") Map<String, Object> entity = (Map<String, Object>) e.getResponse().getEntity();
        assertEquals("Forbidden", entity.get("error"));
        assertTrue(String.valueOf(entity.get("message")).contains(message), () -> "message was " + entity);
    }

    private static CampaignsPlugin started(Supplier<EntityManagerFactory> factory) {
        CampaignsPlugin plugin = new CampaignsPlugin();
        plugin.init(new PluginConfig() {
            @Override
            public String pluginId() {
                return "campaigns";
            }

            @Override
            public String string(String key) {
                return "approver-role".equals(key) ? " boss " : null;
            }

            @Override
            public long integer(String key) {
                throw new IllegalArgumentException(key);
            }

            @Override
            public double decimal(String key) {
                throw new IllegalArgumentException(key);
            }

            @Override
            public boolean bool(String key) {
                throw new IllegalArgumentException(key);
            }

            @Override
            public String describe(String key) {
                return "herald.plugins.campaigns." + key;
            }
        });
        plugin.entityManagerFactory(factory);
        return plugin;
    }

    @Test
    void callersWithoutSubAreRefusedWithTheFormerTextsBeforeTheFactoryIsBuilt() {
        CampaignsPlugin plugin = started(noFactory);
        CampaignsApi anon = (CampaignsApi) plugin.restResource(ANON);
        String created = "campaigns are created by a signed-in user (the token has no sub)";
        assertForbidden(created, () -> anon.create(Map.of("name", "n")));
        assertForbidden(created, anon::mine);
        String signedIn = "this needs a signed-in user (the token has no sub)";
        assertForbidden(signedIn, () -> anon.update("1", Map.of("name", "n")));
        assertForbidden(signedIn, () -> anon.delete("1"));
        // The service role has no sub either: it may not create, but acts as every campaign's owner elsewhere.
        CampaignsApi service = (CampaignsApi) plugin.restResource(SERVICE);
        assertForbidden(created, () -> service.create(Map.of("name", "n")));
        assertThrows(IllegalStateException.class, () -> service.delete("1"));
        assertEquals(1, factoryCalls.get(), "only the service role's delete got as far as the database");
    }

    @Test
    void stateNamesTheApproverRoleAndCountsRequests() {
        CampaignsPlugin plugin = started(noFactory);
        plugin.restResource(ANON);
        plugin.restResource(SERVICE);
        PluginState state = plugin.state();
        assertEquals(PluginState.Health.OK, state.health());
        assertTrue(state.summary().contains("'boss'"), state.summary());
        assertEquals(List.of("rest_requests", "campaigns_created", "status_changes", "decisions", "metric_updates"),
                List.copyOf(state.figures().keySet()));
        assertEquals(2L, state.figures().get("rest_requests"));
        assertEquals(0, factoryCalls.get(), "state() and restResource() never build the factory");
    }

    @Test
    void activityCountsDecisionsAmongStatusChanges() {
        CampaignActivity activity = new CampaignActivity();
        activity.created();
        activity.statusChanged(false);
        activity.statusChanged(true);
        activity.metricsRecorded();
        Map<String, Object> f = activity.state("r").figures();
        assertEquals(1L, f.get("campaigns_created"));
        assertEquals(2L, f.get("status_changes"));
        assertEquals(1L, f.get("decisions"));
        assertEquals(1L, f.get("metric_updates"));
    }
}
