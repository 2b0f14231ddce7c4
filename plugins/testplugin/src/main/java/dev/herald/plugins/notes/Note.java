package dev.herald.plugins.notes;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.GeneratedValue;
import jakarta.persistence.GenerationType;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.Instant;

/** A row of {@code public.notes}. */
@Entity
@Table(name = "notes", schema = "public")
public class Note {
    @Id
    @GeneratedValue(strategy = GenerationType.IDENTITY)
    Long id;

    @Column(nullable = false)
    String owner;

    @Column(nullable = false)
    String topic;

    @Column(nullable = false)
    String body;

    @Column(name = "created_at", insertable = false, updatable = false)
    Instant createdAt;

    protected Note() {
    }

    Note(String owner, String topic, String body) {
        this.owner = owner;
        this.topic = topic;
        this.body = body;
    }

    /** The JSON shape the REST API returns. */
    record View(long id, String owner, String topic, String body) {
    }

    View view() {
        return new View(id, owner, topic, body);
    }
}
