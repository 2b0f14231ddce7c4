-- Both tables are internal to the plugin (never published): the app roles a Supabase-style database grants SELECT on
-- public tables by default must not read raw events (user ids, properties such as URLs with tokens) either.
DO $$
DECLARE
    r text;
BEGIN
    FOREACH r IN ARRAY ARRAY['anon', 'authenticated'] LOOP
        IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = r) THEN
            EXECUTE format('REVOKE ALL ON TABLE analytics_events, analytics_rollups FROM %I', r);
            EXECUTE format('REVOKE ALL ON SEQUENCE analytics_events_id_seq FROM %I', r);
        END IF;
    END LOOP;
END $$;
