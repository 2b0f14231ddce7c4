package dev.herald.standalone;

import dev.herald.runtime.boot.Engine;
import dev.herald.runtime.core.HandshakeVerdict;
import dev.herald.runtime.web.PluginSockets;
import dev.herald.runtime.web.RealtimeEndpoint;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.glassfish.grizzly.Buffer;
import org.glassfish.grizzly.Connection;
import org.glassfish.grizzly.EmptyCompletionHandler;
import org.glassfish.grizzly.WriteResult;
import org.glassfish.grizzly.attributes.Attribute;
import org.glassfish.grizzly.filterchain.BaseFilter;
import org.glassfish.grizzly.filterchain.FilterChainBuilder;
import org.glassfish.grizzly.filterchain.FilterChainContext;
import org.glassfish.grizzly.filterchain.NextAction;
import org.glassfish.grizzly.http.HttpContent;
import org.glassfish.grizzly.http.HttpRequestPacket;
import org.glassfish.grizzly.http.HttpResponsePacket;
import org.glassfish.grizzly.http.server.AddOn;
import org.glassfish.grizzly.http.server.HttpServerFilter;
import org.glassfish.grizzly.http.server.NetworkListener;
import org.glassfish.grizzly.http.util.Parameters;
import org.glassfish.grizzly.memory.Buffers;
import org.glassfish.grizzly.utils.Charsets;

/**
 * Grizzly glue: puts the engine's upgrade check in front of Tyrus, so a refused upgrade gets an HTTP status with a
 * JSON body (Tyrus alone could only set a status). Must be registered before Tyrus's {@code WebSocketAddOn}.
 * The refusal delay is a scheduled task; the selector thread is released meanwhile.
 */
final class UpgradeGuardAddOn implements AddOn {
    private final Engine engine;
    private final ScheduledExecutorService timer;

    UpgradeGuardAddOn(Engine engine, ScheduledExecutorService timer) {
        this.engine = engine;
        this.timer = timer;
    }

    @Override
    public void setup(NetworkListener listener, FilterChainBuilder builder) {
        builder.add(builder.indexOfType(HttpServerFilter.class), new Guard());
    }

    private final class Guard extends BaseFilter {
        private final Attribute<Boolean> checked =
                org.glassfish.grizzly.Grizzly.DEFAULT_ATTRIBUTE_BUILDER.createAttribute("herald.upgrade-checked");

        @Override
        public NextAction handleRead(FilterChainContext ctx) throws IOException {
            Object message = ctx.getMessage();
            if (!(message instanceof HttpContent content)) return ctx.getInvokeAction();
            Connection<?> connection = ctx.getConnection();
            if (Boolean.TRUE.equals(checked.get(connection))) return ctx.getInvokeAction();
            if (!(content.getHttpHeader() instanceof HttpRequestPacket request)
                    || !"websocket".equalsIgnoreCase(request.getUpgrade())
                    || !(RealtimeEndpoint.PATHS.contains(request.getRequestURI()) || request.getRequestURI().startsWith("/plugins/"))) {
                return ctx.getInvokeAction();
            }
            Parameters params = new Parameters();
            params.setQuery(request.getQueryStringDC());
            params.setQueryStringEncoding(Charsets.UTF8_CHARSET);
            params.handleQueryParameters();
            HandshakeVerdict verdict;
            if (request.getRequestURI().startsWith("/plugins/")) {
                java.util.Map<String, java.util.List<String>> query = new java.util.HashMap<>();
                for (String name : new String[] {"access_token", "apikey"}) {
                    String v = params.getParameter(name);
                    if (v != null) query.put(name, java.util.List.of(v));
                }
                java.util.List<String> offered = new java.util.ArrayList<>();
                for (String h : request.getHeaders().values("Sec-WebSocket-Protocol")) offered.add(h);
                verdict = engine.checkPluginHandshake(PluginSockets.token(query, PluginSockets.protocols(offered)));
            } else {
                verdict = engine.checkHandshake(params.getParameter("vsn"), params.getParameter("apikey"), request.getHeader("x-api-key"));
            }
            if (verdict.accepted()) {
                checked.set(connection, Boolean.TRUE);
                return ctx.getInvokeAction();
            }
            NextAction suspend = ctx.getSuspendAction();
            timer.schedule(() -> refuse(ctx, request, verdict), verdict.delayMs(), TimeUnit.MILLISECONDS);
            return suspend;
        }

        private void refuse(FilterChainContext ctx, HttpRequestPacket request, HandshakeVerdict verdict) {
            HttpResponsePacket response = request.getResponse();
            response.setStatus(verdict.status());
            response.setProtocol(request.getProtocol());
            response.getHeaders().setValue("Connection").setString("close");
            byte[] body = verdict.body().getBytes(StandardCharsets.UTF_8);
            if (body.length > 0) {
                // Set as a raw header: for an upgrade request Grizzly's codec skips its own content-type handling.
                response.getHeaders().addValue("Content-Type").setString("application/json");
            }
            response.setContentLength(body.length);
            Buffer buffer = Buffers.wrap(ctx.getMemoryManager(), body);
            Connection<?> connection = ctx.getConnection();
            ctx.write(HttpContent.builder(response).content(buffer).last(true).build(), new EmptyCompletionHandler<WriteResult>() {
                @Override
                public void completed(WriteResult result) {
                    connection.closeSilently();
                }

                @Override
                public void failed(Throwable throwable) {
                    connection.closeSilently();
                }
            });
            ctx.completeAndRecycle();
        }
    }
}
