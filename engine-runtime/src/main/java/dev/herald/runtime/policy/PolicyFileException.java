package dev.herald.runtime.policy;

/**
 * A policy file that cannot be used. The message names the file, the entry and the field, e.g.
 * {@code policies.json: channels[1].read.roles[0]: must be a non-empty string}.
 */
public final class PolicyFileException extends RuntimeException {
    public PolicyFileException(String message) {
        super(message);
    }

    public PolicyFileException(String message, Throwable cause) {
        super(message, cause);
    }
}
