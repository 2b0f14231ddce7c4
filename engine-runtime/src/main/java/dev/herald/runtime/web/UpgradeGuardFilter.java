package dev.herald.runtime.web;

import dev.herald.runtime.admin.AdminThrottleFilter;
import dev.herald.runtime.boot.Engine;
import dev.herald.runtime.core.HandshakeVerdict;
import jakarta.inject.Inject;
import jakarta.servlet.AsyncContext;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.annotation.WebFilter;
import jakarta.servlet.http.HttpFilter;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * In an application server: refuses a bad WebSocket upgrade with an HTTP status and a JSON body before the
 * container's WebSocket filter sees it (a container handshake refusal can only set a status). The refusal delay
 * runs asynchronously, so no request thread waits.
 */
@WebFilter(urlPatterns = {"/realtime/v1/websocket", "/socket/websocket", "/plugins/*", "/admin/*"}, asyncSupported = true)
public class UpgradeGuardFilter extends HttpFilter {
    @Inject
    Engine engine;

    @Override
    protected void doFilter(HttpServletRequest req, HttpServletResponse res, FilterChain chain) throws IOException, ServletException {
        // The admin API throttles by client address; in an application server this is where it is known.
        req.setAttribute(AdminThrottleFilter.REMOTE_ADDRESS, req.getRemoteAddr());
        if (!"websocket".equalsIgnoreCase(req.getHeader("Upgrade"))) {
            chain.doFilter(req, res);
            return;
        }
        String path = req.getRequestURI().substring(req.getContextPath().length());
        HandshakeVerdict v = path.startsWith("/plugins/")
                ? engine.checkPluginHandshake(PluginSockets.token(req.getParameterMap() == null ? Map.of() : toLists(req.getParameterMap()),
                        PluginSockets.protocols(Collections.list(req.getHeaders("Sec-WebSocket-Protocol")))))
                : engine.checkHandshake(req.getParameter("vsn"), req.getParameter("apikey"), req.getHeader("x-api-key"));
        if (v.accepted()) {
            chain.doFilter(req, res);
            return;
        }
        if (v.delayMs() <= 0 || !req.isAsyncSupported()) {
            refuse(res, v);
            return;
        }
        AsyncContext async = req.startAsync();
        async.setTimeout(v.delayMs() + 5_000);
        CompletableFuture.delayedExecutor(v.delayMs(), TimeUnit.MILLISECONDS).execute(() -> {
            try {
                refuse((HttpServletResponse) async.getResponse(), v);
            } catch (IOException ignored) {
                // client went away while we waited
            } finally {
                async.complete();
            }
        });
    }

    private static Map<String, List<String>> toLists(Map<String, String[]> params) {
        Map<String, List<String>> out = new HashMap<>();
        params.forEach((k, v) -> out.put(k, List.of(v)));
        return out;
    }

    private static void refuse(HttpServletResponse res, HandshakeVerdict v) throws IOException {
        res.setStatus(v.status());
        if (!v.body().isEmpty()) {
            byte[] body = v.body().getBytes(StandardCharsets.UTF_8);
            res.setContentType("application/json");
            res.setContentLength(body.length);
            res.getOutputStream().write(body);
        }
    }
}
