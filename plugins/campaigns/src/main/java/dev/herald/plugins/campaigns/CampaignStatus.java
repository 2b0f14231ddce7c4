package dev.herald.plugins.campaigns;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The campaign lifecycle. Every legal move is listed in {@link #TRANSITIONS} with who may make it; anything else is
 * illegal (409). Pure and immutable.
 *
 * <pre>
 *   draft ──owner──▶ pending_approval ──approver──▶ approved ──owner──▶ active ◀──owner──▶ paused
 *     ▲                 │      │                                        │                   │
 *     └──owner (withdraw)┘      └──approver──▶ rejected ──owner──▶ draft  └──owner──▶ completed ◀──owner──┘
 * </pre>
 */
enum CampaignStatus {
    DRAFT, PENDING_APPROVAL, APPROVED, REJECTED, ACTIVE, PAUSED, COMPLETED;

    /** Who may make a move. */
    enum Actor {
        /** The campaign's creator (JWT sub = created_by), or the service role. */
        OWNER,
        /** A holder of the approver role claim other than the creator, or the service role. */
        APPROVER
    }

    /** One legal move. */
    record Transition(CampaignStatus from, CampaignStatus to, Actor actor) {
    }

    static final List<Transition> TRANSITIONS = List.of(
            new Transition(DRAFT, PENDING_APPROVAL, Actor.OWNER),
            new Transition(PENDING_APPROVAL, DRAFT, Actor.OWNER),
            new Transition(PENDING_APPROVAL, APPROVED, Actor.APPROVER),
            new Transition(PENDING_APPROVAL, REJECTED, Actor.APPROVER),
            new Transition(REJECTED, DRAFT, Actor.OWNER),
            new Transition(APPROVED, ACTIVE, Actor.OWNER),
            new Transition(ACTIVE, PAUSED, Actor.OWNER),
            new Transition(PAUSED, ACTIVE, Actor.OWNER),
            new Transition(ACTIVE, COMPLETED, Actor.OWNER),
            new Transition(PAUSED, COMPLETED, Actor.OWNER));

    private static final Map<String, CampaignStatus> BY_WIRE = Map.of(
            "draft", DRAFT, "pending_approval", PENDING_APPROVAL, "approved", APPROVED, "rejected", REJECTED,
            "active", ACTIVE, "paused", PAUSED, "completed", COMPLETED);

    /** The value stored in the table and shown in JSON, e.g. {@code pending_approval}. */
    String wire() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Every wire value, in lifecycle order. */
    static List<String> wireValues() {
        return Arrays.stream(values()).map(CampaignStatus::wire).toList();
    }

    /** The status named {@code wire}, or null for an unknown name. */
    static CampaignStatus ofWire(String wire) {
        return wire == null ? null : BY_WIRE.get(wire);
    }

    /** The legal move from this status to {@code to}, or null when there is none. */
    Transition to(CampaignStatus to) {
        for (Transition t : TRANSITIONS) {
            if (t.from() == this && t.to() == to) return t;
        }
        return null;
    }

    /** Where this status may go next (in lifecycle order); empty for {@link #COMPLETED}. */
    List<String> next() {
        List<String> out = new ArrayList<>();
        for (Transition t : TRANSITIONS) if (t.from() == this) out.add(t.to().wire());
        return out;
    }

    /** Whether the campaign's name, description and budget may still be edited (before it is submitted again). */
    boolean editable() {
        return this == DRAFT || this == REJECTED;
    }

    /** Whether metrics may be recorded (only while the campaign runs). */
    boolean collectsMetrics() {
        return this == ACTIVE;
    }
}
