package dev.herald.api.policy;

/**
 * What a principal wants to do on a private channel. The engine asks for each action at the moments Supabase Realtime
 * evaluates the matching RLS check on {@code realtime.messages} (docs/wire-protocol.md, Private channels).
 */
public enum ChannelAction {
    /** Join the channel and receive its broadcasts (Supabase: SELECT with {@code extension = 'broadcast'}). */
    READ,
    /** Send a broadcast to the channel, over the socket or REST (INSERT with {@code extension = 'broadcast'}). */
    BROADCAST_WRITE,
    /** Receive {@code presence_state} and {@code presence_diff} (SELECT with {@code extension = 'presence'}). */
    PRESENCE_READ,
    /** Track and untrack presence (INSERT with {@code extension = 'presence'}). */
    PRESENCE_WRITE
}
