-- Guards that hold for the right reason, and bad input that gets a clear
-- error: a nonconformity closes with an action closed as effective or a
-- recorded decision that none is needed, and keeps its actions once closed;
-- an independent effectiveness check compares the persons of the log; an
-- objective is achieved on its latest measurement not in the future; a
-- management review's inputs say something and it is not held in the
-- future; the Statement of Applicability justifies every decision, is on
-- controls only and excludes no control a risk treatment uses; review
-- intervals are bounded so the staleness reports never fail; titles, names
-- and persons are limited in length so a row always fits its indexes.
\set ON_ERROR_STOP 1
BEGIN;
CREATE EXTENSION isms;
\ir fixture.psql
\ir workflow_fixture.psql
SELECT plan(45);

SET LOCAL ROLE wf_editor;
SET LOCAL isms.actor = 'alice';

------------------------------------------------------------------------------
-- Nonconformity: no action at all is not a reason to close

INSERT INTO isms.nonconformity (org_id, title, description, source, owner)
    VALUES (1, 'Visitor log missing', 'No visitor log kept in May', 'internal_audit', 'Facilities') RETURNING id AS nc \gset
SELECT pg_temp.move_ok('isms.nonconformity', :nc, 'analysed');
SELECT pg_temp.move_ok('isms.nonconformity', :nc, 'correcting');
SELECT pg_temp.move_ok('isms.nonconformity', :nc, 'verifying');
SELECT pg_temp.refused_ok('isms.nonconformity', :nc, 'closed', 'IS002',
    'Guard "nonconformity_actions_closed" does not hold: no corrective action was closed as effective, and no decision that no action is needed is recorded.',
    note => 'no corrective action at all');
SELECT throws_ok(format('UPDATE isms.nonconformity SET no_action_needed = true WHERE id = %s', :nc),
    '23514', NULL, 'nonconformity: a decision that no action is needed without a justification is refused (23514)');
SELECT throws_ok(format('UPDATE isms.nonconformity SET no_action_needed = true, no_action_justification = %L WHERE id = %s', 'n/a', :nc),
    '23514', NULL, 'nonconformity: "n/a" is no justification (23514)');
UPDATE isms.nonconformity SET no_action_needed = true,
       no_action_justification = 'One missed day; the log was kept before and after, no cause to remove'
 WHERE id = :nc;
SELECT pg_temp.move_ok('isms.nonconformity', :nc, 'closed', note => 'the decision that no action is needed, with its justification');

-- An action that was withdrawn, or closed as not effective, is not enough
INSERT INTO isms.nonconformity (org_id, title, description, source, owner)
    VALUES (1, 'Keys not returned', 'Two leavers kept their keys', 'monitoring', 'HR') RETURNING id AS nc2 \gset
INSERT INTO isms.corrective_action (org_id, nonconformity_id, action, owner)
    VALUES (1, :nc2, 'Add keys to the leaver checklist', 'HR') RETURNING id AS ca2 \gset
INSERT INTO isms.corrective_action (org_id, nonconformity_id, action, owner)
    VALUES (1, :nc2, 'Change the locks', 'Facilities') RETURNING id AS ca3 \gset
SELECT pg_temp.move_ok('isms.nonconformity', :nc2, 'analysed');
SELECT pg_temp.move_ok('isms.nonconformity', :nc2, 'correcting');
SELECT pg_temp.move_ok('isms.nonconformity', :nc2, 'verifying');
SELECT pg_temp.move_ok('isms.corrective_action', :ca3, 'withdrawn', 'the keys were returned');
-- the open action is moved to another nonconformity: the close still needs an effective action
UPDATE isms.corrective_action SET nonconformity_id = 1 WHERE id = :ca2;
SELECT pg_temp.refused_ok('isms.nonconformity', :nc2, 'closed', 'IS002',
    'Guard "nonconformity_actions_closed" does not hold: no corrective action was closed as effective, and no decision that no action is needed is recorded.',
    note => 'its open action moved away, the other withdrawn');
UPDATE isms.corrective_action SET nonconformity_id = :nc2 WHERE id = :ca2;

------------------------------------------------------------------------------
-- Independence of the effectiveness check, from the log

SELECT pg_temp.move_ok('isms.corrective_action', :ca2, 'in_progress');
UPDATE isms.corrective_action SET implemented_by = 'alice', implemented_at = now() - interval '1 day',
       root_cause = 'Keys were not on the checklist' WHERE id = :ca2;
SELECT pg_temp.move_ok('isms.corrective_action', :ca2, 'implemented');
SELECT pg_temp.move_ok('isms.corrective_action', :ca2, 'verified');
UPDATE isms.corrective_action SET effectiveness_checked_by = 'Somebody Else', effectiveness_checked_at = now(),
       effective = true WHERE id = :ca2;
SELECT pg_temp.refused_ok('isms.corrective_action', :ca2, 'closed', 'IS002',
    'Guard "corrective_action_effective" does not hold: the log records alice both moving the action to implemented and recording its effectiveness check (to verified).',
    note => 'the implementer typed another name as the checker');
SELECT pg_temp.move_ok('isms.corrective_action', :ca2, 'in_progress', 'the check must be independent');
SELECT pg_temp.move_ok('isms.corrective_action', :ca2, 'implemented');
SET LOCAL isms.actor = 'carol';
SELECT pg_temp.move_ok('isms.corrective_action', :ca2, 'verified', note => 'carol records the check');
SET LOCAL isms.actor = 'alice';
SELECT pg_temp.move_ok('isms.corrective_action', :ca2, 'closed', note => 'checked by another person');
SELECT pg_temp.move_ok('isms.nonconformity', :nc2, 'closed', note => 'one action closed as effective');

------------------------------------------------------------------------------
-- The actions of a closed nonconformity stay with it

SELECT throws_ok(format('DELETE FROM isms.corrective_action WHERE id = %s', :ca3),
    'IS071', format('corrective action %s cannot be deleted: nonconformity %s is closed', :ca3, :nc2),
    'corrective action of a closed nonconformity: DELETE is refused (IS071)');
SELECT pg_temp.move_ok('isms.corrective_action', :ca2, 'planned', 'reopened by mistake', cycle => 2);
SELECT throws_ok(format('UPDATE isms.corrective_action SET nonconformity_id = 1 WHERE id = %s', :ca2),
    'IS071', format('corrective action %s cannot be moved to another nonconformity: nonconformity %s is closed', :ca2, :nc2),
    'corrective action of a closed nonconformity: re-pointing it is refused (IS071)');
SELECT throws_ok(format($$INSERT INTO isms.corrective_action (org_id, nonconformity_id, action, owner)
                          VALUES (1, %s, 'Late action', 'HR')$$, :nc2),
    'IS071', format('corrective action cannot be added to nonconformity %s: it is closed', :nc2),
    'closed nonconformity: a new corrective action is refused (IS071)');

------------------------------------------------------------------------------
-- Objective: the latest measurement not in the future decides

INSERT INTO isms.objective (org_id, title, target, unit, direction, owner)
    VALUES (1, 'Backup success', 100, '%', 'at_least', 'IT lead') RETURNING id AS ob \gset
INSERT INTO isms.objective_measurement (org_id, objective_id, measured_at, value) VALUES
    (1, :ob, '2025-01-31T12:00:00Z', 100), (1, :ob, '2025-02-28T12:00:00Z', 85), (1, :ob, '2025-03-31T12:00:00Z', 80),
    (1, :ob, now() + interval '1 year', 100);
SELECT pg_temp.move_ok('isms.objective', :ob, 'active');
SELECT pg_temp.move_ok('isms.objective', :ob, 'evaluating');
SELECT pg_temp.refused_ok('isms.objective', :ob, 'achieved', 'IS002',
    'Guard "objective_target_met" does not hold: the latest measurement, 80 % on 2025-03-31 12:00 UTC, does not meet the target 100 %.',
    note => '100, 85, 80 against >= 100, and one dated a year ahead');
INSERT INTO isms.objective_measurement (org_id, objective_id, measured_at, value)
    VALUES (1, :ob, now() - interval '1 hour', 100);
SELECT pg_temp.move_ok('isms.objective', :ob, 'achieved', note => 'the latest measurement up to now meets the target');

------------------------------------------------------------------------------
-- Management review: inputs that say something, not held in the future

SELECT throws_ok($$UPDATE isms.management_review SET held_on = '2025-06-02', previous_actions_status = 'n/a',
                   context_changes = 'n/a', party_changes = '', performance_feedback = 'n/a', party_feedback = '-',
                   risk_results = 'N/A', improvement_opportunities = 'none', decisions = 'tbd' WHERE org_id = 1$$,
    '23514', NULL, 'management review: blank and n/a inputs are not inputs (23514)');
SELECT throws_ok($$UPDATE isms.management_review SET held_on = current_date + 100, previous_actions_status = 'All closed',
                   context_changes = 'No new issues', party_changes = 'No new requirements', performance_feedback = 'Audit results',
                   party_feedback = 'No complaints', risk_results = 'Risks reviewed', improvement_opportunities = 'Automation',
                   decisions = 'Fund the lab' WHERE org_id = 1$$,
    '23514', NULL, 'management review: held_on 100 days in the future is refused (23514)');

------------------------------------------------------------------------------
-- Statement of Applicability

SELECT throws_ok($$INSERT INTO isms.soa_entry (org_id, control, applicable, justification, owner)
                   VALUES (1, 'A.5', true, 'The whole organisational theme applies', 'CISO')$$,
    '23514', 'SoA entry for A.5 of organisation 1 is not on a control',
    'SoA: an entry on a theme row is refused (23514)');
SELECT throws_ok($$UPDATE isms.soa_entry SET applicable = false, justification = 'Passwords are not used anywhere'
                    WHERE org_id = 1 AND control::text = 'A.8.5'$$,
    'IS070', 'control A.8.5 cannot be excluded from the Statement of Applicability of organisation 1: a risk treatment uses it',
    'SoA: excluding a control a risk treatment uses is refused (IS070)');
INSERT INTO isms.soa_entry (org_id, control, applicable, justification, owner)
    VALUES (1, 'A.7.1', false, 'No premises: the organisation works fully remote', 'CISO');
SELECT throws_ok($$INSERT INTO isms.risk_control (org_id, risk_id, control) VALUES (1, 1, 'A.7.1')$$,
    'IS070', 'risk 1 of organisation 1 cannot be treated by A.7.1: the Statement of Applicability excludes it',
    'risk treatment: a control the SoA excludes is refused (IS070)');
SELECT throws_ok($$INSERT INTO isms.risk_control (org_id, risk_id, control) VALUES (1, 1, 'A.8')$$,
    '23514', 'risk 1 of organisation 1 cannot be treated by A.8: it is not a control',
    'risk treatment: a theme row is refused (23514)');
SELECT throws_ok($$UPDATE isms.soa_entry SET justification = '-' WHERE org_id = 1 AND control::text = 'A.8.5'$$,
    '23514', NULL, 'SoA: "-" is no justification of an inclusion (23514)');
SELECT throws_ok($$INSERT INTO isms.soa_entry (org_id, control, applicable, owner) VALUES (1, 'A.8.1', true, 'CISO')$$,
    '23514', 'SoA entry for A.8.1 of organisation 1 has no justification',
    'SoA: an inclusion needs a justification too (23514)');
SELECT throws_ok($$UPDATE isms.soa_entry SET justification = NULL WHERE org_id = 1 AND control::text = 'A.8.5'$$,
    '23514', 'SoA entry for A.8.5 of organisation 1 has no justification',
    'SoA: the justification of an inclusion cannot be removed (23514)');

------------------------------------------------------------------------------
-- Review intervals are bounded; the staleness reports keep working

SELECT throws_ok($$UPDATE isms.risk SET review_interval = '1000000 years' WHERE org_id = 1$$,
    '23514', NULL, 'a review interval of 1000000 years is refused (23514)');
RESET ROLE;
SELECT throws_ok($$INSERT INTO isms.register_setting (org_id, relid, review_interval) VALUES (1, 'isms.asset', '1000000 years')$$,
    '23514', NULL, 'a register setting of 1000000 years is refused (23514)');
UPDATE isms.risk SET review_interval = '10 years' WHERE org_id = 1;
INSERT INTO isms.register_setting (org_id, relid, review_interval) VALUES (1, 'isms.asset', '10 years');
SET LOCAL ROLE wf_editor;
SELECT lives_ok($$SELECT count(*) FROM isms.stale_items('2200-01-01')$$,
    'stale_items works with the longest review intervals allowed');
SELECT lives_ok($$SELECT count(*) FROM isms.staleness_summary(1, '2200-01-01')$$,
    'staleness_summary works with the longest review intervals allowed');

------------------------------------------------------------------------------
-- Lengths

SELECT throws_ok($$UPDATE isms.risk SET title = repeat('x', 3000) WHERE org_id = 1$$,
    '23514', 'new row for relation "risk" violates check constraint "risk_title_max_500_chars"',
    'a title of 3000 characters is refused, naming the column and the limit (23514)');
SELECT throws_ok($$UPDATE isms.risk SET owner = repeat('x', 129) WHERE org_id = 1$$,
    '23514', 'new row for relation "risk" violates check constraint "risk_owner_max_128_chars"',
    'an owner of 129 characters is refused (23514)');
-- the longest title and owner allowed fit the review index, even in
-- characters of four bytes
SELECT lives_ok(format($$UPDATE isms.risk SET title = repeat(%L, 500), owner = repeat(%L, 128) WHERE org_id = 1$$,
                       CASE WHEN getdatabaseencoding() = 'UTF8' THEN chr(128512) ELSE 'x' END,
                       CASE WHEN getdatabaseencoding() = 'UTF8' THEN chr(128513) ELSE 'x' END),
    'a title of 500 and an owner of 128 characters fit the indexes');

SELECT * FROM finish();
ROLLBACK;
