package dev.herald.standalone;

import dev.herald.runtime.config.ConfigException;
import dev.herald.runtime.config.HeraldConfig;
import dev.herald.runtime.boot.Engine;
import dev.herald.runtime.boot.EngineBootstrap;
import dev.herald.runtime.web.BroadcastResource;
import dev.herald.runtime.web.HeraldRestApplication;
import dev.herald.runtime.web.MetricsResource;
import dev.herald.runtime.web.HealthResource;
import dev.herald.runtime.web.ProvidedEngineExtension;
import dev.herald.runtime.web.PluginResources;
import dev.herald.runtime.web.PluginSockets;
import dev.herald.runtime.web.RealtimeEndpoint;
import jakarta.websocket.server.ServerEndpointConfig;
import jakarta.enterprise.inject.spi.Extension;
import java.net.URI;
import java.util.ServiceLoader;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import org.glassfish.grizzly.http.server.HttpServer;
import org.glassfish.grizzly.http.server.NetworkListener;
import org.glassfish.jersey.grizzly2.httpserver.GrizzlyHttpServerFactory;
import org.glassfish.jersey.server.ResourceConfig;
import org.glassfish.jersey.server.ServerProperties;
import org.glassfish.tyrus.container.grizzly.server.WebSocketAddOn;
import org.jboss.weld.environment.se.Weld;
import org.jboss.weld.environment.se.WeldContainer;

/**
 * The standalone server: one Grizzly port carrying Tyrus (WebSocket) and Jersey (REST), beans managed by Weld SE.
 * Hosting only; everything the server does is in engine-runtime.
 */
public final class HeraldMain {

    /** How much longer than the WebSocket idle timeout a connection may stay quiet before the transport drops it. */
    private static final int KEEP_ALIVE_MARGIN_SECONDS = 30;

    private HeraldMain() {
    }

    public static void main(String[] args) throws Exception {
        HeraldConfig config;
        try {
            config = HeraldConfig.load();
        } catch (ConfigException e) {
            System.err.println("herald: " + e.getMessage());
            System.exit(2);
            return;
        }
        StandaloneLogging.configure(config.logLibraryLevel());
        // A taken port is found before the embedded PostgreSQL and change capture start, not after (and not under
        // their shutdown lines).
        try {
            probeListen(config.httpHost(), config.httpPort());
        } catch (java.io.IOException e) {
            failToListen(config, e);
            return;
        }
        Engine engine;
        try {
            engine = EngineBootstrap.start(config, EngineBootstrap.Hosting.STANDALONE);
        } catch (ConfigException e) {
            System.err.println("herald: " + e.getMessage());
            System.exit(2);
            return;
        } catch (RuntimeException e) {
            System.err.println("herald: cannot start: " + withRootCause(e));
            if (HeraldConfig.LOG_LEVELS.indexOf(config.logLibraryLevel()) < HeraldConfig.LOG_LEVELS.indexOf("info")) {
                System.err.println("herald: the libraries' INFO lines (PostgreSQL's own output among them) are not logged; "
                        + HeraldConfig.envName(HeraldConfig.LOG_LIBRARY_LEVEL) + "=info adds them");
            }
            e.printStackTrace();
            System.exit(1);
            return;
        }
        // Herald's own shutdown hook stops Weld after the engine; Weld's hook would race it.
        Weld weldBuilder = new Weld().disableDiscovery().property("org.jboss.weld.se.shutdownHook", false);
        // Without discovery Weld does not load portable extensions by itself; Jersey's CDI integration is one.
        ServiceLoader.load(Extension.class).forEach(weldBuilder::addExtension);
        WeldContainer weld = weldBuilder
                .addExtension(new ProvidedEngineExtension(engine))
                .addBeanClasses(BroadcastResource.Gateway.class, BroadcastResource.Direct.class, MetricsResource.class, HealthResource.class,
                        PluginResources.class, dev.herald.runtime.admin.AdminResource.class, dev.herald.runtime.admin.ConsoleResource.class)
                .initialize();

        ResourceConfig rest = new ResourceConfig(HeraldRestApplication.CLASSES)
                .addProperties(HeraldRestApplication.PROPERTIES)
                .property(ServerProperties.WADL_FEATURE_DISABLE, true);
        URI base = URI.create("http://" + config.httpHost() + ":" + config.httpPort() + "/");
        HttpServer http = GrizzlyHttpServerFactory.createHttpServer(base, rest, false);
        // httpSend percent-encodes topic and event; a "/" in either arrives as %2F and must reach the resource.
        // (Jersey stays the only root handler: with several, Grizzly's handler chain would refuse %2F first.)
        http.getServerConfiguration().getHttpHandlersWithMapping().keySet().forEach(h -> h.setAllowEncodedSlash(true));
        // The admin API throttles failed credentials by client address; Jersey sees request attributes as properties.
        http.getServerConfiguration().getMonitoringConfig().getWebServerConfig().addProbes(new org.glassfish.grizzly.http.server.HttpServerProbe.Adapter() {
            @Override
            public void onRequestReceiveEvent(org.glassfish.grizzly.http.server.HttpServerFilter filter,
                                              org.glassfish.grizzly.Connection connection, org.glassfish.grizzly.http.server.Request request) {
                request.setAttribute(dev.herald.runtime.admin.AdminThrottleFilter.REMOTE_ADDRESS, request.getRemoteAddr());
            }
        });

        ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "herald-upgrade-guard");
            t.setDaemon(true);
            return t;
        });
        // Tyrus must admit frames slightly above the limit so the engine itself can refuse and count them.
        StandaloneWebSocketContainer ws = new StandaloneWebSocketContainer(config.wsMaxFrameBytes() + 1024);
        // Grizzly's HTTP keep-alive timeout (30 s by default) also runs on upgraded connections and drops a quiet
        // WebSocket without a close frame, before the engine's own idle timeout could close it properly. It stays
        // above that timeout, so idle plain-HTTP connections are still let go, later.
        int keepAliveSeconds = (int) Math.min(Integer.MAX_VALUE, config.wsIdleTimeoutMs() / 1000 + KEEP_ALIVE_MARGIN_SECONDS);
        for (NetworkListener listener : http.getListeners()) {
            listener.getKeepAlive().setIdleTimeoutInSeconds(keepAliveSeconds);
            listener.registerAddOn(new UpgradeGuardAddOn(engine, timer));
            listener.registerAddOn(new WebSocketAddOn(ws, "/"));
        }
        for (ServerEndpointConfig endpoint : RealtimeEndpoint.configs()) ws.register(endpoint);
        for (ServerEndpointConfig endpoint : PluginSockets.configs(engine)) ws.register(endpoint);
        ws.doneDeployment();
        try {
            http.start();
        } catch (java.io.IOException e) {
            // The port was taken between the probe and now.
            System.err.println(cannotListen(config, e));
            engine.close();
            weld.shutdown();
            System.exit(1);
            return;
        }
        int port = http.getListeners().iterator().next().getPort();

        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            engine.close(config.shutdownDeadlineMs());
            http.shutdownNow();
            timer.shutdownNow();
            weld.shutdown();
        }, "herald-shutdown"));

        String url = "http://" + config.httpHost() + ":" + port;
        // One write, so the notes and the start line (the last: scripts wait for it) stay together in the log.
        StringBuilder started = new StringBuilder();
        engine.startupNotes().forEach(n -> started.append(n).append('\n'));
        if (engine.adminAccess().enabled()) started.append("Admin console: ").append(url).append("/admin/ (user admin)\n");
        started.append("Herald listening on ").append(url).append(" (WebSocket /realtime/v1/websocket, REST /realtime/v1/api, metrics /metrics)\n");
        System.out.print(started);
        System.out.flush();
        Thread.currentThread().join();
    }

    /** Binds the configured address and lets it go at once; throws what Grizzly would throw a few seconds later. */
    static void probeListen(String host, int port) throws java.io.IOException {
        java.net.InetSocketAddress address = new java.net.InetSocketAddress(host, port);
        // Port 0 cannot be taken; a host that does not resolve is the configuration check's to report.
        if (port == 0 || address.isUnresolved()) return;
        try (java.net.ServerSocket probe = new java.net.ServerSocket()) {
            probe.setReuseAddress(true); // as Grizzly binds: a port left in TIME_WAIT is usable
            probe.bind(address);
        }
    }

    private static void failToListen(HeraldConfig config, java.io.IOException e) {
        System.err.println(cannotListen(config, e));
        System.exit(1);
    }

    private static String cannotListen(HeraldConfig config, java.io.IOException e) {
        String hint = String.valueOf(e.getMessage()).contains("in use")
                ? " (another process has the port: stop it, or choose another with " + HeraldConfig.envName(HeraldConfig.HTTP_PORT) + ")"
                : "";
        return "herald: cannot listen on " + config.httpHost() + ":" + config.httpPort() + ": " + e.getMessage() + hint;
    }

    /** The message, and the innermost cause when it says something the message does not. */
    static String withRootCause(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) root = root.getCause();
        String message = String.valueOf(e.getMessage());
        if (root == e || (root.getMessage() != null && message.contains(root.getMessage()))) return message;
        return message + " (cause: " + root + ")";
    }
}
