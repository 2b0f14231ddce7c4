package dev.herald.api.plugin;

import java.util.List;

/** A plugin with WebSocket endpoints under {@code /plugins/<id>/} (see {@link SocketEndpoint}). */
public interface ServesSockets extends Plugin {
    /** The endpoints, each with its own path. Called once, after {@link Plugin#start}. */
    List<SocketEndpoint> sockets();
}
