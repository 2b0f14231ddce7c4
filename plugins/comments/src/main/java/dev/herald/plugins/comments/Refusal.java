package dev.herald.plugins.comments;

import dev.herald.api.ErrorCode;

/** A request the store refuses: 400, 403 (not the author), 404 (no such comment or parent). */
final class Refusal extends RuntimeException {
    private final int status;
    private final ErrorCode code;

    Refusal(int status, ErrorCode code, String message) {
        super(message, null, false, false);
        this.status = status;
        this.code = code;
    }

    int status() {
        return status;
    }

    ErrorCode code() {
        return code;
    }

    static Refusal notFound(long id) {
        return new Refusal(404, ErrorCode.PLUGIN_NOT_FOUND, "comment " + id + " does not exist or was deleted");
    }
}
