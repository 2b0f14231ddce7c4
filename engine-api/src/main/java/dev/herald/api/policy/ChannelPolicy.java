package dev.herald.api.policy;

/**
 * Authorises actions on private channels whose topic matches {@link #topicPattern()}. Public channels never consult
 * policies.
 *
 * <h2>Topic pattern</h2>
 * The pattern is matched against the channel's sub-topic, the name given to {@code supabase.channel(name)} (the wire
 * topic without its {@code realtime:} prefix). It is a list of segments separated by {@code :}, matched segment for
 * segment, case-sensitively:
 * <ul>
 *   <li>a literal segment ({@code room}) matches exactly that text;</li>
 *   <li>{@code *} matches any one non-empty segment;</li>
 *   <li>{@code **}, allowed only as the last segment, matches one or more remaining segments (the rest of the topic,
 *       which may itself contain {@code :}); a pattern of just {@code **} matches every topic;</li>
 *   <li>{@code {name}} matches any one non-empty segment and captures it under {@code name}.</li>
 * </ul>
 * A capture named after a claim ({@code {sub}}, {@code {role}}, {@code {email}}, {@code {phone}},
 * {@code {session_id}}, or any dotted claim path such as {@code {app_metadata.team}}) is <em>claim-bound</em>: the
 * pattern only matches when that segment equals the principal's claim value (compared as text), so
 * {@code user:{sub}} matches {@code user:<own sub>} only. A principal lacking that claim never matches.
 * Examples: {@code room:*}, {@code room:{id}:chat}, {@code user:{sub}}, {@code game:**}.
 *
 * <h2>Contract</h2>
 * <ul>
 *   <li>The engine asks only when the topic matches the pattern (including claim-bound captures), so
 *       {@link #decide} need not re-check it.</li>
 *   <li>{@link #decide} is called on join ({@link ChannelAction#READ}, and {@link ChannelAction#PRESENCE_READ} when
 *       presence is enabled), on each token refresh (reads again), and on the first broadcast or presence track of a
 *       channel (writes). The engine may cache an answer per channel and token, so a policy must not expect to be
 *       asked again for every message.</li>
 *   <li>It must be a pure function of its arguments: no I/O, no blocking, no locks held for long, no dependence on
 *       mutable state. It runs on socket threads; a slow policy stalls every channel of that connection. A policy
 *       that needs a database lookup must answer from a cache it maintains elsewhere.</li>
 *   <li>It must be thread-safe: it is called concurrently for many principals.</li>
 *   <li>It never returns null. A thrown exception (or null) is treated as {@link Decision#DENY} and logged.</li>
 *   <li>{@link #topicPattern()} returns the same valid pattern every time; an invalid pattern fails the start.</li>
 * </ul>
 */
public interface ChannelPolicy {
    /** The topic pattern this policy covers (syntax above). Constant. */
    String topicPattern();

    /**
     * Decides one action for one principal on one topic.
     *
     * @param action what the principal wants to do
     * @param topic the channel's sub-topic (without {@code realtime:}), already known to match {@link #topicPattern()}
     * @param principal the verified token of the channel
     * @return {@link Decision#ALLOW}, {@link Decision#DENY} or {@link Decision#ABSTAIN}; never null
     */
    Decision decide(ChannelAction action, String topic, Principal principal);
}
