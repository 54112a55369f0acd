-- The upgraded ISMS works: run by test/upgrade/run.sh with pg_prove against
-- the database upgraded from 0.1.0, which holds the 0.1.0 sample (two
-- organisations).  Everything is rolled back.
\set ON_ERROR_STOP 1
BEGIN;
SET LOCAL search_path = public, isms;
SELECT plan(16);

-- (c) the evidence of 0.1.0 still verifies
SELECT is((SELECT count(*) FROM isms.organization o, isms.verify_trail(o.org_id)), 0::bigint,
    'every organisation''s trail verifies after the upgrade');
SELECT is((SELECT count(*) FROM isms.organization o, isms.verify_transition_log(o.org_id)), 0::bigint,
    'every sealed transition log verifies after the upgrade');
SELECT cmp_ok((SELECT count(*) FROM isms.transition_log), '>', 1000::bigint, 'the 0.1.0 log is there');

-- (d) the workflow engine
SELECT org_id AS org FROM isms.organization WHERE code = 'NORTHWIND' \gset
INSERT INTO isms.incident (org_id, title, severity, detected_at, reported_at, owner)
     VALUES (:org, 'Upgrade check', 'low', now(), now(), 'SOC') RETURNING id AS inc \gset
SELECT is((SELECT status FROM isms.incident WHERE org_id = :org AND id = :inc), 'reported', 'a new incident starts reported');
SELECT throws_ok(format('SELECT isms.transition(''isms.incident'', %s, ''closed'', ''skip'')', :inc), 'IS001', NULL,
    'the engine refuses a skipped step');
SELECT lives_ok(format('SELECT isms.transition(''isms.incident'', %s, ''triaged'', ''assessed'')', :inc),
    'the engine moves a record');
SELECT is((SELECT status FROM isms.incident WHERE org_id = :org AND id = :inc), 'triaged', 'the move is made');

-- document control
INSERT INTO isms.document (org_id, code, kind, title, owner, clause)
     VALUES (:org, 'UPG-001', 'procedure', 'Upgrade procedure', 'CISO', '7.5') RETURNING id AS doc \gset
SET LOCAL isms.actor = 'ann@upgrade.example';
SELECT isms.draft_document(:doc, content_text => 'v1') AS v1 \gset
SELECT lives_ok(format('SELECT isms.submit_document(%s)', :v1), 'a draft is submitted');
SELECT throws_ok(format('SELECT isms.approve_document(%s)', :v1), 'IS011', NULL, 'the author cannot approve');
SET LOCAL isms.actor = 'ben@upgrade.example';
SELECT lives_ok(format('SELECT isms.approve_document(%s)', :v1), 'another person approves');
SELECT lives_ok(format('SELECT isms.publish_document(%s)', :v1), 'the approved version is published');
SELECT throws_ok(format('UPDATE isms.document_version SET content_text = ''edited'' WHERE id = %s', :v1), 'IS010', NULL,
    'a published version is immutable');
SELECT is((SELECT version::text FROM isms.document_as_of(:doc, clock_timestamp())), '0.1', 'document_as_of finds it (a publication takes effect at its clock time)');

-- history capture
SELECT id AS risk FROM isms.risk WHERE org_id = :org ORDER BY id LIMIT 1 \gset
SELECT count(*) AS versions FROM isms_history.risk WHERE org_id = :org AND id = :risk \gset
UPDATE isms.risk SET title = title || ' (upgraded)' WHERE org_id = :org AND id = :risk;
SELECT is((SELECT count(*) FROM isms_history.risk WHERE org_id = :org AND id = :risk), (:versions + 1)::bigint,
    'an update keeps the superseded version in the history');

-- reports
SELECT is((SELECT count(*) FROM isms.clause_4_4_readiness(:org)) > 0, true, 'readiness reports');
SELECT is((SELECT count(*) FROM isms.statement_of_applicability(:org)), 93::bigint, 'the SoA lists the 93 controls');

SELECT * FROM finish();
ROLLBACK;
