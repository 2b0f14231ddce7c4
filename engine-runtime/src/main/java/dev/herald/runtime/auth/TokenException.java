package dev.herald.runtime.auth;

import dev.herald.api.ErrorCode;

/** A token was refused; {@link #code()} and {@link #args()} render the exact wire text. */
public final class TokenException extends Exception {
    private final ErrorCode code;
    private final Object[] args;

    public TokenException(ErrorCode code, Object... args) {
        super(code.reason(args), null, false, false);
        this.code = code;
        this.args = args;
    }

    public ErrorCode code() {
        return code;
    }

    public Object[] args() {
        return args.clone();
    }

    /** {@code "Code: message"}, for join replies. */
    public String reason() {
        return code.reason(args);
    }

    /** The message alone, for upgrade refusals and channel shutdowns. */
    public String text() {
        return code.message(args);
    }
}
