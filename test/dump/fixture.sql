-- Fixture of the dump round trip: two organisations with a row in every
-- register (the pgTAP fixture), plus the cases a restore gets wrong first:
-- history in the audit columns, links both ways between audit findings and
-- nonconformities, stored evidence, review settings, a framework a user
-- added, memberships, controlled documents with their versions,
-- approvals, validity periods and trail, escalation thresholds and policy
-- acknowledgements.
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
INSERT INTO isms.task_setting (org_id, remind_after, escalate_after, escalate_to) VALUES (1, '3 days', '10 days', 'CISO');
INSERT INTO isms.membership (org_id, role_name) VALUES (1, 'isms_reader');
INSERT INTO isms.framework (code, title) VALUES ('org-policy', 'Internal policy catalogue');
INSERT INTO isms.requirement (framework, ref, kind, title, theme) VALUES ('org-policy', 'P.1', 'theme', 'Access', 'access');
INSERT INTO isms.requirement (framework, ref, kind, title, parent, theme)
    VALUES ('org-policy', 'P.1.1', 'control', 'Least privilege', 'P.1', 'access');
INSERT INTO isms.mandatory_information (framework, clause, item, kind) VALUES ('org-policy', 'P.1', 'Access matrix', 'record');
-- an imported framework library and a mapping of it to ISO/IEC 27001:2022
SELECT count(*) FROM isms.import_library('{"urn": "urn:dump:risk:library:mini-csf", "name": "Mini CSF", "version": 1,
    "objects": {"framework": {"urn": "urn:dump:risk:framework:mini-csf", "name": "Mini CSF", "requirement_nodes": [
        {"urn": "urn:dump:risk:req_node:mini-csf:gv", "assessable": false, "ref_id": "GV", "name": "GOVERN"},
        {"urn": "urn:dump:risk:req_node:mini-csf:gv.po-01", "assessable": true, "ref_id": "GV.PO-01",
         "parent_urn": "urn:dump:risk:req_node:mini-csf:gv", "description": "Policy is set", "annotation": "Ex1"}]}}}');
SELECT count(*) FROM isms.import_library('{"urn": "urn:dump:risk:library:mapping-mini-csf", "name": "Mini CSF -> ISO", "version": 1,
    "objects": {"requirement_mapping_sets": [{"urn": "urn:dump:risk:req_mapping_set:mini-csf-to-iso27001-2022", "name": "Mini",
        "source_framework_urn": "urn:dump:risk:framework:mini-csf", "target_framework_urn": "urn:intuitem:risk:framework:iso27001-2022",
        "requirement_mappings": [{"source_requirement_urn": "urn:dump:risk:req_node:mini-csf:gv.po-01",
                                  "target_requirement_urn": "urn:intuitem:risk:req_node:iso27001-2022:a.5.1",
                                  "relationship": "subset", "strength_of_relationship": 7}]}]}}');
COMMIT;

-- Workflow activity, as an application does it: a member role moving a
-- record, which writes the transition log and the outbox; and an
-- organisation's tightening of a workflow.
DO $$ BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'isms_dump_editor') THEN
        CREATE ROLE isms_dump_editor NOLOGIN;
    END IF;
END $$;
GRANT isms_editor, isms_app TO isms_dump_editor;  -- asserts the persons of the fixture
INSERT INTO isms.membership (org_id, role_name) VALUES (1, 'isms_dump_editor');
INSERT INTO isms.workflow_restriction (org_id, workflow, from_state, to_state, disabled, note)
    VALUES (1, 'corrective_action', 'planned', 'withdrawn', true, 'Withdrawing needs a closed nonconformity instead');
SET ROLE isms_dump_editor;
SET isms.actor = 'dana@example.org';
INSERT INTO isms.corrective_action (org_id, nonconformity_id, action, owner)
    SELECT 1, max(id), 'Review backup jobs weekly', 'Operations' FROM isms.nonconformity WHERE org_id = 1;
SELECT isms.transition('isms.corrective_action', max(id), 'in_progress', 'Started')
  FROM isms.corrective_action WHERE org_id = 1;

-- Document control, as members do it: a policy written by one person,
-- rejected, reworked, approved and published by another, then revised; a
-- second one published twice (superseded version with a closed validity)
-- and a periodic review.  The approvals, publications and the review are
-- in the trail, which must verify after the restore.
SET isms.actor = 'alice@example.org';
INSERT INTO isms.document (org_id, code, kind, title, owner, clause)
    VALUES (1, 'ISMS-POL-010', 'policy', 'Access control policy', 'CISO', '5.2'),
           (1, 'ISMS-PRC-020', 'procedure', 'Backup procedure', 'IT lead', NULL);
SELECT isms.draft_document(id, content_text => E'# Access control\n\nLeast privilege.') FROM isms.document WHERE code = 'ISMS-POL-010';
SELECT isms.draft_document(id, content_bytes => '\x255044462d312e37', media_type => 'application/pdf')
  FROM isms.document WHERE code = 'ISMS-PRC-020';
SELECT isms.submit_document(v.id) FROM isms.document_version v JOIN isms.document d ON d.id = v.document_id
 WHERE d.code IN ('ISMS-POL-010', 'ISMS-PRC-020');
SET isms.actor = 'bob@example.org';
SELECT isms.approve_document(v.id, 'rejected', 'Add MFA for administrators')
  FROM isms.document_version v JOIN isms.document d ON d.id = v.document_id WHERE d.code = 'ISMS-POL-010';
SELECT isms.approve_document(v.id, 'approved', 'Fine')
  FROM isms.document_version v JOIN isms.document d ON d.id = v.document_id WHERE d.code = 'ISMS-PRC-020';
SELECT isms.publish_document(v.id)
  FROM isms.document_version v JOIN isms.document d ON d.id = v.document_id WHERE d.code = 'ISMS-PRC-020';
SET isms.actor = 'alice@example.org';
UPDATE isms.document_version v SET content_text = E'# Access control\n\nLeast privilege. MFA for administrators.'
  FROM isms.document d WHERE d.id = v.document_id AND d.code = 'ISMS-POL-010';
SELECT isms.submit_document(v.id) FROM isms.document_version v JOIN isms.document d ON d.id = v.document_id
 WHERE d.code = 'ISMS-POL-010';
SET isms.actor = 'bob@example.org';
SELECT isms.approve_document(v.id, 'approved', 'MFA added')
  FROM isms.document_version v JOIN isms.document d ON d.id = v.document_id WHERE d.code = 'ISMS-POL-010';
SELECT isms.publish_document(v.id)
  FROM isms.document_version v JOIN isms.document d ON d.id = v.document_id WHERE d.code = 'ISMS-POL-010';
SET isms.actor = 'alice@example.org';
SELECT isms.revise_document(id, 'Annual review') FROM isms.document WHERE code = 'ISMS-POL-010';
SELECT isms.mark_reviewed('isms.document', id, 'Still accurate') FROM isms.document WHERE code = 'ISMS-PRC-020';
SELECT isms.revise_document(id, 'New backup tool', major => true) FROM isms.document WHERE code = 'ISMS-PRC-020';
UPDATE isms.document_version v SET content_bytes = NULL, media_type = NULL,
       url = 'https://sharepoint.example/sites/isms/backup-2.pdf'
  FROM isms.document d WHERE d.id = v.document_id AND d.code = 'ISMS-PRC-020' AND v.status = 'draft';
SELECT isms.submit_document(v.id) FROM isms.document_version v JOIN isms.document d ON d.id = v.document_id
 WHERE d.code = 'ISMS-PRC-020' AND v.status = 'draft';
SET isms.actor = 'bob@example.org';
SELECT isms.approve_document(v.id, 'approved', 'New tool approved')
  FROM isms.document_version v JOIN isms.document d ON d.id = v.document_id
 WHERE d.code = 'ISMS-PRC-020' AND v.status = 'in_review';
SELECT isms.publish_document(v.id)
  FROM isms.document_version v JOIN isms.document d ON d.id = v.document_id
 WHERE d.code = 'ISMS-PRC-020' AND v.status = 'approved';
-- policy acknowledgement, as the intranet application records it for two
-- staff: the version of the access control policy in force
SET isms.actor = 'carol@example.org';
SELECT isms.acknowledge_policy(id) FROM isms.document WHERE code = 'ISMS-POL-010';
SET isms.actor = 'dave@example.org';
SELECT isms.acknowledge_policy(id) FROM isms.document WHERE code = 'ISMS-POL-010';
RESET isms.actor;
RESET ROLE;

-- Sign-offs (by a member, written to the trail) and an import: the batch
-- applied, with its history and log rows, and a batch still staged.
SET ROLE isms_dump_editor;
SET isms.actor = 'ceo@example.org';
SELECT soa_version FROM isms.sign_off(1, 'statement_of_applicability', NULL, 'CEO, top management', 'SoA approved');
RESET isms.actor;
RESET ROLE;
INSERT INTO isms.import_staging (org_id, batch, register, ref, valid_from, data, actor) VALUES
    (1, 'legacy', 'context_issue', 'CI-1', '2022-03-01 09:00+00', '{"title": "Legacy supplier", "origin": "external", "owner": "CISO"}', 'former.ciso@example.com'),
    (1, 'legacy', 'context_issue', 'CI-1', '2022-09-01 09:00+00', '{"last_reviewed_at": "2022-09-01 09:00+00"}', 'former.ciso@example.com'),
    (1, 'legacy', 'improvement', 'IM-1', '2022-04-01 09:00+00', '{"title": "Old idea", "description": "From the spreadsheet", "source": "other", "owner": "CISO", "status": "proposed"}', 'former.ciso@example.com'),
    (1, 'later', 'context_issue', 'CI-2', '2022-05-01 09:00+00', '{"title": "Staged, not applied", "origin": "internal", "owner": "CISO"}', NULL);
SELECT records, log_rows FROM isms.import_apply(1, 'legacy');
