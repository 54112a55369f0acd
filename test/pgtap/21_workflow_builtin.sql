-- The ten built-in workflows and their six guards, walked by a member of
-- organisation A: creation in the initial state, every transition, the
-- refused ones (phase skips, missing reasons, failing guards, closed
-- records) with their SQLSTATE, message and detail, and the log row of
-- every accepted move.
\set ON_ERROR_STOP 1
BEGIN;
CREATE EXTENSION isms;
\ir fixture.psql
\ir workflow_fixture.psql
SELECT plan(253);

SET LOCAL ROLE wf_editor;
SET LOCAL isms.actor = 'alice';

------------------------------------------------------------------------------
-- Risk treatment plan (6.1.3): planned, approved | in_progress, implemented |
-- verified | closed; withdrawn.  Guard treatment_evidence.

INSERT INTO isms.treatment_plan (org_id, risk_id, title, action, owner)
    VALUES (1, 1, 'Backups', 'Daily offsite backups', 'IT lead') RETURNING id AS tp \gset
SELECT is(pg_temp.log_of('isms.treatment_plan', :tp), ARRAY['NULL -> planned, cycle 1, by alice, reason NULL'],
    'risk treatment plan: created in "planned", logged from NULL in cycle 1 by the actor');
SELECT is(pg_temp.caught($$INSERT INTO isms.treatment_plan (org_id, risk_id, title, action, owner, status)
                           VALUES (1, 1, 'Backups', 'Daily offsite backups', 'IT lead', 'approved')$$),
    'IS004: cannot create risk treatment plan with status "approved" | A new risk treatment plan starts in "planned". | +0 log rows',
    'risk treatment plan: cannot be created in "approved" (IS004)');
SELECT pg_temp.refused_ok('isms.treatment_plan', :tp, 'verified', 'IS001',
    'Allowed next states from "planned": "approved", "withdrawn".', note => 'plan to check skips do');
SELECT pg_temp.move_ok('isms.treatment_plan', :tp, 'approved', 'risk owner agreed');
SELECT pg_temp.refused_ok('isms.treatment_plan', :tp, 'planned', 'IS002', 'This transition requires a reason.', via => 'update');
SELECT pg_temp.move_ok('isms.treatment_plan', :tp, 'planned', 'scope too narrow', 'update');
SELECT pg_temp.move_ok('isms.treatment_plan', :tp, 'approved');
SELECT pg_temp.move_ok('isms.treatment_plan', :tp, 'in_progress', via => 'update');
SELECT pg_temp.refused_ok('isms.treatment_plan', :tp, 'closed', 'IS001',
    'Allowed next states from "in_progress": "implemented".', note => 'do to act skips check');
SELECT pg_temp.move_ok('isms.treatment_plan', :tp, 'implemented');
SELECT pg_temp.refused_ok('isms.treatment_plan', :tp, 'in_progress', 'IS002', 'This transition requires a reason.');
SELECT pg_temp.move_ok('isms.treatment_plan', :tp, 'in_progress', 'backup job failed', 'update');
SELECT pg_temp.move_ok('isms.treatment_plan', :tp, 'implemented');
SELECT pg_temp.refused_ok('isms.treatment_plan', :tp, 'verified', 'IS002',
    'Guard "treatment_evidence" does not hold: no evidence is attached to the treatment plan.',
    note => 'no evidence at all');
INSERT INTO isms.treatment_plan (org_id, risk_id, title, action, owner)
    VALUES (1, 1, 'Tapes', 'Weekly tape rotation', 'IT lead') RETURNING id AS tp2 \gset
INSERT INTO isms.evidence (org_id, record_table, record_id, url)
    VALUES (1, 'isms.treatment_plan', :tp2, 'https://intranet.example/tapes.pdf');
SELECT pg_temp.refused_ok('isms.treatment_plan', :tp, 'verified', 'IS002',
    'Guard "treatment_evidence" does not hold: no evidence is attached to the treatment plan.',
    note => 'evidence of another plan, or of the risk, does not count');
INSERT INTO isms.evidence (org_id, record_table, record_id, url, description)
    VALUES (1, 'isms.treatment_plan', :tp, 'https://intranet.example/restore-test.pdf', 'Restore test report');
SELECT pg_temp.move_ok('isms.treatment_plan', :tp, 'verified', via => 'update', note => 'evidence attached: the guard holds');
SELECT pg_temp.refused_ok('isms.treatment_plan', :tp, 'planned', 'IS001',
    'Allowed next states from "verified": "closed", "in_progress".', reason => 'start over',
    note => 'a move the workflow does not define, even with a reason');
SELECT pg_temp.refused_ok('isms.treatment_plan', :tp, 'in_progress', 'IS002', 'This transition requires a reason.', via => 'update');
SELECT pg_temp.move_ok('isms.treatment_plan', :tp, 'in_progress', 'second site missing');
SELECT pg_temp.move_ok('isms.treatment_plan', :tp, 'implemented', via => 'update');
SELECT pg_temp.move_ok('isms.treatment_plan', :tp, 'verified');
SELECT pg_temp.move_ok('isms.treatment_plan', :tp, 'closed', via => 'update');
SELECT is(pg_temp.caught(format('UPDATE isms.treatment_plan SET title = %L WHERE id = %s', 'Backups v2', :tp)),
    format('IS003: cannot change risk treatment plan %s in its final status "closed" | A record in a final status is kept as it was closed. | +0 log rows', :tp),
    'risk treatment plan: a closed plan cannot be edited (IS003)');
SELECT pg_temp.refused_ok('isms.treatment_plan', :tp, 'planned', 'IS002', 'This transition requires a reason.',
    note => 'reopening needs a reason');
SELECT pg_temp.move_ok('isms.treatment_plan', :tp, 'planned', 'new backup site', 'update', 2,
    note => 'reopening starts cycle 2');
SELECT pg_temp.move_ok('isms.treatment_plan', :tp, 'approved', note => 'the moves of cycle 2 are logged in cycle 2');
SELECT pg_temp.refused_ok('isms.treatment_plan', :tp, 'withdrawn', 'IS002', 'This transition requires a reason.');
SELECT pg_temp.move_ok('isms.treatment_plan', :tp, 'withdrawn', 'site project cancelled', 'update');
SELECT is(pg_temp.log_of('isms.treatment_plan', :tp), ARRAY[
    'NULL -> planned, cycle 1, by alice, reason NULL',
    'planned -> approved, cycle 1, by alice, reason risk owner agreed',
    'approved -> planned, cycle 1, by alice, reason scope too narrow',
    'planned -> approved, cycle 1, by alice, reason NULL',
    'approved -> in_progress, cycle 1, by alice, reason NULL',
    'in_progress -> implemented, cycle 1, by alice, reason NULL',
    'implemented -> in_progress, cycle 1, by alice, reason backup job failed',
    'in_progress -> implemented, cycle 1, by alice, reason NULL',
    'implemented -> verified, cycle 1, by alice, reason NULL',
    'verified -> in_progress, cycle 1, by alice, reason second site missing',
    'in_progress -> implemented, cycle 1, by alice, reason NULL',
    'implemented -> verified, cycle 1, by alice, reason NULL',
    'verified -> closed, cycle 1, by alice, reason NULL',
    'closed -> planned, cycle 2, by alice, reason new backup site',
    'planned -> approved, cycle 2, by alice, reason NULL',
    'approved -> withdrawn, cycle 2, by alice, reason site project cancelled'],
    'risk treatment plan: one log row per accepted move, none for the refused ones');
SELECT pg_temp.refused_ok('isms.treatment_plan', :tp2, 'withdrawn', 'IS002', 'This transition requires a reason.', via => 'update');
SELECT pg_temp.move_ok('isms.treatment_plan', :tp2, 'withdrawn', 'merged into the backups plan');
SELECT pg_temp.refused_ok('isms.treatment_plan', :tp2, 'planned', 'IS001',
    'Allowed next states from "withdrawn": none.', reason => 'revive', note => 'a withdrawn plan stays withdrawn');
SELECT is(pg_temp.caught(format('UPDATE isms.treatment_plan SET due_on = %L WHERE id = %s', '2030-01-01', :tp2)),
    format('IS003: cannot change risk treatment plan %s in its final status "withdrawn" | A record in a final status is kept as it was closed. | +0 log rows', :tp2),
    'risk treatment plan: a withdrawn plan cannot be edited (IS003)');

------------------------------------------------------------------------------
-- Corrective action (10.2): planned | in_progress, implemented | verified |
-- closed; withdrawn.  Guard corrective_action_effective.

INSERT INTO isms.nonconformity (org_id, title, description, source, owner)
    VALUES (1, 'Restores never tested', 'No restore test in 2024', 'internal_audit', 'CISO') RETURNING id AS nc \gset
INSERT INTO isms.corrective_action (org_id, nonconformity_id, action, owner)
    VALUES (1, :nc, 'Quarterly restore tests', 'IT lead') RETURNING id AS ca \gset
SELECT is(pg_temp.log_of('isms.corrective_action', :ca), ARRAY['NULL -> planned, cycle 1, by alice, reason NULL'],
    'corrective action: created in "planned", logged');
SELECT is(pg_temp.caught(format($$INSERT INTO isms.corrective_action (org_id, nonconformity_id, action, owner, status)
                                  VALUES (1, %s, 'Restore drill', 'IT lead', 'in_progress')$$, :nc)),
    'IS004: cannot create corrective action with status "in_progress" | A new corrective action starts in "planned". | +0 log rows',
    'corrective action: cannot be created in "in_progress" (IS004)');
SELECT pg_temp.refused_ok('isms.corrective_action', :ca, 'verified', 'IS001',
    'Allowed next states from "planned": "in_progress", "withdrawn".', note => 'plan to check skips do');
SELECT pg_temp.move_ok('isms.corrective_action', :ca, 'in_progress', via => 'update');
SELECT pg_temp.move_ok('isms.corrective_action', :ca, 'implemented');
UPDATE isms.corrective_action SET implemented_by = 'bob', implemented_at = now() - interval '2 days' WHERE id = :ca;
SELECT is(pg_temp.nlog('isms.corrective_action', :ca), 3::bigint,
    'corrective action: an edit that does not move the record logs nothing');
SELECT pg_temp.refused_ok('isms.corrective_action', :ca, 'closed', 'IS001',
    'Allowed next states from "implemented": "in_progress", "verified".', note => 'do to act skips check');
SELECT pg_temp.refused_ok('isms.corrective_action', :ca, 'in_progress', 'IS002', 'This transition requires a reason.', via => 'update');
SELECT pg_temp.move_ok('isms.corrective_action', :ca, 'in_progress', 'not deployed on every server', 'update');
SELECT pg_temp.move_ok('isms.corrective_action', :ca, 'implemented');
SET LOCAL isms.actor = 'carol';
SELECT pg_temp.move_ok('isms.corrective_action', :ca, 'verified', via => 'update',
    note => 'the effectiveness check is recorded by another person');
SET LOCAL isms.actor = 'alice';
SELECT pg_temp.refused_ok('isms.corrective_action', :ca, 'closed', 'IS002',
    'Guard "corrective_action_effective" does not hold: no root cause is recorded.');
UPDATE isms.corrective_action SET root_cause = '   ' WHERE id = :ca;
SELECT pg_temp.refused_ok('isms.corrective_action', :ca, 'closed', 'IS002',
    'Guard "corrective_action_effective" does not hold: no root cause is recorded.',
    via => 'update', note => 'a blank root cause is none');
UPDATE isms.corrective_action SET root_cause = 'Restores were nobody''s task' WHERE id = :ca;
SELECT pg_temp.refused_ok('isms.corrective_action', :ca, 'closed', 'IS002',
    'Guard "corrective_action_effective" does not hold: no effectiveness check is recorded.');
UPDATE isms.corrective_action
   SET effectiveness_checked_by = 'bob', effectiveness_checked_at = now(), effective = true WHERE id = :ca;
SELECT pg_temp.refused_ok('isms.corrective_action', :ca, 'closed', 'IS002',
    'Guard "corrective_action_effective" does not hold: the effectiveness check was made by bob, who implemented the action.',
    note => 'the implementer checked it');
UPDATE isms.corrective_action SET effectiveness_checked_by = 'carol', effective = false WHERE id = :ca;
SELECT pg_temp.refused_ok('isms.corrective_action', :ca, 'closed', 'IS002',
    'Guard "corrective_action_effective" does not hold: the effectiveness check did not find the action effective.',
    via => 'update', note => 'checked by someone else but not effective');
SELECT pg_temp.refused_ok('isms.corrective_action', :ca, 'in_progress', 'IS002', 'This transition requires a reason.');
SELECT pg_temp.move_ok('isms.corrective_action', :ca, 'in_progress', 'restore test failed');
SELECT pg_temp.move_ok('isms.corrective_action', :ca, 'implemented', via => 'update');
SELECT pg_temp.move_ok('isms.corrective_action', :ca, 'verified');
UPDATE isms.corrective_action SET effective = true WHERE id = :ca;
SELECT pg_temp.refused_ok('isms.corrective_action', :ca, 'closed', 'IS002',
    'Guard "corrective_action_effective" does not hold: the log records alice both moving the action to implemented and recording its effectiveness check (to verified).',
    note => 'the names typed differ, but one person implemented and checked it');
SELECT pg_temp.move_ok('isms.corrective_action', :ca, 'in_progress', 'check by someone independent');
SELECT pg_temp.move_ok('isms.corrective_action', :ca, 'implemented');
SET LOCAL isms.actor = 'carol';
SELECT pg_temp.move_ok('isms.corrective_action', :ca, 'verified');
SET LOCAL isms.actor = 'alice';
SELECT pg_temp.move_ok('isms.corrective_action', :ca, 'closed',
    note => 'root cause, effectiveness check by someone other than the implementer, effective: the guard holds');
SELECT is(pg_temp.caught(format('UPDATE isms.corrective_action SET effectiveness_note = %L WHERE id = %s', 'late note', :ca)),
    format('IS003: cannot change corrective action %s in its final status "closed" | A record in a final status is kept as it was closed. | +0 log rows', :ca),
    'corrective action: a closed action cannot be edited (IS003)');
SELECT pg_temp.refused_ok('isms.corrective_action', :ca, 'planned', 'IS002', 'This transition requires a reason.',
    via => 'update', note => 'reopening needs a reason');
SELECT pg_temp.move_ok('isms.corrective_action', :ca, 'planned', 'the cause recurred', 'update', 2,
    note => 'reopening starts cycle 2');
SELECT is(pg_temp.log_of('isms.corrective_action', :ca), ARRAY[
    'NULL -> planned, cycle 1, by alice, reason NULL',
    'planned -> in_progress, cycle 1, by alice, reason NULL',
    'in_progress -> implemented, cycle 1, by alice, reason NULL',
    'implemented -> in_progress, cycle 1, by alice, reason not deployed on every server',
    'in_progress -> implemented, cycle 1, by alice, reason NULL',
    'implemented -> verified, cycle 1, by carol, reason NULL',
    'verified -> in_progress, cycle 1, by alice, reason restore test failed',
    'in_progress -> implemented, cycle 1, by alice, reason NULL',
    'implemented -> verified, cycle 1, by alice, reason NULL',
    'verified -> in_progress, cycle 1, by alice, reason check by someone independent',
    'in_progress -> implemented, cycle 1, by alice, reason NULL',
    'implemented -> verified, cycle 1, by carol, reason NULL',
    'verified -> closed, cycle 1, by alice, reason NULL',
    'closed -> planned, cycle 2, by alice, reason the cause recurred'],
    'corrective action: one log row per accepted move');
INSERT INTO isms.corrective_action (org_id, nonconformity_id, action, owner)
    VALUES (1, :nc, 'Buy a tape library', 'IT lead') RETURNING id AS ca2 \gset
SELECT pg_temp.refused_ok('isms.corrective_action', :ca2, 'withdrawn', 'IS002', 'This transition requires a reason.');
SELECT pg_temp.move_ok('isms.corrective_action', :ca2, 'withdrawn', 'cloud backups make it moot', 'update');

------------------------------------------------------------------------------
-- Nonconformity (10.2): reported, analysed | correcting | verifying |
-- closed; rejected.  Guard nonconformity_actions_closed.

SELECT is(pg_temp.log_of('isms.nonconformity', :nc), ARRAY['NULL -> reported, cycle 1, by alice, reason NULL'],
    'nonconformity: created in "reported", logged');
SELECT is(pg_temp.caught($$INSERT INTO isms.nonconformity (org_id, title, description, source, owner, status)
                           VALUES (1, 'Late reviews', 'Two reviews late', 'monitoring', 'CISO', 'closed')$$),
    'IS004: cannot create nonconformity with status "closed" | A new nonconformity starts in "reported". | +0 log rows',
    'nonconformity: cannot be created in "closed" (IS004)');
SELECT pg_temp.refused_ok('isms.nonconformity', :nc, 'verifying', 'IS001',
    'Allowed next states from "reported": "analysed", "rejected".', note => 'plan to check skips do');
SELECT pg_temp.move_ok('isms.nonconformity', :nc, 'analysed');
SELECT pg_temp.move_ok('isms.nonconformity', :nc, 'correcting', via => 'update');
SELECT pg_temp.refused_ok('isms.nonconformity', :nc, 'closed', 'IS001',
    'Allowed next states from "correcting": "verifying".', note => 'do to act skips check');
SELECT pg_temp.move_ok('isms.nonconformity', :nc, 'verifying');
SELECT pg_temp.refused_ok('isms.nonconformity', :nc, 'correcting', 'IS002', 'This transition requires a reason.', via => 'update');
SELECT pg_temp.move_ok('isms.nonconformity', :nc, 'correcting', 'more actions needed', 'update');
SELECT pg_temp.move_ok('isms.nonconformity', :nc, 'verifying');
INSERT INTO isms.corrective_action (org_id, nonconformity_id, action, owner)
    VALUES (1, :nc, 'Document the restore procedure', 'IT lead') RETURNING id AS ca3 \gset
SELECT pg_temp.refused_ok('isms.nonconformity', :nc, 'closed', 'IS002',
    format('Guard "nonconformity_actions_closed" does not hold: corrective action %s is still planned.', :ca),
    note => 'two actions open, the first is named');
SELECT pg_temp.move_ok('isms.corrective_action', :ca, 'in_progress');
SELECT pg_temp.move_ok('isms.corrective_action', :ca, 'implemented');
SELECT pg_temp.refused_ok('isms.nonconformity', :nc, 'closed', 'IS002',
    format('Guard "nonconformity_actions_closed" does not hold: corrective action %s is still implemented.', :ca),
    via => 'update');
SET LOCAL isms.actor = 'carol';
SELECT pg_temp.move_ok('isms.corrective_action', :ca, 'verified');
SET LOCAL isms.actor = 'alice';
SELECT pg_temp.move_ok('isms.corrective_action', :ca, 'closed', note => 'cycle 2 closes too');
SELECT pg_temp.refused_ok('isms.nonconformity', :nc, 'closed', 'IS002',
    format('Guard "nonconformity_actions_closed" does not hold: corrective action %s is still planned.', :ca3),
    note => 'one action still open');
SELECT pg_temp.move_ok('isms.corrective_action', :ca3, 'withdrawn', 'covered by the quarterly tests');
SELECT pg_temp.move_ok('isms.nonconformity', :nc, 'closed', via => 'update',
    note => 'every action closed or withdrawn (an open action of another nonconformity does not count)');
SELECT is(pg_temp.caught(format('UPDATE isms.nonconformity SET severity = %L WHERE id = %s', 'major', :nc)),
    format('IS003: cannot change nonconformity %s in its final status "closed" | A record in a final status is kept as it was closed. | +0 log rows', :nc),
    'nonconformity: a closed nonconformity cannot be edited (IS003)');
SELECT pg_temp.refused_ok('isms.nonconformity', :nc, 'reported', 'IS002', 'This transition requires a reason.',
    note => 'reopening needs a reason');
SELECT pg_temp.move_ok('isms.nonconformity', :nc, 'reported', 'restore failed again', 'transition', 2,
    note => 'reopening starts cycle 2');
SELECT is(pg_temp.log_of('isms.nonconformity', :nc), ARRAY[
    'NULL -> reported, cycle 1, by alice, reason NULL',
    'reported -> analysed, cycle 1, by alice, reason NULL',
    'analysed -> correcting, cycle 1, by alice, reason NULL',
    'correcting -> verifying, cycle 1, by alice, reason NULL',
    'verifying -> correcting, cycle 1, by alice, reason more actions needed',
    'correcting -> verifying, cycle 1, by alice, reason NULL',
    'verifying -> closed, cycle 1, by alice, reason NULL',
    'closed -> reported, cycle 2, by alice, reason restore failed again'],
    'nonconformity: one log row per accepted move');
INSERT INTO isms.nonconformity (org_id, title, description, source, owner)
    VALUES (1, 'Printer unlocked', 'Not an ISMS requirement', 'complaint', 'CISO') RETURNING id AS nc2 \gset
SELECT pg_temp.refused_ok('isms.nonconformity', :nc2, 'rejected', 'IS002', 'This transition requires a reason.', via => 'update');
SELECT pg_temp.move_ok('isms.nonconformity', :nc2, 'rejected', 'out of scope');

------------------------------------------------------------------------------
-- Audit (9.2), by a member auditor: planned | in_progress | reporting |
-- completed; cancelled.

SET LOCAL ROLE wf_auditor;
SET LOCAL isms.actor = 'lee';
INSERT INTO isms.audit (org_id, programme_id, title, scope, criteria, lead_auditor, planned_start, planned_end)
    VALUES (1, 1, 'Audit of A.8.13', 'Backups', 'ISO/IEC 27001:2022 A.8.13', 'Lee', '2025-05-01', '2025-05-02')
    RETURNING id AS au \gset
SELECT is(pg_temp.log_of('isms.audit', :au), ARRAY['NULL -> planned, cycle 1, by lee, reason NULL'],
    'audit: created in "planned" by an auditor, logged');
SELECT is(pg_temp.caught($$INSERT INTO isms.audit (org_id, programme_id, title, scope, criteria, lead_auditor, planned_start, planned_end, status)
                           VALUES (1, 1, 'Audit of 5.1', 'Leadership', '5.1', 'Lee', '2025-06-01', '2025-06-01', 'completed')$$),
    'IS004: cannot create audit with status "completed" | A new audit starts in "planned". | +0 log rows',
    'audit: cannot be created in "completed" (IS004)');
SELECT pg_temp.refused_ok('isms.audit', :au, 'reporting', 'IS001',
    'Allowed next states from "planned": "cancelled", "in_progress".', note => 'plan to check skips do');
SELECT pg_temp.move_ok('isms.audit', :au, 'in_progress', via => 'update');
SELECT pg_temp.refused_ok('isms.audit', :au, 'completed', 'IS001',
    'Allowed next states from "in_progress": "reporting".', note => 'do to act skips check');
SELECT pg_temp.move_ok('isms.audit', :au, 'reporting');
SELECT pg_temp.refused_ok('isms.audit', :au, 'in_progress', 'IS002', 'This transition requires a reason.', via => 'update');
SELECT pg_temp.move_ok('isms.audit', :au, 'in_progress', 'sample too small', 'update');
SELECT pg_temp.move_ok('isms.audit', :au, 'reporting');
SELECT pg_temp.move_ok('isms.audit', :au, 'completed', via => 'update');
SELECT is(pg_temp.caught(format('UPDATE isms.audit SET summary = %L WHERE id = %s', 'rewritten', :au)),
    format('IS003: cannot change audit %s in its final status "completed" | A record in a final status is kept as it was closed. | +0 log rows', :au),
    'audit: a completed audit cannot be edited (IS003)');
SELECT pg_temp.refused_ok('isms.audit', :au, 'planned', 'IS001', 'Allowed next states from "completed": none.',
    reason => 'audit again', note => 'a completed audit is not reopened: the next audit is a new record');
SELECT is(pg_temp.log_of('isms.audit', :au), ARRAY[
    'NULL -> planned, cycle 1, by lee, reason NULL',
    'planned -> in_progress, cycle 1, by lee, reason NULL',
    'in_progress -> reporting, cycle 1, by lee, reason NULL',
    'reporting -> in_progress, cycle 1, by lee, reason sample too small',
    'in_progress -> reporting, cycle 1, by lee, reason NULL',
    'reporting -> completed, cycle 1, by lee, reason NULL'],
    'audit: one log row per accepted move');
INSERT INTO isms.audit (org_id, programme_id, title, scope, criteria, lead_auditor, planned_start, planned_end)
    VALUES (1, 1, 'Audit of 7.2', 'Competence', 'ISO/IEC 27001:2022 7.2', 'Lee', '2025-07-01', '2025-07-01')
    RETURNING id AS au2 \gset
SELECT pg_temp.refused_ok('isms.audit', :au2, 'cancelled', 'IS002', 'This transition requires a reason.');
SELECT pg_temp.move_ok('isms.audit', :au2, 'cancelled', 'auditor unavailable', 'update');
SELECT pg_temp.refused_ok('isms.audit', :au2, 'planned', 'IS001', 'Allowed next states from "cancelled": none.',
    reason => 'back on', via => 'update');

------------------------------------------------------------------------------
-- Audit finding (9.2, 4.4): raised, accepted | in_treatment | resolved |
-- closed; withdrawn.  Guard finding_linked_to_nonconformity.

INSERT INTO isms.audit_finding (org_id, audit_id, finding_type, requirement, statement)
    VALUES (1, :au, 'nonconformity', 'A.8.13', 'Restores are not tested') RETURNING id AS af \gset
SELECT is(pg_temp.log_of('isms.audit_finding', :af), ARRAY['NULL -> raised, cycle 1, by lee, reason NULL'],
    'audit finding: created in "raised", logged');
SELECT is(pg_temp.caught($$INSERT INTO isms.audit_finding (org_id, audit_id, finding_type, statement, status)
                           VALUES (1, 1, 'observation', 'Logs kept 30 days only', 'accepted')$$),
    'IS004: cannot create audit finding with status "accepted" | A new audit finding starts in "raised". | +0 log rows',
    'audit finding: cannot be created in "accepted" (IS004)');
SELECT pg_temp.refused_ok('isms.audit_finding', :af, 'resolved', 'IS001',
    'Allowed next states from "raised": "accepted", "withdrawn".', note => 'plan to check skips do');
SELECT pg_temp.move_ok('isms.audit_finding', :af, 'accepted');
SELECT pg_temp.move_ok('isms.audit_finding', :af, 'in_treatment', via => 'update');
SELECT pg_temp.refused_ok('isms.audit_finding', :af, 'closed', 'IS001',
    'Allowed next states from "in_treatment": "resolved".', note => 'do to act skips check');
SELECT pg_temp.move_ok('isms.audit_finding', :af, 'resolved');
SELECT pg_temp.refused_ok('isms.audit_finding', :af, 'in_treatment', 'IS002', 'This transition requires a reason.');
SELECT pg_temp.move_ok('isms.audit_finding', :af, 'in_treatment', 'treatment incomplete', 'update');
SELECT pg_temp.move_ok('isms.audit_finding', :af, 'resolved');
SELECT pg_temp.refused_ok('isms.audit_finding', :af, 'closed', 'IS002',
    'Guard "finding_linked_to_nonconformity" does not hold: the finding is a nonconformity but is not linked to a nonconformity record.',
    via => 'update');
UPDATE isms.audit_finding SET nonconformity_id = :nc WHERE id = :af;
SELECT pg_temp.move_ok('isms.audit_finding', :af, 'closed', note => 'linked to its nonconformity: the guard holds');
SELECT is(pg_temp.caught(format('UPDATE isms.audit_finding SET severity = %L WHERE id = %s', 'minor', :af)),
    format('IS003: cannot change audit finding %s in its final status "closed" | A record in a final status is kept as it was closed. | +0 log rows', :af),
    'audit finding: a closed finding cannot be edited (IS003)');
SELECT pg_temp.refused_ok('isms.audit_finding', :af, 'raised', 'IS002', 'This transition requires a reason.',
    via => 'update', note => 'reopening needs a reason');
SELECT pg_temp.move_ok('isms.audit_finding', :af, 'raised', 'follow-up audit found it again', 'update', 2,
    note => 'reopening starts cycle 2');
SELECT is(pg_temp.log_of('isms.audit_finding', :af), ARRAY[
    'NULL -> raised, cycle 1, by lee, reason NULL',
    'raised -> accepted, cycle 1, by lee, reason NULL',
    'accepted -> in_treatment, cycle 1, by lee, reason NULL',
    'in_treatment -> resolved, cycle 1, by lee, reason NULL',
    'resolved -> in_treatment, cycle 1, by lee, reason treatment incomplete',
    'in_treatment -> resolved, cycle 1, by lee, reason NULL',
    'resolved -> closed, cycle 1, by lee, reason NULL',
    'closed -> raised, cycle 2, by lee, reason follow-up audit found it again'],
    'audit finding: one log row per accepted move');
INSERT INTO isms.audit_finding (org_id, audit_id, finding_type, statement)
    VALUES (1, :au, 'observation', 'Backup logs kept 30 days only') RETURNING id AS af2 \gset
SELECT pg_temp.move_ok('isms.audit_finding', :af2, 'accepted');
SELECT pg_temp.move_ok('isms.audit_finding', :af2, 'in_treatment');
SELECT pg_temp.move_ok('isms.audit_finding', :af2, 'resolved');
SELECT pg_temp.move_ok('isms.audit_finding', :af2, 'closed', via => 'update',
    note => 'an observation closes without a nonconformity record');
INSERT INTO isms.audit_finding (org_id, audit_id, finding_type, statement)
    VALUES (1, :au, 'opportunity', 'Automate restore tests') RETURNING id AS af3 \gset
SELECT pg_temp.refused_ok('isms.audit_finding', :af3, 'withdrawn', 'IS002', 'This transition requires a reason.');
SELECT pg_temp.move_ok('isms.audit_finding', :af3, 'withdrawn', 'raised twice', 'update');

SET LOCAL ROLE wf_editor;
SET LOCAL isms.actor = 'alice';

------------------------------------------------------------------------------
-- Management review action (9.3.3): open | in_progress | done | closed.

INSERT INTO isms.review_action (org_id, review_id, action, owner)
    VALUES (1, 1, 'Budget a second backup site', 'CFO') RETURNING id AS ra \gset
SELECT is(pg_temp.log_of('isms.review_action', :ra), ARRAY['NULL -> open, cycle 1, by alice, reason NULL'],
    'management review action: created in "open", logged');
SELECT is(pg_temp.caught($$INSERT INTO isms.review_action (org_id, review_id, action, owner, status)
                           VALUES (1, 1, 'Hire', 'CEO', 'in_progress')$$),
    'IS004: cannot create management review action with status "in_progress" | A new management review action starts in "open". | +0 log rows',
    'management review action: cannot be created in "in_progress" (IS004)');
SELECT pg_temp.refused_ok('isms.review_action', :ra, 'done', 'IS001',
    'Allowed next states from "open": "in_progress".', note => 'plan to check skips do');
SELECT pg_temp.move_ok('isms.review_action', :ra, 'in_progress', via => 'update');
SELECT pg_temp.refused_ok('isms.review_action', :ra, 'closed', 'IS001',
    'Allowed next states from "in_progress": "done".', note => 'do to act skips check');
SELECT pg_temp.move_ok('isms.review_action', :ra, 'done');
SELECT pg_temp.refused_ok('isms.review_action', :ra, 'in_progress', 'IS002', 'This transition requires a reason.', via => 'update');
SELECT pg_temp.move_ok('isms.review_action', :ra, 'in_progress', 'budget not approved', 'update');
SELECT pg_temp.move_ok('isms.review_action', :ra, 'done');
SELECT pg_temp.move_ok('isms.review_action', :ra, 'closed', via => 'update');
SELECT is(pg_temp.caught(format('UPDATE isms.review_action SET completed_at = now() WHERE id = %s', :ra)),
    format('IS003: cannot change management review action %s in its final status "closed" | A record in a final status is kept as it was closed. | +0 log rows', :ra),
    'management review action: a closed action cannot be edited (IS003)');
SELECT pg_temp.refused_ok('isms.review_action', :ra, 'open', 'IS002', 'This transition requires a reason.',
    note => 'reopening needs a reason');
SELECT pg_temp.move_ok('isms.review_action', :ra, 'open', 'the board asked again', 'transition', 2,
    note => 'reopening starts cycle 2');
SELECT pg_temp.move_ok('isms.review_action', :ra, 'in_progress', via => 'update', note => 'logged in cycle 2');
SELECT is(pg_temp.log_of('isms.review_action', :ra), ARRAY[
    'NULL -> open, cycle 1, by alice, reason NULL',
    'open -> in_progress, cycle 1, by alice, reason NULL',
    'in_progress -> done, cycle 1, by alice, reason NULL',
    'done -> in_progress, cycle 1, by alice, reason budget not approved',
    'in_progress -> done, cycle 1, by alice, reason NULL',
    'done -> closed, cycle 1, by alice, reason NULL',
    'closed -> open, cycle 2, by alice, reason the board asked again',
    'open -> in_progress, cycle 2, by alice, reason NULL'],
    'management review action: one log row per accepted move');

------------------------------------------------------------------------------
-- Objective (6.2): planned | active | evaluating | achieved, not_achieved.
-- Guard objective_target_met.

INSERT INTO isms.objective (org_id, title, target, unit, direction, owner)
    VALUES (1, 'Restore tests passed', 99.5, '%', 'at_least', 'IT lead') RETURNING id AS ob \gset
SELECT is(pg_temp.log_of('isms.objective', :ob), ARRAY['NULL -> planned, cycle 1, by alice, reason NULL'],
    'objective: created in "planned", logged');
SELECT is(pg_temp.caught($$INSERT INTO isms.objective (org_id, title, target, unit, direction, owner, status)
                           VALUES (1, 'Phishing clicks', 2, '%', 'at_most', 'CISO', 'achieved')$$),
    'IS004: cannot create objective with status "achieved" | A new objective starts in "planned". | +0 log rows',
    'objective: cannot be created in "achieved" (IS004)');
SELECT pg_temp.refused_ok('isms.objective', :ob, 'evaluating', 'IS001',
    'Allowed next states from "planned": "active".', note => 'plan to check skips do');
SELECT pg_temp.move_ok('isms.objective', :ob, 'active', via => 'update');
SELECT pg_temp.refused_ok('isms.objective', :ob, 'achieved', 'IS001',
    'Allowed next states from "active": "evaluating".', note => 'do to act skips check');
SELECT pg_temp.move_ok('isms.objective', :ob, 'evaluating');
SELECT pg_temp.refused_ok('isms.objective', :ob, 'achieved', 'IS002',
    'Guard "objective_target_met" does not hold: no measurement up to now is recorded against the target 99.5 %.', note => 'no measurement');
INSERT INTO isms.objective_measurement (org_id, objective_id, measured_at, value)
    VALUES (1, :ob, '2025-03-31T12:00:00Z', 98);
SELECT pg_temp.refused_ok('isms.objective', :ob, 'achieved', 'IS002',
    'Guard "objective_target_met" does not hold: the latest measurement, 98 % on 2025-03-31 12:00 UTC, does not meet the target 99.5 %.',
    via => 'update', note => 'at_least: a measurement below the target');
SELECT pg_temp.move_ok('isms.objective', :ob, 'active', via => 'update', note => 'back to do without a reason');
SELECT pg_temp.move_ok('isms.objective', :ob, 'evaluating');
INSERT INTO isms.objective_measurement (org_id, objective_id, measured_at, value)
    VALUES (1, :ob, '2025-06-30T12:00:00Z', 99.5);
SELECT pg_temp.move_ok('isms.objective', :ob, 'achieved', note => 'at_least: a measurement equal to the target meets it');
SELECT is(pg_temp.caught(format('UPDATE isms.objective SET target = 100 WHERE id = %s', :ob)),
    format('IS003: cannot change objective %s in its final status "achieved" | A record in a final status is kept as it was closed. | +0 log rows', :ob),
    'objective: an achieved objective cannot be edited (IS003)');
SELECT pg_temp.move_ok('isms.objective', :ob, 'planned', via => 'update', cycle => 2,
    note => 'the next period starts cycle 2; the objective workflow asks no reason');
SELECT is(pg_temp.log_of('isms.objective', :ob), ARRAY[
    'NULL -> planned, cycle 1, by alice, reason NULL',
    'planned -> active, cycle 1, by alice, reason NULL',
    'active -> evaluating, cycle 1, by alice, reason NULL',
    'evaluating -> active, cycle 1, by alice, reason NULL',
    'active -> evaluating, cycle 1, by alice, reason NULL',
    'evaluating -> achieved, cycle 1, by alice, reason NULL',
    'achieved -> planned, cycle 2, by alice, reason NULL'],
    'objective: one log row per accepted move');
INSERT INTO isms.objective (org_id, title, target, unit, direction, owner)
    VALUES (1, 'Days to restore', 5, 'days', 'at_most', 'IT lead') RETURNING id AS ob2 \gset
SELECT pg_temp.move_ok('isms.objective', :ob2, 'active');
SELECT pg_temp.move_ok('isms.objective', :ob2, 'evaluating');
INSERT INTO isms.objective_measurement (org_id, objective_id, measured_at, value)
    VALUES (1, :ob2, '2025-03-31T12:00:00Z', 7);
SELECT pg_temp.refused_ok('isms.objective', :ob2, 'achieved', 'IS002',
    'Guard "objective_target_met" does not hold: the latest measurement, 7 days on 2025-03-31 12:00 UTC, does not meet the target 5 days.',
    note => 'at_most: a measurement above the target');
INSERT INTO isms.objective_measurement (org_id, objective_id, measured_at, value)
    VALUES (1, :ob2, '2025-06-30T12:00:00Z', 4);
SELECT pg_temp.move_ok('isms.objective', :ob2, 'achieved', via => 'update', note => 'at_most: a measurement below the target meets it');
INSERT INTO isms.objective (org_id, title, target, unit, direction, owner)
    VALUES (1, 'Backup coverage', 100, '%', 'at_least', 'IT lead') RETURNING id AS ob3 \gset
SELECT pg_temp.move_ok('isms.objective', :ob3, 'active');
SELECT pg_temp.move_ok('isms.objective', :ob3, 'evaluating');
SELECT pg_temp.refused_ok('isms.objective', :ob3, 'not_achieved', 'IS002', 'This transition requires a reason.');
SELECT pg_temp.move_ok('isms.objective', :ob3, 'not_achieved', 'legacy servers excluded', 'update');
SELECT is(pg_temp.caught(format('UPDATE isms.objective SET target = 90 WHERE id = %s', :ob3)),
    format('IS003: cannot change objective %s in its final status "not_achieved" | A record in a final status is kept as it was closed. | +0 log rows', :ob3),
    'objective: an objective not achieved cannot be edited (IS003)');
SELECT pg_temp.move_ok('isms.objective', :ob3, 'planned', cycle => 2, note => 'a missed objective is planned again in cycle 2');

------------------------------------------------------------------------------
-- Incident (A.5.24-5.28): reported, triaged | contained | resolved |
-- closed; rejected.  Guard incident_lessons_learned.

INSERT INTO isms.incident (org_id, title, severity, detected_at, owner)
    VALUES (1, 'Ransomware on the file server', 'high', now() - interval '1 hour', 'SOC') RETURNING id AS inc \gset
SELECT is(pg_temp.log_of('isms.incident', :inc), ARRAY['NULL -> reported, cycle 1, by alice, reason NULL'],
    'incident: created in "reported", logged');
SELECT is(pg_temp.caught($$INSERT INTO isms.incident (org_id, title, severity, detected_at, owner, status)
                           VALUES (1, 'Lost laptop', 'medium', now() - interval '1 hour', 'SOC', 'triaged')$$),
    'IS004: cannot create incident with status "triaged" | A new incident starts in "reported". | +0 log rows',
    'incident: cannot be created in "triaged" (IS004)');
SELECT pg_temp.refused_ok('isms.incident', :inc, 'resolved', 'IS001',
    'Allowed next states from "reported": "rejected", "triaged".', note => 'plan to check skips do');
SELECT pg_temp.move_ok('isms.incident', :inc, 'triaged', via => 'update');
SELECT pg_temp.refused_ok('isms.incident', :inc, 'closed', 'IS001',
    'Allowed next states from "triaged": "contained".', note => 'plan to act skips do and check');
SELECT pg_temp.move_ok('isms.incident', :inc, 'contained');
SELECT pg_temp.move_ok('isms.incident', :inc, 'resolved', via => 'update');
SELECT pg_temp.refused_ok('isms.incident', :inc, 'contained', 'IS002', 'This transition requires a reason.');
SELECT pg_temp.move_ok('isms.incident', :inc, 'contained', 'second host encrypted');
SELECT pg_temp.move_ok('isms.incident', :inc, 'resolved');
SELECT pg_temp.refused_ok('isms.incident', :inc, 'closed', 'IS002',
    'Guard "incident_lessons_learned" does not hold: no lessons learned are recorded.', via => 'update');
UPDATE isms.incident SET lessons_learned = ' ' WHERE id = :inc;
SELECT pg_temp.refused_ok('isms.incident', :inc, 'closed', 'IS002',
    'Guard "incident_lessons_learned" does not hold: no lessons learned are recorded.',
    note => 'blank lessons learned are none');
UPDATE isms.incident SET status = 'closed', lessons_learned = 'Keep an offline copy' WHERE id = :inc;
SELECT is(pg_temp.last_log('isms.incident', :inc) || '; now ' || pg_temp.state('isms.incident', :inc),
    'resolved -> closed, cycle 1, by alice, reason NULL; now closed/1',
    'incident: lessons learned recorded by the closing UPDATE itself satisfy the guard (it sees the new row)');
SELECT is(pg_temp.caught(format('UPDATE isms.incident SET lessons_learned = %L WHERE id = %s', 'none', :inc)),
    format('IS003: cannot change incident %s in its final status "closed" | A record in a final status is kept as it was closed. | +0 log rows', :inc),
    'incident: a closed incident cannot be edited (IS003)');
SELECT pg_temp.refused_ok('isms.incident', :inc, 'reported', 'IS002', 'This transition requires a reason.',
    via => 'update', note => 'reopening needs a reason');
SELECT pg_temp.move_ok('isms.incident', :inc, 'reported', 'malware found again', 'update', 2,
    note => 'reopening starts cycle 2');
SELECT is(pg_temp.log_of('isms.incident', :inc), ARRAY[
    'NULL -> reported, cycle 1, by alice, reason NULL',
    'reported -> triaged, cycle 1, by alice, reason NULL',
    'triaged -> contained, cycle 1, by alice, reason NULL',
    'contained -> resolved, cycle 1, by alice, reason NULL',
    'resolved -> contained, cycle 1, by alice, reason second host encrypted',
    'contained -> resolved, cycle 1, by alice, reason NULL',
    'resolved -> closed, cycle 1, by alice, reason NULL',
    'closed -> reported, cycle 2, by alice, reason malware found again'],
    'incident: one log row per accepted move');
INSERT INTO isms.incident (org_id, title, severity, detected_at, owner)
    VALUES (1, 'Fire drill alarm', 'low', now() - interval '1 hour', 'SOC') RETURNING id AS inc2 \gset
SELECT pg_temp.refused_ok('isms.incident', :inc2, 'rejected', 'IS002', 'This transition requires a reason.', via => 'update');
SELECT pg_temp.move_ok('isms.incident', :inc2, 'rejected', 'planned drill, not an incident');

------------------------------------------------------------------------------
-- Improvement (10.1): proposed, approved | implementing | evaluating |
-- implemented; rejected.

INSERT INTO isms.improvement (org_id, title, description, owner)
    VALUES (1, 'Automate restore tests', 'Nightly restore of a sample', 'IT lead') RETURNING id AS im \gset
SELECT is(pg_temp.log_of('isms.improvement', :im), ARRAY['NULL -> proposed, cycle 1, by alice, reason NULL'],
    'improvement: created in "proposed", logged');
SELECT is(pg_temp.caught($$INSERT INTO isms.improvement (org_id, title, description, owner, status)
                           VALUES (1, 'Shorter logs', 'Rotate logs', 'IT lead', 'implemented')$$),
    'IS004: cannot create improvement with status "implemented" | A new improvement starts in "proposed". | +0 log rows',
    'improvement: cannot be created in "implemented" (IS004)');
SELECT pg_temp.refused_ok('isms.improvement', :im, 'evaluating', 'IS001',
    'Allowed next states from "proposed": "approved", "rejected".', note => 'plan to check skips do');
SELECT pg_temp.move_ok('isms.improvement', :im, 'approved');
SELECT pg_temp.move_ok('isms.improvement', :im, 'implementing', via => 'update');
SELECT pg_temp.refused_ok('isms.improvement', :im, 'implemented', 'IS001',
    'Allowed next states from "implementing": "evaluating".', note => 'do to act skips check');
SELECT pg_temp.move_ok('isms.improvement', :im, 'evaluating');
SELECT pg_temp.refused_ok('isms.improvement', :im, 'implementing', 'IS002', 'This transition requires a reason.', via => 'update');
SELECT pg_temp.move_ok('isms.improvement', :im, 'implementing', 'too slow', 'update');
SELECT pg_temp.move_ok('isms.improvement', :im, 'evaluating');
SELECT pg_temp.move_ok('isms.improvement', :im, 'implemented', via => 'update');
SELECT is(pg_temp.caught(format('UPDATE isms.improvement SET expected_benefit = %L WHERE id = %s', 'more', :im)),
    format('IS003: cannot change improvement %s in its final status "implemented" | A record in a final status is kept as it was closed. | +0 log rows', :im),
    'improvement: an implemented improvement cannot be edited (IS003)');
SELECT pg_temp.refused_ok('isms.improvement', :im, 'proposed', 'IS002', 'This transition requires a reason.',
    note => 'reopening needs a reason');
SELECT pg_temp.move_ok('isms.improvement', :im, 'proposed', 'extend to databases', 'transition', 2,
    note => 'reopening starts cycle 2');
SELECT is(pg_temp.log_of('isms.improvement', :im), ARRAY[
    'NULL -> proposed, cycle 1, by alice, reason NULL',
    'proposed -> approved, cycle 1, by alice, reason NULL',
    'approved -> implementing, cycle 1, by alice, reason NULL',
    'implementing -> evaluating, cycle 1, by alice, reason NULL',
    'evaluating -> implementing, cycle 1, by alice, reason too slow',
    'implementing -> evaluating, cycle 1, by alice, reason NULL',
    'evaluating -> implemented, cycle 1, by alice, reason NULL',
    'implemented -> proposed, cycle 2, by alice, reason extend to databases'],
    'improvement: one log row per accepted move');
INSERT INTO isms.improvement (org_id, title, description, owner)
    VALUES (1, 'Paper archive', 'Print every log', 'IT lead') RETURNING id AS im2 \gset
SELECT pg_temp.refused_ok('isms.improvement', :im2, 'rejected', 'IS002', 'This transition requires a reason.');
SELECT pg_temp.move_ok('isms.improvement', :im2, 'rejected', 'no benefit', 'update');

------------------------------------------------------------------------------
-- Planned change (6.3): proposed, approved | implementing | reviewing |
-- completed; rejected.

INSERT INTO isms.planned_change (org_id, title, purpose, owner)
    VALUES (1, 'Backups to the cloud', 'Offsite copies', 'IT lead') RETURNING id AS pc \gset
SELECT is(pg_temp.log_of('isms.planned_change', :pc), ARRAY['NULL -> proposed, cycle 1, by alice, reason NULL'],
    'planned change: created in "proposed", logged');
SELECT is(pg_temp.caught($$INSERT INTO isms.planned_change (org_id, title, purpose, owner, status)
                           VALUES (1, 'New firewall', 'Segmentation', 'IT lead', 'approved')$$),
    'IS004: cannot create planned change with status "approved" | A new planned change starts in "proposed". | +0 log rows',
    'planned change: cannot be created in "approved" (IS004)');
SELECT pg_temp.refused_ok('isms.planned_change', :pc, 'reviewing', 'IS001',
    'Allowed next states from "proposed": "approved", "rejected".', note => 'plan to check skips do');
SELECT pg_temp.move_ok('isms.planned_change', :pc, 'approved', via => 'update');
SELECT pg_temp.move_ok('isms.planned_change', :pc, 'implementing');
SELECT pg_temp.refused_ok('isms.planned_change', :pc, 'completed', 'IS001',
    'Allowed next states from "implementing": "reviewing".', note => 'do to act skips check');
SELECT pg_temp.move_ok('isms.planned_change', :pc, 'reviewing', via => 'update');
SELECT pg_temp.refused_ok('isms.planned_change', :pc, 'implementing', 'IS002', 'This transition requires a reason.');
SELECT pg_temp.move_ok('isms.planned_change', :pc, 'implementing', 'encryption keys missing');
SELECT pg_temp.move_ok('isms.planned_change', :pc, 'reviewing');
SELECT pg_temp.move_ok('isms.planned_change', :pc, 'completed', via => 'update');
SELECT is(pg_temp.caught(format('UPDATE isms.planned_change SET implemented_at = now() WHERE id = %s', :pc)),
    format('IS003: cannot change planned change %s in its final status "completed" | A record in a final status is kept as it was closed. | +0 log rows', :pc),
    'planned change: a completed change cannot be edited (IS003)');
SELECT pg_temp.refused_ok('isms.planned_change', :pc, 'proposed', 'IS001', 'Allowed next states from "completed": none.',
    reason => 'again', note => 'a completed change is not reopened: the next change is a new record');
SELECT is(pg_temp.log_of('isms.planned_change', :pc), ARRAY[
    'NULL -> proposed, cycle 1, by alice, reason NULL',
    'proposed -> approved, cycle 1, by alice, reason NULL',
    'approved -> implementing, cycle 1, by alice, reason NULL',
    'implementing -> reviewing, cycle 1, by alice, reason NULL',
    'reviewing -> implementing, cycle 1, by alice, reason encryption keys missing',
    'implementing -> reviewing, cycle 1, by alice, reason NULL',
    'reviewing -> completed, cycle 1, by alice, reason NULL'],
    'planned change: one log row per accepted move');
INSERT INTO isms.planned_change (org_id, title, purpose, owner)
    VALUES (1, 'Drop backups', 'Save money', 'CFO') RETURNING id AS pc2 \gset
SELECT pg_temp.refused_ok('isms.planned_change', :pc2, 'rejected', 'IS002', 'This transition requires a reason.', via => 'update');
SELECT pg_temp.move_ok('isms.planned_change', :pc2, 'rejected', 'contradicts A.8.13');

------------------------------------------------------------------------------
-- Task (8.1, 9.1): open | acknowledged, reminded, escalated | done;
-- cancelled (with a reason).  The sweep makes the reminders; here a member
-- moves them by hand.

INSERT INTO isms.task (org_id, kind, record_table, record_id, title, owner, due_at)
    VALUES (1, 'audit_due', 'isms.audit', 101, 'Complete audit', 'Lee', '2025-03-02') RETURNING id AS k1 \gset
SELECT is(pg_temp.log_of('isms.task', :k1), ARRAY['NULL -> open, cycle 1, by alice, reason NULL'],
    'task: created in "open", logged');
SELECT is(pg_temp.caught($$INSERT INTO isms.task (org_id, kind, record_table, record_id, title, owner, due_at, status)
                           VALUES (1, 'audit_due', 'isms.audit', 102, 'Complete audit', 'Lee', '2025-03-02', 'done')$$),
    'IS004: cannot create task with status "done" | A new task starts in "open". | +0 log rows',
    'task: cannot be created in "done" (IS004)');
SELECT pg_temp.refused_ok('isms.task', :k1, 'done', 'IS001',
    'Allowed next states from "open": "acknowledged", "cancelled", "escalated", "reminded".', note => 'plan to check skips do');
SELECT pg_temp.move_ok('isms.task', :k1, 'acknowledged');
SELECT pg_temp.move_ok('isms.task', :k1, 'reminded', via => 'update');
SELECT pg_temp.move_ok('isms.task', :k1, 'acknowledged');
SELECT pg_temp.move_ok('isms.task', :k1, 'escalated');
SELECT pg_temp.move_ok('isms.task', :k1, 'acknowledged', via => 'update');
SELECT pg_temp.move_ok('isms.task', :k1, 'done');
SELECT pg_temp.refused_ok('isms.task', :k1, 'open', 'IS001', 'Allowed next states from "done": none.',
    reason => 'again', note => 'a done task is not reopened: the next sweep makes a new one');
SELECT ok((SELECT closed_at IS NOT NULL FROM isms.task WHERE id = :k1), 'task: a done task has its closed_at');
INSERT INTO isms.task (org_id, kind, record_table, record_id, title, owner, due_at)
    VALUES (1, 'audit_due', 'isms.audit', 103, 'Complete audit', 'Lee', '2025-03-02') RETURNING id AS k2 \gset
SELECT pg_temp.move_ok('isms.task', :k2, 'reminded');
SELECT pg_temp.move_ok('isms.task', :k2, 'escalated');
SELECT pg_temp.move_ok('isms.task', :k2, 'done');
INSERT INTO isms.task (org_id, kind, record_table, record_id, title, owner, due_at)
    VALUES (1, 'audit_due', 'isms.audit', 104, 'Complete audit', 'Lee', '2025-03-02') RETURNING id AS k3 \gset
SELECT pg_temp.move_ok('isms.task', :k3, 'escalated');
SELECT pg_temp.refused_ok('isms.task', :k3, 'cancelled', 'IS002', 'This transition requires a reason.', via => 'update');
SELECT pg_temp.move_ok('isms.task', :k3, 'cancelled', 'audit cancelled');
INSERT INTO isms.task (org_id, kind, record_table, record_id, title, owner, due_at)
    VALUES (1, 'audit_due', 'isms.audit', 105, 'Complete audit', 'Lee', '2025-03-02') RETURNING id AS k4 \gset
SELECT pg_temp.refused_ok('isms.task', :k4, 'cancelled', 'IS002', 'This transition requires a reason.');
SELECT pg_temp.move_ok('isms.task', :k4, 'cancelled', 'duplicate', 'update');
INSERT INTO isms.task (org_id, kind, record_table, record_id, title, owner, due_at)
    VALUES (1, 'audit_due', 'isms.audit', 106, 'Complete audit', 'Lee', '2025-03-02') RETURNING id AS k5 \gset
SELECT pg_temp.move_ok('isms.task', :k5, 'acknowledged');
SELECT pg_temp.refused_ok('isms.task', :k5, 'cancelled', 'IS002', 'This transition requires a reason.');
SELECT pg_temp.move_ok('isms.task', :k5, 'cancelled', 'not needed');
INSERT INTO isms.task (org_id, kind, record_table, record_id, title, owner, due_at)
    VALUES (1, 'audit_due', 'isms.audit', 107, 'Complete audit', 'Lee', '2025-03-02') RETURNING id AS k6 \gset
SELECT pg_temp.move_ok('isms.task', :k6, 'reminded');
SELECT pg_temp.refused_ok('isms.task', :k6, 'cancelled', 'IS002', 'This transition requires a reason.');
SELECT pg_temp.move_ok('isms.task', :k6, 'cancelled', 'audit moved');
INSERT INTO isms.task (org_id, kind, record_table, record_id, title, owner, due_at)
    VALUES (1, 'audit_due', 'isms.audit', 108, 'Complete audit', 'Lee', '2025-03-02') RETURNING id AS k7 \gset
SELECT pg_temp.move_ok('isms.task', :k7, 'reminded');
SELECT pg_temp.move_ok('isms.task', :k7, 'done', via => 'update');

------------------------------------------------------------------------------
-- Coverage: every built-in workflow, state, transition and guard was tried.

RESET ROLE;
SELECT set_eq($$SELECT workflow, relid::text FROM isms.workflow$$,
    $$VALUES ('treatment_plan', 'isms.treatment_plan'), ('corrective_action', 'isms.corrective_action'),
             ('nonconformity', 'isms.nonconformity'), ('audit', 'isms.audit'), ('audit_finding', 'isms.audit_finding'),
             ('review_action', 'isms.review_action'), ('objective', 'isms.objective'), ('incident', 'isms.incident'),
             ('improvement', 'isms.improvement'), ('planned_change', 'isms.planned_change'), ('task', 'isms.task')$$,
    'the eleven built-in workflows, each bound to its register');
SELECT set_eq($$SELECT guard FROM isms.workflow_guard$$,
    $$VALUES ('treatment_evidence'), ('corrective_action_effective'), ('nonconformity_actions_closed'),
             ('finding_linked_to_nonconformity'), ('objective_target_met'), ('incident_lessons_learned')$$,
    'the six built-in guards');
SELECT is(ARRAY(SELECT t.workflow || ': ' || t.from_state || ' -> ' || t.to_state
                  FROM isms.workflow_transition t JOIN isms.workflow w USING (workflow)
                 WHERE NOT EXISTS (SELECT 1 FROM isms.transition_log l
                                    WHERE l.record_table = w.relid AND l.from_state = t.from_state
                                      AND l.to_state = t.to_state AND l.org_id = 1)
                 ORDER BY 1),
    '{}'::text[], 'every transition of every built-in workflow was accepted and logged at least once');
SELECT is(ARRAY(SELECT s.workflow || ': ' || s.state FROM isms.workflow_state s
                 WHERE s.is_initial AND NOT EXISTS (
                       SELECT 1 FROM refusal r JOIN isms.workflow_state t ON (t.workflow, t.state) = (r.workflow, r.to_state)
                        WHERE r.workflow = s.workflow AND r.from_state = s.state AND t.phase IN ('check', 'act')
                          AND r.code = 'IS001' AND r.detail LIKE 'Allowed next states from %')
                 ORDER BY 1),
    '{}'::text[], 'every workflow refused a phase-skipping move out of its initial state (IS001)');
SELECT is(ARRAY(SELECT t.workflow || ': ' || t.from_state || ' -> ' || t.to_state
                  FROM isms.workflow_transition t
                 WHERE t.reason_required AND NOT EXISTS (
                       SELECT 1 FROM refusal r WHERE (r.workflow, r.from_state, r.to_state) = (t.workflow, t.from_state, t.to_state)
                          AND r.code = 'IS002' AND r.detail = 'This transition requires a reason.')
                 ORDER BY 1),
    '{}'::text[], 'every transition that requires a reason was refused without one (IS002)');
SELECT is(ARRAY(SELECT g.guard FROM isms.workflow_guard g
                 WHERE NOT EXISTS (SELECT 1 FROM refusal r
                                    WHERE r.code = 'IS002' AND r.detail LIKE format('Guard "%s" does not hold: %%', g.guard))
                 ORDER BY 1),
    '{}'::text[], 'every guard refused a move (IS002) before it held');
SELECT is(ARRAY(SELECT t.workflow || ': ' || t.from_state || ' -> ' || t.to_state
                  FROM isms.workflow_transition t
                  JOIN isms.workflow_state f ON (f.workflow, f.state) = (t.workflow, t.from_state)
                  JOIN isms.workflow_state s ON (s.workflow, s.state) = (t.workflow, t.to_state)
                  JOIN isms.workflow w ON w.workflow = t.workflow
                 WHERE f.phase = 'act' AND s.phase = 'plan'
                   AND NOT EXISTS (SELECT 1 FROM isms.transition_log l
                                    WHERE l.record_table = w.relid AND l.from_state = t.from_state
                                      AND l.to_state = t.to_state AND l.cycle = 2)
                 ORDER BY 1),
    '{}'::text[], 'every act -> plan transition was logged as the start of cycle 2');
SELECT is((SELECT count(*) FROM isms.transition_log WHERE org_id <> 1 OR actor NOT IN ('alice', 'carol', 'lee')),
    0::bigint, 'every logged move was made by a member of organisation A (superuser seeding logged nothing)');

SELECT * FROM finish();
ROLLBACK;
