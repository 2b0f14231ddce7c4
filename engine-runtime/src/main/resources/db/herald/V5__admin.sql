-- Settings changed through the admin API (limits), applied again on the next start over the configured values.
CREATE TABLE admin_settings (
    key         text        PRIMARY KEY,
    value       text        NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now(),
    updated_by  text        NOT NULL
);
-- Who changed which setting from what to what, and when.
CREATE TABLE admin_audit (
    id         bigserial   PRIMARY KEY,
    at         timestamptz NOT NULL DEFAULT now(),
    actor      text        NOT NULL,
    setting    text        NOT NULL,
    old_value  text,
    new_value  text        NOT NULL
);
CREATE INDEX admin_audit_at ON admin_audit (at);
