package dev.herald.runtime.boot;

/**
 * Where an {@link Engine} is in its life. It only moves forward: {@code STARTING → RUNNING → DRAINING → CLOSED}
 * (a failed start goes straight to {@code CLOSED}). Joins, upgrades and new messages are accepted only while
 * {@code RUNNING}.
 */
public enum EngineState {
    /** {@link EngineBootstrap} is running its steps; no connection is accepted yet. */
    STARTING,
    /** Accepting connections, joins and messages. */
    RUNNING,
    /** A graceful shutdown has begun: nothing new is accepted, queued frames drain. */
    DRAINING,
    /** Closed; every resource is released. */
    CLOSED
}
