-- Fixture of the dump round trip: two organisations with a row in every
-- register (the pgTAP fixture), plus the cases a restore gets wrong first:
-- history in the audit columns, links both ways between audit findings and
-- nonconformities, stored evidence, review settings, a framework a user
-- added, and memberships.
\set ON_ERROR_STOP 1
CREATE EXTENSION isms;
\ir ../pgtap/fixture.psql
SELECT pg_temp.seed(1);
SELECT pg_temp.seed(2);

BEGIN;
SET LOCAL isms.actor = 'ann@example.com';
INSERT INTO isms.context_issue (org_id, title, origin, owner, created_at, created_by)
    VALUES (1, 'Written in 2023', 'internal', 'CISO', '2023-05-01 09:00+00', 'former.ciso@example.com');
INSERT INTO isms.nonconformity (org_id, title, description, requirement, source, finding_id, owner)
    VALUES (1, 'Finding became a nonconformity', 'Raised from finding 1', 'A.8.5', 'internal_audit', 1, 'CISO');
UPDATE isms.audit_finding SET requirement = 'A.8.5',
       nonconformity_id = (SELECT max(id) FROM isms.nonconformity WHERE org_id = 1)
 WHERE org_id = 1 AND id = 1;
INSERT INTO isms.evidence (org_id, record_table, record_id, content, media_type, description)
    SELECT 1, 'isms.nonconformity', max(id), '\x255044462d312e34', 'application/pdf', 'Audit report'
      FROM isms.nonconformity WHERE org_id = 1;
INSERT INTO isms.register_setting (org_id, relid, review_interval) VALUES (1, 'isms.risk', '6 months');
INSERT INTO isms.membership (org_id, role_name) VALUES (1, 'isms_reader');
INSERT INTO isms.framework (code, title) VALUES ('org-policy', 'Internal policy catalogue');
INSERT INTO isms.requirement (framework, ref, kind, title, theme) VALUES ('org-policy', 'P.1', 'theme', 'Access', 'access');
INSERT INTO isms.requirement (framework, ref, kind, title, parent, theme)
    VALUES ('org-policy', 'P.1.1', 'control', 'Least privilege', 'P.1', 'access');
INSERT INTO isms.mandatory_information (framework, clause, item, kind) VALUES ('org-policy', 'P.1', 'Access matrix', 'record');
COMMIT;

-- Workflow activity, as an application does it: a member role moving a
-- record, which writes the transition log and the outbox; and an
-- organisation's tightening of a workflow.
DO $$ BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'isms_dump_editor') THEN
        CREATE ROLE isms_dump_editor NOLOGIN;
    END IF;
END $$;
GRANT isms_editor TO isms_dump_editor;
INSERT INTO isms.membership (org_id, role_name) VALUES (1, 'isms_dump_editor');
INSERT INTO isms.workflow_restriction (org_id, workflow, from_state, to_state, disabled, note)
    VALUES (1, 'corrective_action', 'planned', 'withdrawn', true, 'Withdrawing needs a closed nonconformity instead');
SET ROLE isms_dump_editor;
SET isms.actor = 'dana@example.org';
INSERT INTO isms.corrective_action (org_id, nonconformity_id, action, owner)
    SELECT 1, max(id), 'Review backup jobs weekly', 'Operations' FROM isms.nonconformity WHERE org_id = 1;
SELECT isms.transition('isms.corrective_action', max(id), 'in_progress', 'Started')
  FROM isms.corrective_action WHERE org_id = 1;
RESET isms.actor;
RESET ROLE;
