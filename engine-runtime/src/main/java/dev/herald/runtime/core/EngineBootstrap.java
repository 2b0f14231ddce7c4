package dev.herald.runtime.core;

import dev.herald.runtime.auth.SecretStore;
import dev.herald.runtime.config.ConfigException;
import dev.herald.runtime.config.HeraldConfig;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The one way to build an {@link Engine}, used by the standalone launcher and the WAR alike; they differ only in
 * how they host the HTTP and WebSocket endpoints.
 */
public final class EngineBootstrap {

    /** Where the engine runs, which decides what a missing setting may default to. */
    public enum Hosting {
        /** The standalone server: may generate a development secret when bound to loopback. */
        STANDALONE,
        /** Inside an application server: every secret must be configured. */
        CONTAINER
    }

    private EngineBootstrap() {
    }

    public static Engine start(HeraldConfig config, Hosting hosting) {
        List<String> notes = new ArrayList<>();
        String secret = config.jwtSecret();
        String env = HeraldConfig.envName(HeraldConfig.JWT_SECRET);
        if (secret == null) {
            if (hosting == Hosting.CONTAINER) {
                throw new ConfigException(env + " (" + HeraldConfig.JWT_SECRET + ") must be set when Herald runs inside an application server");
            }
            if (!isLoopback(config.httpHost())) {
                throw new ConfigException(env + " must be set when binding to the non-loopback address " + config.httpHost()
                        + " (a generated development secret is only used on 127.0.0.1/localhost)");
            }
            secret = SecretStore.loadOrCreate(config.dataDir());
            notes.add("No " + env + " configured: using the development secret in "
                    + config.dataDir().resolve("jwt-secret") + ". Keys for your clients:");
            notes.add("anon key: " + SecretStore.mintKey(secret, "anon", Duration.ofDays(3650)));
            notes.add("service_role key: " + SecretStore.mintKey(secret, "service_role", Duration.ofDays(3650)));
        }
        return new Engine(config, secret, notes);
    }

    static boolean isLoopback(String host) {
        try {
            for (InetAddress a : InetAddress.getAllByName(host)) {
                if (!a.isLoopbackAddress()) return false;
            }
            return true;
        } catch (UnknownHostException e) {
            throw new ConfigException("Invalid value for HERALD_HTTP_HOST (herald.http.host): cannot resolve '" + host + "'");
        }
    }
}
