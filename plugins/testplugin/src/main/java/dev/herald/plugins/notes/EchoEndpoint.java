package dev.herald.plugins.notes;

import dev.herald.api.plugin.SocketEndpoint;
import dev.herald.api.policy.Principal;
import jakarta.websocket.Endpoint;
import jakarta.websocket.EndpointConfig;
import jakarta.websocket.MessageHandler;
import jakarta.websocket.Session;

/** {@code /plugins/notes/echo}: greets the caller by its {@code sub}, then echoes each text message. One per connection. */
public final class EchoEndpoint extends Endpoint {
    private final String greeting;

    EchoEndpoint(String greeting) {
        this.greeting = greeting;
    }

    @Override
    public void onOpen(Session session, EndpointConfig config) {
        Principal who = (Principal) session.getUserProperties().get(SocketEndpoint.PRINCIPAL);
        String name = who.subject() == null ? who.role() : who.subject();
        session.getAsyncRemote().sendText("{\"greeting\":\"" + greeting + " " + name + "\"}");
        session.addMessageHandler(String.class, (MessageHandler.Whole<String>) text ->
                session.getAsyncRemote().sendText("{\"from\":\"" + name + "\",\"echo\":" + quote(text) + "}"));
    }

    private static String quote(String s) {
        StringBuilder b = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            if (c == '"' || c == '\\') b.append('\\').append(c);
            else if (c < 0x20) b.append(String.format("\\u%04x", (int) c));
            else b.append(c);
        }
        return b.append('"').toString();
    }
}
