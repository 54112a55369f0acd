-- Access to the workflow engine's tables (after src/security.sql).

-- The log and the outbox are written by the engine alone; members read
-- their organisations' transitions.
ALTER TABLE isms.transition_log ENABLE ROW LEVEL SECURITY;
ALTER TABLE isms.transition_log FORCE ROW LEVEL SECURITY;
CREATE POLICY member ON isms.transition_log FOR SELECT
    USING (org_id = ANY (isms.visible_orgs()));

-- A member sees an outbox row only when it can see one of the
-- transaction's moves, so a poller's LIMIT counts the transactions it can
-- read and the commit times and counts of other organisations' work stay
-- hidden.
ALTER TABLE isms.outbox ENABLE ROW LEVEL SECURITY;
ALTER TABLE isms.outbox FORCE ROW LEVEL SECURITY;
CREATE POLICY member ON isms.outbox FOR SELECT
    USING (EXISTS (SELECT FROM isms.transition_log l
                    WHERE l.log_id OPERATOR(pg_catalog.>=) outbox.first_log_id
                      AND l.log_id OPERATOR(pg_catalog.<=) outbox.last_log_id
                      AND l.xact_id OPERATOR(pg_catalog.=) outbox.xact_id));

-- Organisations tighten their own workflows; admins manage them.
ALTER TABLE isms.workflow_restriction ENABLE ROW LEVEL SECURITY;
CREATE POLICY member ON isms.workflow_restriction
    USING (org_id = ANY (isms.visible_orgs()))
    WITH CHECK (org_id = ANY (isms.visible_orgs()));
GRANT INSERT, UPDATE, DELETE ON isms.workflow_restriction TO isms_admin;


SELECT pg_catalog.pg_extension_config_dump('isms.transition_log', '');
SELECT pg_catalog.pg_extension_config_dump('isms.transition_log_log_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('isms.outbox', '');
SELECT pg_catalog.pg_extension_config_dump('isms.outbox_seq_seq', '');
SELECT pg_catalog.pg_extension_config_dump('isms.workflow_restriction', '');

-- The log and the outbox are append-only for every role, like the trail.
CREATE TRIGGER transition_log_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON isms.transition_log
    FOR EACH STATEMENT EXECUTE FUNCTION isms.append_only('log');
ALTER TABLE isms.transition_log ENABLE ALWAYS TRIGGER transition_log_append_only;
CREATE TRIGGER outbox_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON isms.outbox
    FOR EACH STATEMENT EXECUTE FUNCTION isms.append_only('log');
ALTER TABLE isms.outbox ENABLE ALWAYS TRIGGER outbox_append_only;
