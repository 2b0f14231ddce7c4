package dev.herald.runtime.cdc;

import dev.herald.runtime.protocol.Outbound;

/**
 * What change capture delivers to: the holder of one or more postgres_changes bindings (a joined channel). The cdc
 * package knows its subscribers only through this interface.
 *
 * <p>Threading: {@link #deliver} and {@link #bindingFailed} are called on the change-feed thread for live changes,
 * and {@link #deliver} and {@link #changesRecovered} on the subscription executor while this subscriber's own replay
 * runs; both hold the feed's dispatch lock, so calls for one subscriber never overlap.
 *
 * <p>Ordering: per subscriber, changes arrive in commit order; on a resume, the replayed changes come first, then
 * {@link #changesRecovered}, then live changes, with nothing interleaved.
 *
 * <p>Delivery: every method hands off (to an outbound queue) and returns; none may block, and a slow subscriber must
 * not hold up the feed. The same {@link Outbound} instance may be handed to many subscribers: it must not be changed.
 * Subscribers are keys of identity maps: equality must be identity.
 */
public interface Subscriber {

    /** The topic the subscriber joined ({@code realtime:...}): the topic of the frames it is sent, and for logs. */
    String topic();

    /** One encoded postgres_changes message for this subscriber. */
    void deliver(Outbound message);

    /**
     * The outcome of a resume: {@code recovered} with the number of changes replayed, or not recovered (the window no
     * longer covers the position asked for, so the client must reload).
     */
    void changesRecovered(boolean recovered, int count);

    /**
     * A binding of this subscriber threw while a change was evaluated; its bindings are already skipped for that
     * change and the subscriber is expected to unsubscribe and tell its client.
     */
    void bindingFailed(Exception error);
}
