package dev.herald.runtime.web;

import dev.herald.api.plugin.SocketEndpoint;
import dev.herald.api.policy.Principal;
import dev.herald.runtime.boot.Engine;
import dev.herald.runtime.plugin.PluginHost;
import jakarta.websocket.CloseReason;
import jakarta.websocket.Endpoint;
import jakarta.websocket.EndpointConfig;
import jakarta.websocket.HandshakeResponse;
import jakarta.websocket.Session;
import jakarta.websocket.server.HandshakeRequest;
import jakarta.websocket.server.ServerEndpointConfig;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Deploys plugins' WebSocket endpoints at {@code /plugins/<id>/<path>}. The host's upgrade guard has already refused
 * requests without a valid JWT (with an HTTP status and JSON body); the configurator verifies again and hands the
 * principal to the session, and the bridge closes any session that somehow arrives without one.
 */
public final class PluginSockets {
    private PluginSockets() {
    }

    /** The endpoint configurations of every enabled plugin. */
    public static List<ServerEndpointConfig> configs(Engine engine) {
        List<ServerEndpointConfig> out = new ArrayList<>();
        for (PluginHost.Socket s : engine.plugins().sockets()) {
            out.add(ServerEndpointConfig.Builder.create(Bridge.class, s.fullPath())
                    .subprotocols(s.endpoint().subprotocols())
                    .configurator(new Configurator(engine, s.endpoint()))
                    .build());
        }
        return out;
    }

    /** The JWT of an upgrade request: {@code access_token} or {@code apikey} query parameter, or a {@code herald-jwt.} subprotocol. */
    public static String token(Map<String, List<String>> params, List<String> requestedProtocols) {
        for (String name : new String[] {"access_token", "apikey"}) {
            List<String> v = params.get(name);
            if (v != null && !v.isEmpty() && !v.get(0).isBlank()) return v.get(0);
        }
        for (String p : requestedProtocols) {
            if (p.startsWith(SocketEndpoint.TOKEN_SUBPROTOCOL_PREFIX)) return p.substring(SocketEndpoint.TOKEN_SUBPROTOCOL_PREFIX.length());
        }
        return null;
    }

    /** Splits {@code Sec-WebSocket-Protocol} header values into protocols. */
    public static List<String> protocols(List<String> headerValues) {
        List<String> out = new ArrayList<>();
        if (headerValues == null) return out;
        for (String h : headerValues) {
            for (String p : h.split(",")) if (!p.isBlank()) out.add(p.strip());
        }
        return out;
    }

    static final class Configurator extends ServerEndpointConfig.Configurator {
        private final Engine engine;
        private final SocketEndpoint endpoint;

        Configurator(Engine engine, SocketEndpoint endpoint) {
            this.engine = engine;
            this.endpoint = endpoint;
        }

        @Override
        public boolean checkOrigin(String originHeaderValue) {
            return true;
        }

        @Override
        public String getNegotiatedSubprotocol(List<String> supported, List<String> requested) {
            for (String r : requested) if (endpoint.subprotocols().contains(r)) return r;
            // A browser that offered only its token protocol fails the connection unless one protocol is echoed.
            for (String r : requested) if (r.startsWith(SocketEndpoint.TOKEN_SUBPROTOCOL_PREFIX)) return r;
            return "";
        }

        @Override
        public void modifyHandshake(ServerEndpointConfig sec, HandshakeRequest request, HandshakeResponse response) {
            // Jakarta WebSocket 2.1: these properties are copied into this connection's Session.
            sec.getUserProperties().remove(SocketEndpoint.PRINCIPAL);
            sec.getUserProperties().remove(SocketEndpoint.TOKEN);
            String token = token(request.getParameterMap(), protocols(request.getHeaders().get("Sec-WebSocket-Protocol")));
            if (token == null) return;
            try {
                Principal p = engine.verifyPluginToken(token);
                sec.getUserProperties().put(SocketEndpoint.PRINCIPAL, p);
                sec.getUserProperties().put(SocketEndpoint.TOKEN, token);
            } catch (RuntimeException refused) {
                // no principal: the bridge closes the session
            }
        }

        @Override
        public <T> T getEndpointInstance(Class<T> endpointClass) {
            return endpointClass.cast(new Bridge(endpoint.factory().get(), endpoint.maxMessageBytes()));
        }
    }

    /** Wraps the plugin's endpoint: refuses sessions without a principal and applies the message size limit. */
    public static final class Bridge extends Endpoint {
        private final Endpoint delegate;
        private final int maxBytes;

        Bridge(Endpoint delegate, int maxBytes) {
            this.delegate = delegate;
            this.maxBytes = maxBytes;
        }

        @Override
        public void onOpen(Session session, EndpointConfig config) {
            if (!(session.getUserProperties().get(SocketEndpoint.PRINCIPAL) instanceof Principal)) {
                try {
                    session.close(new CloseReason(CloseReason.CloseCodes.VIOLATED_POLICY, "Unauthorized"));
                } catch (IOException ignored) {
                    // already gone
                }
                return;
            }
            session.setMaxTextMessageBufferSize(maxBytes);
            session.setMaxBinaryMessageBufferSize(maxBytes);
            delegate.onOpen(session, config);
        }

        @Override
        public void onClose(Session session, CloseReason closeReason) {
            delegate.onClose(session, closeReason);
        }

        @Override
        public void onError(Session session, Throwable thr) {
            delegate.onError(session, thr);
        }
    }
}
