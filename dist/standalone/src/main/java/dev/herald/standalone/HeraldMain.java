package dev.herald.standalone;

import dev.herald.runtime.config.ConfigException;
import dev.herald.runtime.config.HeraldConfig;
import dev.herald.runtime.core.Engine;
import dev.herald.runtime.core.EngineBootstrap;
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
import org.slf4j.bridge.SLF4JBridgeHandler;

/**
 * The standalone server: one Grizzly port carrying Tyrus (WebSocket) and Jersey (REST), beans managed by Weld SE.
 * Hosting only; everything the server does is in engine-runtime.
 */
public final class HeraldMain {

    private HeraldMain() {
    }

    public static void main(String[] args) throws Exception {
        SLF4JBridgeHandler.removeHandlersForRootLogger();
        SLF4JBridgeHandler.install();
        HeraldConfig config;
        Engine engine;
        try {
            config = HeraldConfig.load();
            engine = EngineBootstrap.start(config, EngineBootstrap.Hosting.STANDALONE);
        } catch (ConfigException e) {
            System.err.println("herald: " + e.getMessage());
            System.exit(2);
            return;
        } catch (RuntimeException e) {
            System.err.println("herald: cannot start: " + e.getMessage());
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
        for (NetworkListener listener : http.getListeners()) {
            listener.registerAddOn(new UpgradeGuardAddOn(engine, timer));
            listener.registerAddOn(new WebSocketAddOn(ws, "/"));
        }
        for (ServerEndpointConfig endpoint : RealtimeEndpoint.configs()) ws.register(endpoint);
        for (ServerEndpointConfig endpoint : PluginSockets.configs(engine)) ws.register(endpoint);
        ws.doneDeployment();
        try {
            http.start();
        } catch (java.io.IOException e) {
            System.err.println("herald: cannot listen on " + config.httpHost() + ":" + config.httpPort() + ": " + e.getMessage());
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

        engine.startupNotes().forEach(System.out::println);
        System.out.println("Herald listening on http://" + config.httpHost() + ":" + port
                + " (WebSocket /realtime/v1/websocket, REST /realtime/v1/api, metrics /metrics)");
        System.out.flush();
        Thread.currentThread().join();
    }
}
