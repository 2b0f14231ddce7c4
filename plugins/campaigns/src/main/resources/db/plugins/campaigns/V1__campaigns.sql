-- status follows the state machine in docs/plugins/campaigns.md (CampaignStatus); the CHECK keeps out unknown values,
-- the plugin keeps out illegal transitions.
CREATE TABLE campaigns (
    id            bigserial PRIMARY KEY,
    created_by    text          NOT NULL,
    name          text          NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    description   text          NOT NULL DEFAULT '',
    status        text          NOT NULL DEFAULT 'draft'
                  CHECK (status IN ('draft', 'pending_approval', 'approved', 'rejected', 'active', 'paused', 'completed')),
    budget        numeric(14, 2) CHECK (budget IS NULL OR budget >= 0),
    impressions   bigint        NOT NULL DEFAULT 0 CHECK (impressions >= 0),
    clicks        bigint        NOT NULL DEFAULT 0 CHECK (clicks >= 0),
    conversions   bigint        NOT NULL DEFAULT 0 CHECK (conversions >= 0),
    decided_by    text,
    decision_note text,
    created_at    timestamptz   NOT NULL DEFAULT now(),
    updated_at    timestamptz   NOT NULL DEFAULT now()
);
CREATE INDEX campaigns_created_by ON campaigns (created_by);
CREATE INDEX campaigns_status ON campaigns (status);
-- DELETE events then carry id, status and owner for the id=eq.{id} default filter.
ALTER TABLE campaigns REPLICA IDENTITY FULL;
