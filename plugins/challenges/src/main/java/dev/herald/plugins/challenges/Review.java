package dev.herald.plugins.challenges;

import dev.herald.plugins.support.JsonInput;
import dev.herald.plugins.support.ApiError;

import jakarta.ws.rs.WebApplicationException;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The review of a submission: {@code submitted} may become {@code accepted} or {@code rejected}, once, by the
 * challenge's creator. Pure.
 */
final class Review {
    static final List<String> DECISIONS = List.of("accepted", "rejected");

    private Review() {
    }

    /** The decision in a review body {@code {"status": "accepted" | "rejected"}}. */
    static String decision(Map<String, Object> body) {
        return JsonInput.of(body, Set.of("status")).requiredChoice("status", DECISIONS);
    }

    /**
     * Checks a review of a submission in state {@code current} by {@code reviewer} of a challenge created by
     * {@code challengeOwner}.
     *
     * @throws WebApplicationException 403 when the reviewer is not the challenge's creator, 409 when the
     *         submission was already reviewed or the challenge is closed
     */
    static void check(String current, String reviewer, String challengeOwner, String challengeStatus) {
        if (!reviewer.equals(challengeOwner)) throw ApiError.forbidden("only the challenge's creator may review its submissions");
        if (!"submitted".equals(current)) throw ApiError.conflict("the submission was already " + current + "; a review is final");
        if ("closed".equals(challengeStatus)) throw ApiError.conflict("the challenge is closed");
    }

    /** The text of the notification a new submission gives the challenge's creator. */
    static String receivedMessage(String submitter, String challengeTitle) {
        return submitter + " submitted to \"" + challengeTitle + "\"";
    }

    /** The text of the notification a review gives the submitter. */
    static String reviewedMessage(String decision, String challengeTitle) {
        return "Your submission to \"" + challengeTitle + "\" was " + decision;
    }
}
