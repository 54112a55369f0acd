-- What goes into the trail besides workflow moves: periodic reviews
-- (isms.mark_reviewed), evidence records and risk acceptances.
BEGIN;
CREATE EXTENSION isms;
\ir fixture.psql
\ir workflow_fixture.psql
SELECT plan(25);

-- reviews
SET LOCAL ROLE wf_editor;
SET LOCAL isms.actor = 'ann@example.org';
SELECT isnt(isms.mark_reviewed('isms.risk', 1, 'Still accurate; owner confirmed'), NULL, 'an editor records a review of a risk');
SELECT ok((SELECT last_reviewed_at = now() FROM isms.risk WHERE org_id = 1 AND id = 1), 'the risk''s last_reviewed_at is the review time');
SELECT is((SELECT format('%s %s %s %s', action, record_table, record_id, payload->>'note') FROM isms.trail
            WHERE org_id = 1 ORDER BY seq DESC LIMIT 1),
    'review isms.risk 1 Still accurate; owner confirmed', 'the review and its note are in the trail');
SELECT is((SELECT actor FROM isms.trail WHERE org_id = 1 ORDER BY seq DESC LIMIT 1), 'ann@example.org', 'with the reviewer as actor');
SELECT is((SELECT count(*) FROM isms_history.risk WHERE id = 1), 1::bigint, 'the review keeps the risk''s previous version in its history');
SELECT throws_ok($$SELECT isms.mark_reviewed('isms.audit_finding', 1, 'x')$$, '22023', NULL,
    'a register that is not reviewed periodically is refused (22023)');
SELECT throws_ok($$SELECT isms.mark_reviewed('pg_class', 1, 'x')$$, '22023', NULL, 'a table that is not a register is refused');
SELECT throws_ok($$SELECT isms.mark_reviewed('isms.risk', 1, '  ')$$, '22023', NULL, 'a review without a note is refused');
SELECT throws_ok($$SELECT isms.mark_reviewed('isms.risk', 424242, 'x')$$, 'P0002', NULL, 'an unknown record is refused (P0002)');
SELECT throws_ok($$SELECT isms.mark_reviewed('isms.risk', 2, 'x')$$, 'P0002', NULL,
    'a record of another organisation is invisible, so refused (P0002)');
SET LOCAL ROLE wf_reader;
SELECT throws_ok($$SELECT isms.mark_reviewed('isms.risk', 1, 'x')$$, '42501', NULL, 'a reader cannot record reviews');

-- evidence
SET LOCAL ROLE wf_auditor;
INSERT INTO isms.evidence (org_id, record_table, record_id, content, media_type, description)
VALUES (1, 'isms.risk', 1, 'restore test log', 'text/plain', 'Restore test');
SELECT is((SELECT format('%s %s %s', action, record_table, record_id) FROM isms.trail WHERE org_id = 1 ORDER BY seq DESC LIMIT 1),
    'evidence isms.risk 1', 'an auditor''s evidence record is appended to the trail, about the record it supports');
SELECT is((SELECT payload->>'sha256' FROM isms.trail WHERE org_id = 1 ORDER BY seq DESC LIMIT 1),
    encode(sha256('restore test log'::bytea), 'hex'), 'with the SHA-256 of its content');
SELECT is((SELECT payload->>'description' FROM isms.trail WHERE org_id = 1 ORDER BY seq DESC LIMIT 1), 'Restore test',
    'and its description');
SELECT throws_ok($$SELECT isms.trail_append(1, 'isms.risk', 1, 'forged', NULL)$$, '42501', NULL,
    'the auditor still cannot append by hand');
RESET ROLE;
INSERT INTO isms.evidence (org_id, record_table, record_id, url) VALUES (1, 'isms.risk', 1, 'https://example.org/restored');
SELECT is((SELECT action FROM isms.trail WHERE org_id = 1 ORDER BY seq DESC LIMIT 1), 'evidence',
    'a superuser''s INSERT (a restore) appends nothing: the newest entry is still the auditor''s');
SELECT is((SELECT count(*) FROM isms.trail WHERE org_id = 1 AND payload->>'url' = 'https://example.org/restored'), 0::bigint,
    'so the restored evidence has no new entry');

-- risk acceptance
SET LOCAL ROLE wf_editor;
UPDATE isms.risk SET residual_likelihood = 1, residual_impact = 2, accepted_by = 'Board', accepted_at = now(),
                     accepted_until = now() + interval '1 year'
 WHERE org_id = 1 AND id = 1;
SELECT is((SELECT format('%s %s %s', action, payload->>'accepted_by', payload->>'residual_rating') FROM isms.trail
            WHERE org_id = 1 ORDER BY seq DESC LIMIT 1),
    'risk_acceptance Board 2', 'accepting a risk appends the acceptance with the residual rating');
UPDATE isms.risk SET title = 'Customer data leak (CRM)' WHERE org_id = 1 AND id = 1;
SELECT is((SELECT action FROM isms.trail WHERE org_id = 1 ORDER BY seq DESC LIMIT 1), 'risk_acceptance',
    'other changes of the risk append nothing more');
RESET ROLE;
SELECT is_empty($$SELECT * FROM isms.verify_trail(1)$$, 'and the chain is intact');

-- isms.trail_row() refuses to run where it cannot do its job
CREATE TABLE pg_temp.tr_misuse (org_id bigint NOT NULL, id bigint NOT NULL);
CREATE TRIGGER tr_before BEFORE INSERT ON pg_temp.tr_misuse
    FOR EACH ROW EXECUTE FUNCTION isms.trail_row('x', '-', 'id');
SELECT throws_ok($$INSERT INTO pg_temp.tr_misuse VALUES (1, 1)$$, '39P01', NULL,
    'isms.trail_row() as a BEFORE trigger is refused (39P01)');
DROP TRIGGER tr_before ON pg_temp.tr_misuse;
CREATE TRIGGER tr_noargs AFTER INSERT ON pg_temp.tr_misuse
    FOR EACH ROW EXECUTE FUNCTION isms.trail_row('x');
SELECT throws_ok($$INSERT INTO pg_temp.tr_misuse VALUES (1, 1)$$, '39P01', NULL,
    'isms.trail_row() without its table and id arguments is refused (39P01)');
DROP TRIGGER tr_noargs ON pg_temp.tr_misuse;
CREATE TRIGGER tr_badcol AFTER INSERT ON pg_temp.tr_misuse
    FOR EACH ROW EXECUTE FUNCTION isms.trail_row('x', '-', 'id', 'no_such_column');
GRANT INSERT ON pg_temp.tr_misuse TO wf_editor;
SET LOCAL ROLE wf_editor;
SELECT throws_ok($$INSERT INTO pg_temp.tr_misuse VALUES (1, 1)$$, '42703', NULL,
    'a payload column the table lacks is refused (42703)');
RESET ROLE;

-- binding a workflow that does not exist
SELECT throws_ok($$SELECT isms.attach_workflow('isms.asset', 'no_such_workflow')$$, '22023', NULL,
    'isms.attach_workflow() with an unknown workflow is refused (22023)');
SELECT is((SELECT count(*) FROM pg_trigger WHERE tgrelid = 'isms.asset'::regclass AND tgname LIKE 'isms_workflow%'), 0::bigint,
    'and installs no trigger');

SELECT * FROM finish();
ROLLBACK;
