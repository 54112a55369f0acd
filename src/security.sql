-- Access (the four roles are created by src/head.sql, before the first
-- grant): privileges, row-level security by organisation
-- membership, the audit-column trigger and pg_dump registration of every
-- register, and the comments of the columns all registers share.
--
-- Runs after every table of the data model exists.  A part of the install
-- script placed after this file that adds a register inserts its row into
-- isms.register and calls isms.setup_register(); one that adds other
-- tables or functions grants on them itself (nothing is granted to PUBLIC).

------------------------------------------------------------------------------
-- Comments of the columns every register shares.

CREATE FUNCTION isms.comment_common_columns(rel regclass) RETURNS void
    LANGUAGE plpgsql SET search_path = pg_catalog, isms, pg_temp
AS $$
DECLARE
    c record;
    note text;
BEGIN
    FOR c IN SELECT a.attname::text AS name
               FROM pg_attribute a
              WHERE a.attrelid = rel AND a.attnum > 0 AND NOT a.attisdropped
                AND col_description(rel, a.attnum) IS NULL
              ORDER BY a.attnum
    LOOP
        note := CASE c.name
            WHEN 'org_id' THEN 'Organisation the row belongs to (isms.organization); leads the primary key and every foreign key to another register'
            WHEN 'id' THEN 'Identifier of the row, unique across organisations'
            WHEN 'owner' THEN 'Person accountable for the record and its periodic review'
            WHEN 'review_interval' THEN 'How often the row must be reviewed; NULL means the register default (isms.review_interval)'
            WHEN 'last_reviewed_at' THEN 'When the row was last reviewed; NULL if never'
            WHEN 'status' THEN 'Workflow state; it moves only by allowed transitions'
            WHEN 'cycle' THEN 'Plan-Do-Check-Act cycle of the record: 1, then one more each time it is reopened'
            WHEN 'created_at' THEN 'When the row was created (set by isms.stamp())'
            WHEN 'created_by' THEN 'Who created the row: isms.actor, else the database user (set by isms.stamp())'
            WHEN 'updated_at' THEN 'When the row was last changed (set by isms.stamp())'
            WHEN 'updated_by' THEN 'Who last changed the row: isms.actor, else the database user (set by isms.stamp())'
        END;
        IF note IS NULL THEN
            RAISE EXCEPTION 'column %.% has no comment', rel, c.name;
        END IF;
        EXECUTE format('COMMENT ON COLUMN %s.%I IS %L', rel, c.name, note);
    END LOOP;
END
$$;
COMMENT ON FUNCTION isms.comment_common_columns(regclass) IS
    'Install helper: comments the columns a table shares with every register (org_id, id, owner, review and audit columns); fails on any other uncommented column';
REVOKE ALL ON FUNCTION isms.comment_common_columns(regclass) FROM PUBLIC;

------------------------------------------------------------------------------
-- Row-level security.  A row is visible and writable when its org_id is one
-- of isms.visible_orgs() (isms.member_orgs() of the current user), called
-- per row: it returns the answer kept for the snapshot, computed once, and
-- a policy without a subquery is one Citus can distribute.  Superusers
-- bypass row-level security.

CREATE FUNCTION isms.setup_register(rel regclass) RETURNS void
    LANGUAGE plpgsql SET search_path = pg_catalog, isms, pg_temp
AS $$
DECLARE
    reg isms.register;
    relname text;
    seq text;
BEGIN
    SELECT * INTO STRICT reg FROM isms.register WHERE relid = rel;
    SELECT c.relname INTO relname FROM pg_class c WHERE c.oid = rel;
    PERFORM isms.comment_common_columns(rel);
    -- idempotent: an upgrade script runs it again over every register
    EXECUTE format('CREATE INDEX IF NOT EXISTS %I ON %s (id)', relname || '_id_idx', rel);
    EXECUTE format('DROP TRIGGER IF EXISTS stamp ON %s', rel);
    EXECUTE format('CREATE TRIGGER stamp BEFORE INSERT OR UPDATE ON %s FOR EACH ROW EXECUTE FUNCTION isms.stamp()', rel);
    EXECUTE format('ALTER TABLE %s ENABLE ROW LEVEL SECURITY', rel);
    EXECUTE format('ALTER TABLE %s FORCE ROW LEVEL SECURITY', rel);
    EXECUTE format('DROP POLICY IF EXISTS member ON %s', rel);
    EXECUTE format('CREATE POLICY member ON %s USING (org_id = ANY (isms.visible_orgs())) '
                   'WITH CHECK (org_id = ANY (isms.visible_orgs()))', rel);
    EXECUTE format('REVOKE ALL ON %s FROM PUBLIC', rel);
    EXECUTE format('GRANT SELECT ON %s TO isms_reader', rel);
    EXECUTE format('GRANT INSERT, UPDATE, DELETE ON %s TO isms_editor', rel);
    IF reg.audit_record THEN
        EXECUTE format('GRANT INSERT, UPDATE ON %s TO isms_auditor', rel);
    END IF;
    PERFORM pg_catalog.pg_extension_config_dump(rel, '');
    seq := pg_catalog.pg_get_serial_sequence(rel::text, 'id');
    IF seq IS NOT NULL THEN
        PERFORM pg_catalog.pg_extension_config_dump(seq::regclass, '');
    END IF;
END
$$;
COMMENT ON FUNCTION isms.setup_register(regclass) IS
    'Install helper for a table listed in isms.register: index on id, isms.stamp() trigger, row-level security by membership, grants, pg_dump registration, common column comments; idempotent, so an upgrade script can run it again';
REVOKE ALL ON FUNCTION isms.setup_register(regclass) FROM PUBLIC;

SELECT isms.setup_register(relid) FROM isms.register ORDER BY name;

-- organization, membership and register_setting: the same visibility rule;
-- admins also see (and create) organisations they are not yet members of.
DO $$
DECLARE
    rel regclass;
BEGIN
    FOREACH rel IN ARRAY ARRAY['isms.organization', 'isms.membership', 'isms.register_setting']::regclass[]
    LOOP
        PERFORM isms.comment_common_columns(rel);
        EXECUTE format('DROP TRIGGER IF EXISTS stamp ON %s', rel);
        EXECUTE format('CREATE TRIGGER stamp BEFORE INSERT OR UPDATE ON %s FOR EACH ROW EXECUTE FUNCTION isms.stamp()', rel);
        EXECUTE format('ALTER TABLE %s ENABLE ROW LEVEL SECURITY', rel);
        EXECUTE format('ALTER TABLE %s FORCE ROW LEVEL SECURITY', rel);
        EXECUTE format('DROP POLICY IF EXISTS member ON %s', rel);
        EXECUTE format('CREATE POLICY member ON %s USING (org_id = ANY (isms.visible_orgs())) '
                       'WITH CHECK (org_id = ANY (isms.visible_orgs()))', rel);
        PERFORM pg_catalog.pg_extension_config_dump(rel, '');
    END LOOP;
END
$$;
CREATE POLICY admin ON isms.organization TO isms_admin USING (true) WITH CHECK (true);
SELECT pg_catalog.pg_extension_config_dump(pg_catalog.pg_get_serial_sequence('isms.organization', 'org_id')::regclass, '');

-- The catalog: user-added frameworks are dumped, shipped rows are not.
SELECT pg_catalog.pg_extension_config_dump('isms.framework', 'WHERE NOT shipped');
SELECT pg_catalog.pg_extension_config_dump('isms.requirement', 'WHERE NOT shipped');
SELECT pg_catalog.pg_extension_config_dump('isms.mandatory_information', 'WHERE NOT shipped');

------------------------------------------------------------------------------
-- Privileges, stated per object: nothing to PUBLIC.  The catalog and
-- isms.register are read-only to all but the extension owner.  Every
-- function is granted right after its definition.

REVOKE ALL ON SCHEMA isms, isms_report FROM PUBLIC;
GRANT USAGE ON SCHEMA isms, isms_report TO isms_reader, isms_auditor, isms_editor, isms_admin;

-- The tables above that are not registers (setup_register grants those):
-- the catalog, the workflow definitions, the log and the outbox are read
-- by every member role; organisations, memberships and settings are
-- written by the roles below.  The trail and history_config grant in
-- their own files.
REVOKE ALL ON TABLE isms.framework, isms.requirement, isms.mandatory_information, isms.register,
    isms.workflow, isms.workflow_state, isms.workflow_transition, isms.workflow_guard,
    isms.outbox, isms.transition_log,
    isms.organization, isms.membership, isms.register_setting, isms.workflow_restriction FROM PUBLIC;
GRANT SELECT ON TABLE isms.framework, isms.requirement, isms.mandatory_information, isms.register,
    isms.workflow, isms.workflow_state, isms.workflow_transition, isms.workflow_guard,
    isms.outbox, isms.transition_log,
    isms.organization, isms.membership, isms.register_setting, isms.workflow_restriction TO isms_reader;
-- identity sequences: no role but the owner uses them directly
REVOKE ALL ON SEQUENCE isms.asset_id_seq, isms.audit_finding_id_seq, isms.audit_id_seq, isms.audit_programme_id_seq,
    isms.communication_id_seq, isms.competence_id_seq, isms.context_issue_id_seq,
    isms.corrective_action_id_seq, isms.document_id_seq, isms.evidence_id_seq, isms.improvement_id_seq,
    isms.incident_id_seq, isms.interested_party_id_seq, isms.management_review_id_seq,
    isms.nonconformity_id_seq, isms.objective_id_seq, isms.objective_measurement_id_seq,
    isms.organization_org_id_seq, isms.outbox_seq_seq, isms.party_requirement_id_seq,
    isms.planned_change_id_seq, isms.policy_id_seq, isms.process_id_seq, isms.process_input_id_seq,
    isms.process_output_id_seq, isms.review_action_id_seq, isms.risk_control_id_seq, isms.risk_id_seq,
    isms.risk_scale_id_seq, isms.role_assignment_id_seq, isms.scope_item_id_seq, isms.soa_entry_id_seq,
    isms.training_record_id_seq, isms.transition_log_log_id_seq, isms.treatment_plan_id_seq FROM PUBLIC;
GRANT UPDATE (name, scope_statement) ON isms.organization TO isms_editor;
GRANT INSERT, UPDATE, DELETE ON isms.organization, isms.membership TO isms_admin;
GRANT INSERT, UPDATE, DELETE ON isms.register_setting TO isms_editor;

