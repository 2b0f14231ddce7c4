-- Debezium source offsets, written only after the changes they cover have been fanned out.
CREATE TABLE cdc_offsets (
    offset_key   bytea PRIMARY KEY,
    offset_value bytea,
    updated_at   timestamptz NOT NULL DEFAULT now()
);
