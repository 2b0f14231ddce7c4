package dev.herald.api.policy;

/**
 * A policy's answer. The engine combines the answers of every policy whose topic pattern matches: any {@link #DENY}
 * wins, otherwise one {@link #ALLOW} suffices, otherwise (only abstentions, or no matching policy) the action is denied.
 */
public enum Decision {
    /** Grant the action, unless another policy denies it. */
    ALLOW,
    /** Refuse the action, whatever other policies say. */
    DENY,
    /** No opinion: leave it to the other policies (and to the default deny). */
    ABSTAIN
}
