package dev.herald.plugins.voice;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herald.api.plugin.SocketEndpoint;
import dev.herald.api.policy.Principal;
import jakarta.websocket.CloseReason;
import jakarta.websocket.Endpoint;
import jakarta.websocket.EndpointConfig;
import jakarta.websocket.MessageHandler;
import jakarta.websocket.Session;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * One browser connection at {@code /plugins/voice/relay}, relayed to one upstream Realtime connection opened with the
 * server's key.
 *
 * <h2>Order of events</h2>
 * The upstream socket is opened when the browser's is. Its {@code session.created} is forwarded, then the relay sends
 * the configured {@code session.update}; frames the browser sent before that are held and sent right after it, in
 * order. From then on frames pass both ways untouched: text as text, binary as binary, the same bytes (a
 * browser's own {@code session.update} passes too). The relay reads each text frame on the side, to save completed
 * transcripts and count audio.
 *
 * <h2>Threads</h2>
 * Browser frames arrive on the container's thread for this connection, one at a time; they are chained onto the
 * upstream socket's send queue (sends never overlap, as {@link WebSocket} requires). When more than
 * {@link #MAX_PENDING_BYTES} wait there, the browser's thread waits, which pushes back on the browser. Upstream
 * frames arrive on the HTTP client's executor, one at a time ({@link WebSocket#request} is called after each is
 * delivered), and each is written to the browser before the next is read, so a slow browser slows the upstream read
 * (and one that stops reading for {@link #CLIENT_SEND_TIMEOUT_SECONDS} is disconnected).
 * Transcripts go to {@link TranscriptStore}, which never blocks.
 *
 * <h2>Closing</h2>
 * Whichever side closes first, the other is closed with the same status code where the WebSocket rules allow it
 * (1000, 1001, 1008, 1011 and 3000-4999; other codes become 1000 or 1011) and the same reason. The per-user slot is
 * given back and usage is recorded once.
 */
final class RelayEndpoint extends Endpoint {
    private static final Logger LOG = Logger.getLogger(RelayEndpoint.class.getName());
    private static final JsonNodeFactory JSON = JsonNodeFactory.instance;
    static final long MAX_PENDING_BYTES = 8L * 1024 * 1024;
    static final int MAX_MESSAGE_BYTES = 16 * 1024 * 1024;
    static final long CLIENT_SEND_TIMEOUT_SECONDS = 30;

    private final VoiceService service;
    private final String relayId = UUID.randomUUID().toString();
    private final AtomicBoolean closed = new AtomicBoolean();
    private final long openedNanos = System.nanoTime();

    private volatile Session client;
    private volatile String user;
    private volatile WebSocket upstream;
    private volatile String upstreamSessionId;
    private volatile ScheduledFuture<?> expiry;
    private volatile boolean slotHeld;

    /** Guards the send chain, the held frames and whether the session update went out. */
    private final Object sendLock = new Object();
    private CompletableFuture<?> sendTail = CompletableFuture.completedFuture(null);
    private final List<Object> held = new ArrayList<>();
    private boolean configured;
    private long pendingBytes;

    /** Guards sends to the browser (the upstream reader and a closing thread may both write). */
    private final Object clientLock = new Object();

    private final AtomicLong framesIn = new AtomicLong();
    private final AtomicLong framesOut = new AtomicLong();
    private final AtomicLong bytesIn = new AtomicLong();
    private final AtomicLong bytesOut = new AtomicLong();
    private final AtomicLong audioIn = new AtomicLong();
    private final AtomicLong audioOut = new AtomicLong();

    RelayEndpoint(VoiceService service) {
        this.service = service;
    }

    @Override
    public void onOpen(Session session, EndpointConfig config) {
        this.client = session;
        Principal who = (Principal) session.getUserProperties().get(SocketEndpoint.PRINCIPAL);
        VoiceSettings settings = service.settings();
        if (who == null || who.subject() == null) {
            refuse(CloseReason.CloseCodes.VIOLATED_POLICY, "VoiceSignInRequired", "voice sessions belong to a signed-in user (the token has no sub)");
            return;
        }
        user = who.subject();
        if (!settings.hasApiKey()) {
            refuse(CloseReason.CloseCodes.UNEXPECTED_CONDITION, "VoiceNotConfigured",
                    "the voice service has no API key configured (HERALD_PLUGINS_VOICE_API_KEY or api-key-file)");
            return;
        }
        if (!service.limiter().tryAcquire(user)) {
            refuse(CloseReason.CloseCodes.VIOLATED_POLICY, "VoiceSessionLimit",
                    "at most " + service.limiter().perUser() + " concurrent voice session(s) per user");
            return;
        }
        slotHeld = true;
        service.opened(this);
        session.addMessageHandler(String.class, (MessageHandler.Whole<String>) this::fromClient);
        session.addMessageHandler(ByteBuffer.class, (MessageHandler.Whole<ByteBuffer>) this::fromClient);
        expiry = service.later(() -> closeBoth(CloseReason.CloseCodes.VIOLATED_POLICY.getCode(),
                "VoiceSessionExpired: the session reached " + settings.maxSessionSeconds() + " s", true, true),
                settings.maxSessionSeconds(), TimeUnit.SECONDS);

        WebSocket.Builder builder = service.http().newWebSocketBuilder()
                .connectTimeout(Duration.ofMillis(settings.connectTimeoutMs()))
                .header("Authorization", "Bearer " + settings.apiKey());
        if (settings.flavour().betaHeader() != null) builder.header(Flavour.BETA_HEADER, settings.flavour().betaHeader());
        builder.buildAsync(settings.socketUri(), new UpstreamListener()).whenComplete((ws, error) -> {
            if (error != null) {
                String why = UpstreamFailure.describe(error);
                service.upstream().failed("relay connection: " + why);
                LOG.info("voice: upstream connection for relay " + relayId + " failed: " + why);
                sendErrorEvent("VoiceUpstreamFailed", "the voice service refused the connection: " + why);
                closeBoth(CloseReason.CloseCodes.UNEXPECTED_CONDITION.getCode(), "VoiceUpstreamFailed: " + why, true, false);
                return;
            }
            service.upstream().succeeded();
            upstream = ws;
            if (closed.get()) ws.sendClose(WebSocket.NORMAL_CLOSURE, "client closed");
        });
    }

    /** A frame from the browser: held until the session is configured, then chained onto the upstream send queue. */
    private void fromClient(Object frame) {
        if (closed.get()) return;
        long size;
        if (frame instanceof String text) {
            size = text.length();
            EventPeek peek = EventPeek.of(text);
            if (Flavour.INPUT_AUDIO_APPEND.equals(peek.type())) audioIn.addAndGet(peek.audioBytes());
        } else {
            ByteBuffer copy = copy((ByteBuffer) frame);
            frame = copy;
            size = copy.remaining();
        }
        framesIn.incrementAndGet();
        bytesIn.addAndGet(size);
        CompletableFuture<?> wait = null;
        synchronized (sendLock) {
            if (!configured) {
                held.add(frame);
                pendingBytes += size;
                if (pendingBytes > MAX_PENDING_BYTES) {
                    // The upstream has not even said hello; holding more would only grow memory.
                    wait = CompletableFuture.failedFuture(new IOException("too much audio before the session started"));
                }
            } else {
                pendingBytes += size;
                chain(frame, size);
                if (pendingBytes > MAX_PENDING_BYTES) wait = sendTail;
            }
        }
        if (wait != null) {
            try {
                wait.get(service.settings().connectTimeoutMs(), TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (ExecutionException | TimeoutException e) {
                closeBoth(CloseReason.CloseCodes.UNEXPECTED_CONDITION.getCode(), "VoiceUpstreamSlow: the voice service does not keep up", true, true);
            }
        }
    }

    /**
     * Appends one frame to the upstream send queue. Caller holds {@link #sendLock}, has set {@link #upstream} and
     * has added {@code size} to {@link #pendingBytes}.
     */
    private void chain(Object frame, long size) {
        WebSocket ws = upstream;
        sendTail = sendTail.thenCompose(v -> frame instanceof String text ? ws.sendText(text, true) : ws.sendBinary((ByteBuffer) frame, true))
                .whenComplete((v, error) -> {
                    synchronized (sendLock) {
                        pendingBytes -= size;
                    }
                    if (error != null && !closed.get()) {
                        service.upstream().failed("relay: sending to the voice service failed");
                        closeBoth(CloseReason.CloseCodes.UNEXPECTED_CONDITION.getCode(), "VoiceUpstreamFailed: sending to the voice service failed", true, true);
                    }
                });
    }

    /** After {@code session.created}: the configured session update, then what the browser sent so far. */
    private void configure(WebSocket ws) {
        synchronized (sendLock) {
            if (configured) return;
            upstream = ws;
            String update = service.settings().flavour().sessionUpdate(service.settings()).toString();
            pendingBytes += update.length();
            chain(update, update.length());
            for (Object frame : held) {
                // Held frames were counted in pendingBytes when they arrived.
                chain(frame, frame instanceof String s ? s.length() : ((ByteBuffer) frame).remaining());
            }
            held.clear();
            configured = true;
        }
    }

    /** A whole text frame from the upstream. */
    private void fromUpstream(WebSocket ws, String text) {
        EventPeek peek = EventPeek.of(text);
        framesOut.incrementAndGet();
        bytesOut.addAndGet(text.length());
        toClient(text);
        String type = peek.type();
        if (type == null) return;
        Flavour flavour = service.settings().flavour();
        if (type.equals(Flavour.SESSION_CREATED)) {
            if (peek.sessionId() != null) upstreamSessionId = peek.sessionId();
            configure(ws);
        } else if (type.equals(flavour.audioDeltaEvent())) {
            audioOut.addAndGet(peek.audioBytes());
        } else if (type.equals(Flavour.INPUT_TRANSCRIPTION_COMPLETED)) {
            service.transcripts().save(user, sessionId(), TranscriptStore.Role.user, peek.itemId(), peek.transcript());
        } else if (type.equals(flavour.transcriptDoneEvent())) {
            service.transcripts().save(user, sessionId(), TranscriptStore.Role.assistant, peek.itemId(), peek.transcript());
        }
    }

    private void fromUpstream(ByteBuffer data) {
        framesOut.incrementAndGet();
        bytesOut.addAndGet(data.remaining());
        toClient(s -> s.getAsyncRemote().sendBinary(data));
    }

    private void toClient(String text) {
        toClient(s -> s.getAsyncRemote().sendText(text));
    }

    /**
     * Sends one frame to the browser and waits for it to be written, at most {@link #CLIENT_SEND_TIMEOUT_SECONDS}: a
     * browser that stops reading ends its session instead of holding the upstream reader forever.
     */
    private void toClient(Function<Session, Future<Void>> send) {
        Session s = client;
        synchronized (clientLock) {
            if (s == null || !s.isOpen()) return;
            try {
                send.apply(s).get(CLIENT_SEND_TIMEOUT_SECONDS, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (TimeoutException e) {
                closeBoth(CloseReason.CloseCodes.UNEXPECTED_CONDITION.getCode(), "VoiceClientSlow: the client does not read its frames", true, true);
            } catch (ExecutionException | RuntimeException e) {
                closeBoth(CloseReason.CloseCodes.GOING_AWAY.getCode(), "client unreachable", false, true);
            }
        }
    }

    /** The id transcripts are filed under: the upstream's session id, or the relay's own before it is known. */
    private String sessionId() {
        String id = upstreamSessionId;
        return id == null ? relayId : id;
    }

    @Override
    public void onClose(Session session, CloseReason reason) {
        closeBoth(reason.getCloseCode().getCode(), reason.getReasonPhrase(), false, true);
    }

    @Override
    public void onError(Session session, Throwable error) {
        LOG.log(Level.FINE, "voice: relay " + relayId + " client error", error);
        closeBoth(CloseReason.CloseCodes.UNEXPECTED_CONDITION.getCode(), "client connection failed", true, true);
    }

    /** Refuses the connection before any upstream exists: an error event in the Realtime shape, then a close. */
    private void refuse(CloseReason.CloseCode code, String errorCode, String message) {
        service.relayRefused();
        sendErrorEvent(errorCode, message);
        closeClient(code.getCode(), errorCode + ": " + message);
    }

    /** Sends an {@code error} event shaped like the upstream's, so Realtime clients show it where they show others. */
    private void sendErrorEvent(String code, String message) {
        ObjectNode event = JSON.objectNode().put("type", "error");
        event.putObject("error").put("type", "server_error").put("code", code).put("message", message);
        toClient(event.toString());
    }

    /**
     * Closes both sides once: the browser (when {@code toClient}) and the upstream (when {@code toUpstream} and it is
     * open), gives the user's slot back and records usage.
     */
    void closeBoth(int code, String reason, boolean toClient, boolean toUpstream) {
        if (!closed.compareAndSet(false, true)) return;
        ScheduledFuture<?> e = expiry;
        if (e != null) e.cancel(false);
        if (toClient) closeClient(code, reason);
        WebSocket ws = upstream;
        if (toUpstream && ws != null && !ws.isOutputClosed()) {
            ws.sendClose(upstreamCode(code), trim(reason == null ? "" : reason))
                    .orTimeout(2, TimeUnit.SECONDS)
                    .whenComplete((v, error) -> {
                        if (error != null) ws.abort();
                    });
            // The upstream answers a close with its own; if it does not, do not keep the connection forever.
            service.later(() -> {
                if (!ws.isInputClosed()) ws.abort();
            }, 5, TimeUnit.SECONDS);
        }
        synchronized (sendLock) {
            held.clear();
        }
        if (slotHeld) {
            service.limiter().release(user);
            service.closed(this);
            recordUsage();
        }
    }

    /** Closes the browser's side; deliberately outside {@link #clientLock}, so it also ends a send that is stuck. */
    private void closeClient(int code, String reason) {
        Session s = client;
        if (s == null || !s.isOpen()) return;
        try {
            s.close(new CloseReason(CloseReason.CloseCodes.getCloseCode(clientCode(code)), trim(reason == null ? "" : reason)));
        } catch (IOException | RuntimeException ignored) {
            // already gone
        }
    }

    private void recordUsage() {
        double seconds = (System.nanoTime() - openedNanos) / 1e9;
        service.recordUsage(user, Map.of(
                "session_id", sessionId(),
                "flavour", service.settings().flavour().name().toLowerCase(Locale.ROOT),
                "model", service.settings().model(),
                "seconds", Math.round(seconds * 1000) / 1000.0,
                "audio_bytes_in", audioIn.get(),
                "audio_bytes_out", audioOut.get(),
                "frames_in", framesIn.get(),
                "frames_out", framesOut.get(),
                "bytes_in", bytesIn.get(),
                "bytes_out", bytesOut.get()));
    }

    /** Usage counters so far: audio bytes the browser appended and the assistant sent. */
    long audioBytesIn() {
        return audioIn.get();
    }

    long audioBytesOut() {
        return audioOut.get();
    }

    /** A status code the browser side may be sent. */
    static int clientCode(int code) {
        if (code == 1000 || code == 1001 || code == 1008 || code == 1011 || (code >= 3000 && code <= 4999)) return code;
        if (code == 1005) return 1000;
        return 1011;
    }

    /** A status code {@link WebSocket#sendClose} accepts and means the same. */
    static int upstreamCode(int code) {
        if (code == 1000 || code == 1008 || code == 1011 || (code >= 3000 && code <= 4999)) return code;
        return WebSocket.NORMAL_CLOSURE;
    }

    /** A close reason fits in 123 UTF-8 bytes. */
    static String trim(String reason) {
        byte[] bytes = reason.getBytes(StandardCharsets.UTF_8);
        if (bytes.length <= 123) return reason;
        String s = reason;
        while (s.getBytes(StandardCharsets.UTF_8).length > 120) s = s.substring(0, s.length() - 1);
        return s + "...";
    }

    private static ByteBuffer copy(ByteBuffer in) {
        ByteBuffer out = ByteBuffer.allocate(in.remaining());
        out.put(in.duplicate());
        out.flip();
        return out;
    }

    /** Receives the upstream socket's frames; the JDK calls it for one connection at a time. */
    private final class UpstreamListener implements WebSocket.Listener {
        private final StringBuilder text = new StringBuilder();
        private final ByteArrayOutputStream binary = new ByteArrayOutputStream();

        @Override
        public void onOpen(WebSocket ws) {
            upstream = ws;
            ws.request(1);
            // A service that never says session.created would leave the browser's frames held forever.
            int timeout = service.settings().connectTimeoutMs();
            service.later(() -> {
                boolean waiting;
                synchronized (sendLock) {
                    waiting = !configured;
                }
                if (waiting && !closed.get()) {
                    String why = "no session.created within " + timeout + " ms";
                    service.upstream().failed("relay: " + why);
                    sendErrorEvent("VoiceUpstreamFailed", "the voice service did not start the session: " + why);
                    closeBoth(CloseReason.CloseCodes.UNEXPECTED_CONDITION.getCode(), "VoiceUpstreamFailed: " + why, true, true);
                }
            }, timeout, TimeUnit.MILLISECONDS);
        }

        @Override
        public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
            text.append(data);
            if (last) {
                String whole = text.toString();
                text.setLength(0);
                if (!closed.get()) fromUpstream(ws, whole);
            }
            ws.request(1);
            return null;
        }

        @Override
        public CompletionStage<?> onBinary(WebSocket ws, ByteBuffer data, boolean last) {
            byte[] chunk = new byte[data.remaining()];
            data.get(chunk);
            binary.write(chunk, 0, chunk.length);
            if (last) {
                ByteBuffer whole = ByteBuffer.wrap(binary.toByteArray());
                binary.reset();
                if (!closed.get()) fromUpstream(whole);
            }
            ws.request(1);
            return null;
        }

        @Override
        public CompletionStage<?> onClose(WebSocket ws, int statusCode, String reason) {
            closeBoth(clientCode(statusCode), reason == null || reason.isEmpty() ? "the voice service closed the session" : reason, true, false);
            // Completes the closing handshake the upstream started.
            if (!ws.isOutputClosed()) return ws.sendClose(WebSocket.NORMAL_CLOSURE, "");
            return null;
        }

        @Override
        public void onError(WebSocket ws, Throwable error) {
            String why = UpstreamFailure.describe(error);
            // Once the relay has closed itself, an error from the torn-down connection says nothing about the upstream.
            if (!closed.get()) service.upstream().failed("relay: the connection broke (" + why + ")");
            LOG.info("voice: upstream connection of relay " + relayId + " failed: " + why);
            closeBoth(CloseReason.CloseCodes.UNEXPECTED_CONDITION.getCode(), "VoiceUpstreamFailed: the voice service connection broke", true, false);
        }
    }
}
