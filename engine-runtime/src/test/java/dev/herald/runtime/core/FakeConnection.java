package dev.herald.runtime.core;

import com.fasterxml.jackson.databind.JsonNode;
import dev.herald.runtime.protocol.Json;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/** Records what the engine writes; writes complete inline unless {@link #stall} is set. */
public final class FakeConnection implements Connection {
    public final List<Object> frames = new ArrayList<>();
    public volatile Integer closeCode;
    public volatile boolean stall;

    @Override
    public synchronized void sendText(String text, Consumer<Throwable> done) {
        frames.add(text);
        if (!stall) done.accept(null);
    }

    @Override
    public synchronized void sendBinary(ByteBuffer data, Consumer<Throwable> done) {
        byte[] b = new byte[data.remaining()];
        data.get(b);
        frames.add(b);
        if (!stall) done.accept(null);
    }

    @Override
    public void close(int code, String reason) {
        if (closeCode == null) closeCode = code;
    }

    /** The close code, waiting briefly: server-side closes are issued from the engine's timer thread. */
    public Integer awaitClose() throws InterruptedException {
        long end = System.currentTimeMillis() + 2_000;
        while (closeCode == null && System.currentTimeMillis() < end) Thread.sleep(5);
        return closeCode;
    }

    @Override
    public String id() {
        return "fake";
    }

    public synchronized List<String> texts() {
        List<String> out = new ArrayList<>();
        for (Object f : frames) if (f instanceof String s) out.add(s);
        return out;
    }

    public synchronized List<byte[]> binaries() {
        List<byte[]> out = new ArrayList<>();
        for (Object f : frames) if (f instanceof byte[] b) out.add(b);
        return out;
    }

    public synchronized String last() {
        return (String) frames.get(frames.size() - 1);
    }

    /** Parsed text frames whose event (index 3 for v2, "event" for v1) equals {@code event}. */
    public synchronized List<JsonNode> events(String event) {
        List<JsonNode> out = new ArrayList<>();
        for (String t : texts()) {
            try {
                JsonNode n = Json.read(t);
                String e = n.isArray() ? n.get(3).asText() : n.get("event").asText();
                if (e.equals(event)) out.add(n);
            } catch (Exception ex) {
                throw new IllegalStateException(ex);
            }
        }
        return out;
    }

    public synchronized void clear() {
        frames.clear();
    }
}
