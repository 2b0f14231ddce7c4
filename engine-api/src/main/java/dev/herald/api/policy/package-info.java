/**
 * Access policies: who may join a private channel, send broadcasts, read and write presence on it
 * ({@link dev.herald.api.policy.ChannelPolicy}), and which changes of a table a subscriber may see
 * ({@link dev.herald.api.policy.RowPolicy}).
 *
 * <p>Policies are plain Java predicates over the subscriber's token claims ({@link dev.herald.api.policy.Principal})
 * and, for rows, the row values the engine already decoded, so no database round-trip is needed per check. They come
 * from plugins and from the operator's policy file; the engine combines them (deny overrides, then any allow, otherwise
 * deny for channels; any allow for rows). Every type here is immutable or stateless and safe to share between threads.
 */
package dev.herald.api.policy;
