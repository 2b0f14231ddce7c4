package dev.herald.runtime.protocol;

/** A frame that cannot be decoded; the socket drops it and stays open. */
public class MalformedMessageException extends Exception {
    public MalformedMessageException(String message) {
        super(message, null, false, false);
    }
}
