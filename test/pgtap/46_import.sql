-- Bringing existing records in: CSV through COPY into isms.import_staging,
-- then isms.import_apply(): original dates and states, earlier versions in
-- the register history, past moves in the transition log marked as
-- imported, the batch in the trail with its digest; every bad row reported,
-- nothing applied on error; verification tells imported history apart.
\set ON_ERROR_STOP 1
BEGIN;
CREATE EXTENSION isms;
SET LOCAL TimeZone = 'UTC';
SELECT plan(30);

INSERT INTO isms.organization (code, name) VALUES ('IMP', 'Importing org') RETURNING org_id AS o \gset
CREATE TEMP TABLE ov AS SELECT :o::bigint AS o;
GRANT SELECT ON ov TO PUBLIC;
DO $$ BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'imp_admin') THEN CREATE ROLE imp_admin NOLOGIN; END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'imp_editor') THEN CREATE ROLE imp_editor NOLOGIN; END IF;
END $$;
GRANT isms_admin TO imp_admin;
GRANT isms_editor TO imp_editor;
INSERT INTO isms.membership (org_id, role_name) VALUES (:o, 'imp_editor');

-- the admin stages a CSV export: the risk criteria, a risk re-rated once, and its treatment
-- plan with three states
SET LOCAL ROLE imp_admin;
SET LOCAL isms.org = 'IMP';
COPY isms.import_staging (batch, register, ref, valid_from, data, actor, reason) FROM STDIN WITH (FORMAT csv);
b1,risk_scale,SCALE,2023-01-01 12:00+00,"{""acceptance_threshold"": 8, ""owner"": ""Risk manager""}",Rita,
b1,risk,R-1,2023-03-01 12:00+00,"{""title"": ""Supplier breach"", ""threat"": ""Supplier"", ""vulnerability"": ""No audits"", ""inherent_likelihood"": 4, ""inherent_impact"": 4, ""identified_on"": ""2023-03-01"", ""owner"": ""Risk manager""}",Rita,
b1,risk,R-1,2024-04-15 12:00+00,"{""residual_likelihood"": 2, ""residual_impact"": 2, ""treatment"": ""modify"", ""last_reviewed_at"": ""2024-04-15 12:00+00""}",Rita,
b1,treatment_plan,TP-1,2024-01-05 12:00+00,"{""risk_id"": {""ref"": ""R-1""}, ""title"": ""Audit suppliers"", ""action"": ""Yearly audits"", ""owner"": ""Risk manager"", ""status"": ""planned""}",Rita,
b1,treatment_plan,TP-1,2024-01-10 12:00+00,"{""status"": ""approved""}",Rita,Approved by the risk owner
b1,treatment_plan,TP-1,2024-02-01 12:00+00,"{""status"": ""in_progress""}",Ivan,
\.
RESET isms.org;
SELECT is((SELECT count(*) FROM isms.import_staging WHERE org_id = :o AND batch = 'b1'), 6::bigint, 'six versions staged by COPY, for the organisation of isms.org');
SELECT * FROM isms.import_apply(:o, 'b1') \gset b_
RESET ROLE;

SELECT is(ARRAY[:b_records, :b_history_rows, :b_log_rows], ARRAY[3, 3, 3], 'three records (the risk criteria too), three earlier versions, three workflow moves');
SELECT is(:'b_imported_by'::text, 'imp_admin', 'imported by the role acting');
SELECT is(:'b_login_role'::text, session_user::text, 'the login role is recorded');
SELECT is((SELECT count(*) FROM isms.import_staging WHERE org_id = :o), 0::bigint, 'the applied batch leaves staging');

SELECT id AS r1 FROM isms.risk WHERE org_id = :o \gset
SELECT id AS tp1 FROM isms.treatment_plan WHERE org_id = :o \gset
SELECT is((SELECT (created_at, updated_at, created_by, updated_by, residual_rating)::text FROM isms.risk WHERE id = :r1),
    '("2023-03-01 12:00:00+00","2024-04-15 12:00:00+00",Rita,Rita,4)', 'the risk keeps its original dates and who made them');
SELECT is((SELECT (risk_id = :r1, status, created_at, updated_by)::text FROM isms.treatment_plan WHERE id = :tp1),
    '(t,in_progress,"2024-01-05 12:00:00+00",Ivan)', 'the plan refers to the imported risk and keeps its state');
SELECT is((SELECT (valid, residual_rating IS NULL, inherent_rating, changed_by)::text FROM isms_history.risk WHERE id = :r1),
    '("[""2023-03-01 12:00:00+00"",""2024-04-15 12:00:00+00"")",t,16,Rita)', 'the risk''s first version is in its history, computed columns included');
SELECT is((SELECT sum(rating) FROM isms.risk_rating_at(:o, '2024-01-01')), 16::bigint, 'reports as of 2024-01-01 see the risk as it was');
SELECT is((SELECT sum(rating) FROM isms.risk_rating_at(:o, now())), 4::bigint, '... and now as it is');
SELECT results_eq(format($$SELECT from_state, to_state, actor, reason, at FROM isms.transition_log WHERE record_id = %s AND record_table = 'isms.treatment_plan'::regclass ORDER BY log_id$$, :tp1),
    $$VALUES (NULL, 'planned', 'Rita', 'imported (batch b1)', '2024-01-05 12:00+00'::timestamptz),
             ('planned', 'approved', 'Rita', 'Approved by the risk owner', '2024-01-10 12:00+00'),
             ('approved', 'in_progress', 'Ivan', 'imported (batch b1)', '2024-02-01 12:00+00')$$,
    'the plan''s past moves are in the transition log at their dates, marked as imported');
SELECT is((SELECT array_agg(status ORDER BY lower(valid)) FROM isms_history.treatment_plan WHERE id = :tp1), '{planned,approved}',
    'the plan''s earlier states are in its history');
SELECT is((SELECT (payload->>'sha256', payload->>'imported_by', payload->>'records')::text FROM isms.trail WHERE org_id = :o AND action = 'import'),
    (SELECT (encode(sha256, 'hex'), imported_by, records::text)::text FROM isms.import_batch WHERE org_id = :o AND batch = 'b1'),
    'the trail records the import with the digest of what was imported');
SELECT is_empty(format('SELECT * FROM isms.verify_trail(%s)', :o), 'the trail verifies');
SELECT is_empty(format('SELECT * FROM isms.verify_transition_log(%s)', :o), 'the imported log rows are sealed by the import''s trail entry');
SELECT is((SELECT (batch, imported_by, log_rows, problem IS NULL)::text FROM isms.verify_imports(:o)), '(b1,imp_admin,3,t)',
    'verify_imports: the import, who made it, its log rows, intact');
SELECT ok((SELECT bool_and(l.log_id BETWEEN x.first_log_id AND x.last_log_id AND l.xact_id = x.xact_id)
             FROM isms.transition_log l, isms.import_batch x WHERE l.org_id = :o AND x.org_id = :o),
    'imported log rows are told apart by their batch''s range and transaction');

-- the engine carries on from the imported state
SET LOCAL ROLE imp_editor;
SELECT lives_ok(format($$SELECT isms.transition('isms.treatment_plan', %s, 'implemented')$$, :tp1), 'the engine moves the imported plan on');
RESET ROLE;
SELECT is((SELECT count(*) FROM isms.transition_log WHERE record_id = :tp1 AND record_table = 'isms.treatment_plan'::regclass), 4::bigint,
    'the engine''s move follows the imported ones');

------------------------------------------------------------------------------
-- Refusals: nothing is applied on error

SET LOCAL ROLE imp_admin;
SELECT throws_ok(format($$SELECT isms.import_apply(%s, 'b1')$$, :o), 'IS040', NULL, 'a batch is applied once (IS040)');
SELECT throws_ok(format($$SELECT isms.import_apply(%s, 'nothing')$$, :o), 'IS040', NULL, 'an empty batch (IS040)');
INSERT INTO isms.import_staging (org_id, batch, register, ref, valid_from, data) VALUES
    (:o, 'bad', 'risks', 'X-1', '2024-01-01', '{"title": "x"}'),
    (:o, 'bad', 'risk', 'X-2', '2024-01-01', '{"title": "x", "severity": 3}'),
    (:o, 'bad', 'risk', 'X-3', now() + interval '1 day', '{"title": "x"}'),
    (:o, 'bad', 'treatment_plan', 'X-4', '2024-01-01', '{"title": "x", "status": "done", "risk_id": {"ref": "nope"}}'),
    (:o, 'bad', 'risk', 'X-5', '2024-01-01', '{"id": 7, "inherent_rating": 9}'),
    (:o, 'bad', 'risk', 'X-6', '2024-01-01', '[1, 2]');
SELECT line AS bad1 FROM isms.import_staging WHERE batch = 'bad' ORDER BY line LIMIT 1 \gset
SELECT throws_ok(format($$SELECT isms.import_apply(%s, 'bad')$$, :o), 'IS041',
    format('cannot import batch bad into organisation %s: 8 bad rows; nothing was imported', :o), 'every bad row is counted (IS041)');
CREATE TEMP TABLE err (detail text);
DO $$
DECLARE d text;
BEGIN
    PERFORM isms.import_apply((SELECT o FROM ov), 'bad');
EXCEPTION WHEN SQLSTATE 'IS041' THEN
    GET STACKED DIAGNOSTICS d = PG_EXCEPTION_DETAIL;
    INSERT INTO err VALUES (d);
END $$;
SELECT is((SELECT detail FROM err), format(E'line %s: unknown register risks\nline %s: risk has no column severity\nline %s: valid_from %s is in the future\nline %s: done is not a state of the treatment_plan workflow\nline %s: risk_id refers to nope, which is not a record of batch bad\nline %s: column id is set by the import (the record''s id, organisation, audit columns or a computed column)\nline %s: column inherent_rating is set by the import (the record''s id, organisation, audit columns or a computed column)\nline %s: data is not a JSON object',
    :bad1, :bad1 + 1, :bad1 + 2, (SELECT valid_from FROM isms.import_staging WHERE line = :bad1 + 2), :bad1 + 3, :bad1 + 3, :bad1 + 4, :bad1 + 4, :bad1 + 5),
    'the detail names each bad row and what is wrong with it');
DELETE FROM isms.import_staging WHERE batch = 'bad';
INSERT INTO isms.import_staging (org_id, batch, register, ref, valid_from, data) VALUES
    (:o, 'bad2', 'risk', 'Y-1', '2024-01-01', '{"title": "fine", "threat": "t", "vulnerability": "v", "inherent_likelihood": 2, "inherent_impact": 2, "identified_on": "2024-01-01", "owner": "me"}'),
    (:o, 'bad2', 'risk', 'Y-2', '2024-01-01', '{"title": "no owner", "threat": "t", "vulnerability": "v", "inherent_likelihood": 2, "inherent_impact": 2, "identified_on": "2024-01-01"}');
SELECT line AS bad2 FROM isms.import_staging WHERE batch = 'bad2' ORDER BY line DESC LIMIT 1 \gset
SELECT throws_ok(format($$SELECT isms.import_apply(%s, 'bad2')$$, :o), 'IS041', NULL, 'a row the register refuses (IS041)');
SELECT throws_matching(format($$SELECT isms.import_apply(%s, 'bad2')$$, :o),
    format('^cannot import batch bad2: line %s \(risk Y-2\): null value in column "owner"', :bad2), '... naming its line and the rule');
RESET ROLE;
SELECT is((SELECT count(*) FROM isms.risk WHERE org_id = :o), 1::bigint, 'nothing of a refused batch was applied');
SET LOCAL ROLE imp_editor;
SELECT throws_ok(format($$SELECT isms.import_apply(%s, 'bad2')$$, :o), '42501', NULL, 'an editor cannot import');
SELECT throws_ok($$INSERT INTO isms.import_staging (org_id, batch, register, ref, valid_from, data) VALUES (1, 'x', 'risk', 'r', now(), '{}')$$,
    '42501', NULL, 'an editor cannot stage');
RESET ROLE;
SET LOCAL ROLE imp_admin;
SELECT throws_ok($$SELECT isms.import_apply(999999, 'b1')$$, '22023', NULL, 'an unknown organisation (22023)');
RESET ROLE;
SELECT throws_ok(format($$UPDATE isms.import_batch SET records = 0 WHERE org_id = %s$$, :o), 'IS031', NULL, 'an import record is never changed');

SELECT * FROM finish();
ROLLBACK;
