package dev.herald.runtime.web;

import dev.herald.runtime.boot.Engine;
import dev.herald.runtime.core.HandshakeVerdict;
import dev.herald.runtime.core.RealtimeSession;
import jakarta.websocket.CloseReason;
import jakarta.websocket.Endpoint;
import jakarta.websocket.EndpointConfig;
import jakarta.websocket.MessageHandler;
import jakarta.websocket.Session;
import jakarta.websocket.server.ServerEndpointConfig;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The realtime WebSocket endpoint, one instance per connection, served at {@link #PATHS}. The upgrade itself was
 * already checked by a filter in front of the container (so a refusal can carry a JSON body); here the query is
 * checked again to obtain the connection's claims.
 */
public final class RealtimeEndpoint extends Endpoint {
    private static final Logger LOG = LoggerFactory.getLogger(RealtimeEndpoint.class);

    /** Supabase's gateway path and the reference server's own path. */
    public static final List<String> PATHS = List.of("/realtime/v1/websocket", "/socket/websocket");

    private final Engine engine;
    private volatile RealtimeSession session;
    private volatile JakartaConnection connection;

    RealtimeEndpoint(Engine engine) {
        this.engine = engine;
    }

    /** The endpoint configurations for every path, for hosts that register endpoints programmatically. */
    public static List<ServerEndpointConfig> configs() {
        return PATHS.stream()
                .map(p -> ServerEndpointConfig.Builder.create(RealtimeEndpoint.class, p)
                        .configurator(new RealtimeEndpointConfigurator()).build())
                .toList();
    }

    @Override
    public void onOpen(Session ws, EndpointConfig config) {
        Map<String, List<String>> params = ws.getRequestParameterMap();
        HandshakeVerdict verdict = engine.checkHandshake(first(params, "vsn"), first(params, "apikey"), null);
        if (!verdict.accepted()) {
            try {
                ws.close(new CloseReason(CloseReason.CloseCodes.VIOLATED_POLICY, "unauthorized"));
            } catch (IOException ignored) {
                // nothing more to do
            }
            return;
        }
        int maxFrame = engine.config().wsMaxFrameBytes();
        // Limits are enforced by the session (so it can count them); the container buffers must merely admit them.
        ws.setMaxTextMessageBufferSize(maxFrame + 1024);
        ws.setMaxBinaryMessageBufferSize(maxFrame + 1024);
        ws.setMaxIdleTimeout(0);
        JakartaConnection c = new JakartaConnection(ws);
        connection = c;
        RealtimeSession s = engine.open(c, verdict);
        session = s;
        ws.addMessageHandler(String.class, (MessageHandler.Whole<String>) s::onText);
        ws.addMessageHandler(ByteBuffer.class, (MessageHandler.Whole<ByteBuffer>) s::onBinary);
    }

    @Override
    public void onClose(Session ws, CloseReason reason) {
        RealtimeSession s = session;
        if (s == null) return;
        int code = reason == null ? 0 : reason.getCloseCode().getCode();
        if (code == CloseReason.CloseCodes.TOO_BIG.getCode()) {
            // The container closes with 1009 itself when a message assembled from continuation frames outgrows its
            // message buffer: a size refusal too, counted as one.
            s.refusedAsTooLarge();
        } else if (code == CloseReason.CloseCodes.UNEXPECTED_CONDITION.getCode() && isBufferOverflow(reason.getReasonPhrase())
                && s.refusedAsTooLarge()) {
            // Tyrus stops a frame larger than its incoming buffer (without holding all of it) and is about to close
            // with 1011 "Buffer overflow."; it calls this before writing its close frame, so a close frame written
            // here first gives the client the documented 1009 instead.
            JakartaConnection c = connection;
            if (c == null || !c.writeCloseFrame(CloseReason.CloseCodes.TOO_BIG.getCode(), "frame too large")) {
                LOG.debug("{}: raw frames unavailable, the container's own close code stands", ws.getId());
            }
        }
        s.onClosed();
    }

    @Override
    public void onError(Session ws, Throwable error) {
        LOG.debug("WebSocket error on {}: {}", ws.getId(), error.toString());
    }

    /** Tyrus' incoming-buffer overflow, as its close reason names it. */
    private static boolean isBufferOverflow(String phrase) {
        return phrase != null && phrase.toLowerCase(Locale.ROOT).contains("buffer overflow");
    }

    private static String first(Map<String, List<String>> params, String key) {
        List<String> v = params.get(key);
        return v == null || v.isEmpty() ? null : v.get(0);
    }
}
