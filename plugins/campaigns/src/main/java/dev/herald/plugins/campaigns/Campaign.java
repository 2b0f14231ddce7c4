package dev.herald.plugins.campaigns;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.GeneratedValue;
import jakarta.persistence.GenerationType;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.math.BigDecimal;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

/** A row of {@code public.campaigns}, read and written through Hibernate. */
@Entity
@Table(name = "campaigns", schema = "public")
public class Campaign {
    @Id
    @GeneratedValue(strategy = GenerationType.IDENTITY)
    Long id;

    @Column(name = "created_by", nullable = false, updatable = false)
    String createdBy;

    @Column(nullable = false)
    String name;

    @Column(nullable = false)
    String description = "";

    @Column(nullable = false)
    String status = CampaignStatus.DRAFT.wire();

    @Column(precision = 14, scale = 2)
    BigDecimal budget;

    @Column(nullable = false)
    long impressions;

    @Column(nullable = false)
    long clicks;

    @Column(nullable = false)
    long conversions;

    @Column(name = "decided_by")
    String decidedBy;

    @Column(name = "decision_note")
    String decisionNote;

    @Column(name = "created_at", insertable = false, updatable = false)
    Instant createdAt;

    // Set by the column default on insert (same clock as created_at), by the API on every change.
    @Column(name = "updated_at", insertable = false)
    Instant updatedAt;

    protected Campaign() {
    }

    Campaign(String createdBy, String name, String description, BigDecimal budget) {
        this.createdBy = createdBy;
        this.name = name;
        this.description = description == null ? "" : description;
        this.budget = budget;
    }

    CampaignStatus status() {
        return CampaignStatus.ofWire(status);
    }

    /** The JSON shape the REST API returns (snake_case like the table, so REST and postgres_changes rows look alike). */
    Map<String, Object> view() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", id);
        m.put("created_by", createdBy);
        m.put("name", name);
        m.put("description", description);
        m.put("status", status);
        m.put("next_statuses", status().next());
        m.put("budget", budget);
        m.put("impressions", impressions);
        m.put("clicks", clicks);
        m.put("conversions", conversions);
        m.put("decided_by", decidedBy);
        m.put("decision_note", decisionNote);
        m.put("created_at", createdAt == null ? null : createdAt.toString());
        m.put("updated_at", updatedAt == null ? null : updatedAt.toString());
        return m;
    }
}
