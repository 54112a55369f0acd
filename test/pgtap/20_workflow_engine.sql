-- The workflow engine: what holds for every workflow table.  Creation and
-- moves, reasons, actors, cycles, closed records, errors and their hints,
-- isms.next_states(), access, organisation restrictions, the definition
-- rule, and the transition log under bulk statements, savepoints and
-- subtransactions.  The built-in workflows one by one: 21_workflow_builtin.
\set ON_ERROR_STOP 1
BEGIN;
CREATE EXTENSION isms;
\ir fixture.psql
\ir workflow_fixture.psql
SELECT plan(126);

------------------------------------------------------------------------------
-- A superuser's INSERT is trusted (a restore); UPDATEs are checked for all.

SELECT is((SELECT count(*) FROM isms.transition_log), 0::bigint,
    'seeding the registers as superuser logged nothing');
INSERT INTO isms.improvement (org_id, title, description, owner, status, cycle)
    VALUES (1, 'Restored', 'From a dump', 'IT lead', 'implemented', 3) RETURNING id AS restored \gset
SELECT is(pg_temp.state('isms.improvement', :restored) || ', ' || pg_temp.nlog('isms.improvement', :restored) || ' log rows',
    'implemented/3, 0 log rows', 'a superuser''s INSERT is trusted: any status and cycle, nothing logged');
SELECT is(pg_temp.caught(format('UPDATE isms.improvement SET title = %L WHERE id = %s', 'Edited', :restored)),
    format('IS003: cannot change improvement %s in its final status "implemented" | A record in a final status is kept as it was closed. | +0 log rows', :restored),
    'a superuser''s UPDATE is checked: a closed record stays closed (IS003)');
SELECT pg_temp.refused_ok('isms.improvement', 1, 'evaluating', 'IS001',
    'Allowed next states from "proposed": "approved", "rejected".', via => 'update',
    note => 'a superuser''s UPDATE is checked');
SELECT pg_temp.move_ok('isms.improvement', 1, 'approved', via => 'update',
    note => 'a superuser''s move is logged like anyone''s');

------------------------------------------------------------------------------
-- Creation by a member

SET LOCAL ROLE wf_editor;
INSERT INTO isms.improvement (org_id, title, description, owner)
    VALUES (1, 'One', 'First', 'IT lead') RETURNING id AS i1 \gset
SELECT is(pg_temp.log_of('isms.improvement', :i1), ARRAY['NULL -> proposed, cycle 1, by wf_editor, reason NULL'],
    'creation is logged from NULL in cycle 1; without isms.actor the actor is the database user');
SELECT is((SELECT format('%s %s %s %s', org_id, record_table, (at BETWEEN now() AND clock_timestamp())::text,
                         (xact_id = pg_current_xact_id())::text)
             FROM isms.transition_log WHERE record_table = 'isms.improvement'::regclass AND record_id = :i1),
    '1 isms.improvement true true', 'the log row names the organisation, the table, the time and the transaction');
SET LOCAL isms.actor = 'alice';
INSERT INTO isms.improvement (org_id, title, description, owner)
    VALUES (1, 'Two', 'Second', 'IT lead'), (1, 'Three', 'Third', 'IT lead'), (1, 'Four', 'Fourth', 'IT lead');
SELECT id AS i2 FROM isms.improvement WHERE title = 'Two' \gset
SELECT id AS i3 FROM isms.improvement WHERE title = 'Three' \gset
SELECT id AS i4 FROM isms.improvement WHERE title = 'Four' \gset
SELECT is(ARRAY(SELECT pg_temp.log_text(l) FROM isms.transition_log l
                 WHERE l.record_table = 'isms.improvement'::regclass AND l.record_id IN (:i2, :i3, :i4) ORDER BY l.log_id),
    ARRAY['NULL -> proposed, cycle 1, by alice, reason NULL', 'NULL -> proposed, cycle 1, by alice, reason NULL',
          'NULL -> proposed, cycle 1, by alice, reason NULL'],
    'a multi-row INSERT logs one row per record, by isms.actor');
SELECT is(pg_temp.caught($$INSERT INTO isms.improvement (org_id, title, description, owner, status)
                           VALUES (1, 'Five', 'Fifth', 'IT lead', 'proposed'), (1, 'Six', 'Sixth', 'IT lead', 'approved')$$),
    'IS004: cannot create improvement with status "approved" | A new improvement starts in "proposed". | +0 log rows',
    'a multi-row INSERT with one record in a non-initial status is refused whole (IS004), nothing logged');
SELECT is((SELECT count(*) FROM isms.improvement WHERE title IN ('Five', 'Six')), 0::bigint,
    'and nothing inserted');
SELECT is(pg_temp.caught($$INSERT INTO isms.improvement (org_id, title, description, owner, status)
                           VALUES (1, 'Five', 'Fifth', 'IT lead', 'bogus')$$),
    'IS004: cannot create improvement with status "bogus" | A new improvement starts in "proposed". | +0 log rows',
    'a new record in a status the workflow does not know is refused (IS004)');
SELECT is(pg_temp.hint_of($$INSERT INTO isms.improvement (org_id, title, description, owner, status)
                            VALUES (1, 'Five', 'Fifth', 'IT lead', 'approved')$$),
    'Insert it in an initial status, then move it with isms.transition().', 'IS004 says what to do');
SELECT matches(pg_temp.caught($$INSERT INTO isms.improvement (org_id, title, description, owner, cycle)
                                VALUES (1, 'Five', 'Fifth', 'IT lead', 2)$$),
    '^IS001: cannot create improvement [0-9]+ in cycle 2 \| A new record starts in PDCA cycle 1\. \| \+0 log rows$',
    'a new record in cycle 2 is refused (IS001)');
SELECT matches(pg_temp.caught($$INSERT INTO isms.improvement (org_id, title, description, owner, cycle)
                                VALUES (1, 'Five', 'Fifth', 'IT lead', 0)$$),
    '^23514: new row for relation "improvement" violates check constraint "improvement_cycle_positive"',
    'a cycle below 1 is the CHECK constraint''s to refuse (23514)');
SELECT matches(pg_temp.caught($$INSERT INTO isms.improvement (org_id, title, description, owner, status)
                                VALUES (1, 'Five', 'Fifth', 'IT lead', NULL)$$),
    '^23502: null value in column "status" of relation "improvement" violates not-null constraint',
    'a NULL status is the NOT NULL constraint''s to refuse (23502)');

------------------------------------------------------------------------------
-- Moves: plain UPDATE and isms.transition(), reasons, what is not a move

UPDATE isms.improvement SET status = 'approved' WHERE id = :i1;
SELECT is(pg_temp.last_log('isms.improvement', :i1), 'proposed -> approved, cycle 1, by alice, reason NULL',
    'a plain UPDATE of status is a move, logged without a reason when isms.reason is not set');
SET LOCAL isms.reason = 'board decision 12';
UPDATE isms.improvement SET status = 'implementing' WHERE id = :i1;
SELECT is(pg_temp.last_log('isms.improvement', :i1), 'approved -> implementing, cycle 1, by alice, reason board decision 12',
    'a plain UPDATE takes its reason from isms.reason');
SELECT isms.transition('isms.improvement', :i1, 'evaluating', 'pilot done');
SELECT is(pg_temp.last_log('isms.improvement', :i1), 'implementing -> evaluating, cycle 1, by alice, reason pilot done',
    'isms.transition() logs its reason argument');
SELECT is(current_setting('isms.reason'), 'board decision 12', 'isms.transition() leaves isms.reason as it was');
SET LOCAL isms.reason = '';
WITH moved AS (UPDATE isms.improvement SET status = 'approved' WHERE id = :i2 RETURNING id)
SELECT count(l.*) AS seen_inside FROM moved LEFT JOIN isms.transition_log l
    ON l.record_table = 'isms.improvement'::regclass AND l.record_id = moved.id AND l.to_state = 'approved' \gset
SELECT is(:seen_inside::bigint || ' then ' || pg_temp.nlog('isms.improvement', :i2), '0 then 2',
    'the log rows of a statement are written at its end: visible to the next statement');
UPDATE isms.improvement SET status = 'approved' WHERE id IN (:i3, :i4);
SELECT is(ARRAY(SELECT l.record_id || ': ' || pg_temp.log_text(l) FROM isms.transition_log l
                 WHERE l.record_table = 'isms.improvement'::regclass AND l.record_id IN (:i3, :i4) AND l.from_state IS NOT NULL
                 ORDER BY l.record_id),
    ARRAY[:i3 || ': proposed -> approved, cycle 1, by alice, reason NULL', :i4 || ': proposed -> approved, cycle 1, by alice, reason NULL'],
    'an UPDATE moving two records logs one row each');
UPDATE isms.improvement SET expected_benefit = 'Less toil' WHERE id = :i2;
SELECT is(pg_temp.caught(format($$UPDATE isms.improvement SET status = 'approved', expected_benefit = 'Much less toil' WHERE id = %s$$, :i2)),
    format('IS001: cannot move improvement %s from "approved" to "approved" | The improvement is already "approved"; another session may have moved it. Allowed next states from "approved": "implementing". | +0 log rows', :i2),
    'an UPDATE that names status and sets it to itself is refused like isms.transition() (IS001)');
SELECT is(pg_temp.nlog('isms.improvement', :i2) || ' log rows, ' || pg_temp.state('isms.improvement', :i2)
          || ', ' || (SELECT expected_benefit FROM isms.improvement WHERE id = :i2),
    '2 log rows, approved/1, Less toil', 'an UPDATE that leaves status out is no move and logs nothing');
SELECT is(pg_temp.caught(format($$SELECT isms.transition('isms.improvement', %s, 'approved')$$, :i2)),
    format('IS001: cannot move improvement %s from "approved" to "approved" | The improvement is already "approved"; another session may have moved it. | +0 log rows', :i2),
    'isms.transition() to the current status is refused (IS001)');
SELECT is(pg_temp.caught($$SELECT isms.transition('isms.improvement', 999999, 'approved')$$),
    'P0002: improvement 999999 does not exist | No row of isms.improvement with id 999999 is visible to you. | +0 log rows',
    'isms.transition() of an unknown record: P0002');
SELECT is(pg_temp.caught($$SELECT isms.transition('isms.asset', 1, 'approved')$$),
    '22023: table isms.asset has no workflow |  | +0 log rows',
    'isms.transition() on a table without workflow: 22023');
SELECT pg_temp.refused_ok('isms.improvement', :i2, 'bogus', 'IS001',
    '"bogus" is not a state of the improvement workflow. Allowed next states from "approved": "implementing".', via => 'update',
    note => 'a status the workflow does not know');
SELECT is(pg_temp.caught(format('UPDATE isms.improvement SET status = %L, org_id = 2 WHERE id = %s', 'implementing', :i2)),
    format('IS001: cannot move improvement %s from "approved" to "implementing" | A transition cannot also change the record''s organisation or id. Allowed next states from "approved": "implementing". | +0 log rows', :i2),
    'a move cannot also change the record''s organisation (IS001)');
SELECT is(pg_temp.hint_of(format('UPDATE isms.improvement SET status = %L WHERE id = %s', 'evaluating', :i2)),
    format('Move the record one allowed step at a time; isms.next_states(''isms.improvement'', %s) lists them.', :i2),
    'IS001 says what to do');

------------------------------------------------------------------------------
-- Cycles: act -> plan starts a new one; nobody sets the counter

SELECT is(pg_temp.caught(format('UPDATE isms.improvement SET cycle = 2 WHERE id = %s', :i2)),
    format('IS001: cannot change the cycle of improvement %s directly | The cycle is 1; the workflow engine counts it. | +0 log rows', :i2),
    'a direct change of the cycle is refused (IS001)');
SELECT is(pg_temp.caught(format('UPDATE isms.improvement SET status = %L, cycle = 5 WHERE id = %s', 'implementing', :i2)),
    format('IS001: cannot change the cycle of improvement %s directly | The cycle is 1; the workflow engine counts it. | +0 log rows', :i2),
    'a move that also sets the cycle is refused (IS001)');
SELECT pg_temp.move_ok('isms.improvement', :i1, 'implemented');
SELECT pg_temp.refused_ok('isms.improvement', :i1, 'proposed', 'IS002', 'This transition requires a reason.',
    via => 'update', note => 'reopening needs a reason');
SELECT is(pg_temp.hint_of(format('UPDATE isms.improvement SET status = %L WHERE id = %s', 'proposed', :i1)),
    'Pass the reason to isms.transition(), or SET LOCAL isms.reason before the UPDATE.', 'IS002 for a missing reason says what to do');
SET LOCAL isms.reason = 'second round';
SELECT is(pg_temp.caught(format('UPDATE isms.improvement SET status = %L, cycle = 2 WHERE id = %s', 'proposed', :i1)),
    format('IS001: cannot change the cycle of improvement %s directly | The cycle is 1; the workflow engine counts it. | +0 log rows', :i1),
    'reopening cannot set the cycle itself, even to the right number (IS001)');
SET LOCAL isms.reason = '';
SELECT pg_temp.move_ok('isms.improvement', :i1, 'proposed', 'second round', 'update', 2, note => 'act -> plan starts cycle 2');
SELECT pg_temp.move_ok('isms.improvement', :i1, 'approved', note => 'the moves of cycle 2 are logged in cycle 2');
SELECT pg_temp.move_ok('isms.improvement', :i1, 'implementing');
SELECT pg_temp.move_ok('isms.improvement', :i1, 'evaluating');
SELECT pg_temp.move_ok('isms.improvement', :i1, 'implementing', 'pilot failed', note => 'check -> do goes back without a new cycle');
SELECT pg_temp.move_ok('isms.improvement', :i1, 'evaluating');
SELECT pg_temp.move_ok('isms.improvement', :i1, 'implemented');
SELECT pg_temp.move_ok('isms.improvement', :i1, 'proposed', 'third round', cycle => 3, note => 'the next reopening starts cycle 3');

------------------------------------------------------------------------------
-- Closed records

SELECT pg_temp.move_ok('isms.improvement', :i1, 'approved');
SELECT pg_temp.move_ok('isms.improvement', :i1, 'implementing');
SELECT pg_temp.move_ok('isms.improvement', :i1, 'evaluating');
SELECT pg_temp.move_ok('isms.improvement', :i1, 'implemented');
SELECT is(pg_temp.caught(format('UPDATE isms.improvement SET title = %L WHERE id = %s', 'Renamed', :i1)),
    format('IS003: cannot change improvement %s in its final status "implemented" | A record in a final status is kept as it was closed. | +0 log rows', :i1),
    'a record in a final status cannot be edited (IS003)');
SELECT is(pg_temp.caught(format('UPDATE isms.improvement SET status = %L WHERE id = %s', 'implemented', :i1)),
    format('IS001: cannot move improvement %s from "implemented" to "implemented" | The improvement is already "implemented"; another session may have moved it. Allowed next states from "implemented": "proposed". | +0 log rows', :i1),
    'not even by setting its status to itself, refused as isms.transition() refuses it (IS001)');
SELECT is(pg_temp.hint_of(format('UPDATE isms.improvement SET title = %L WHERE id = %s', 'Renamed', :i1)),
    'Reopen it with a transition (isms.next_states lists them), then change it.', 'IS003 says what to do');
INSERT INTO isms.improvement (org_id, title, description, owner) VALUES (1, 'Seven', 'Seventh', 'IT lead') RETURNING id AS i7 \gset
SELECT pg_temp.move_ok('isms.improvement', :i7, 'rejected', 'duplicate');
SELECT pg_temp.refused_ok('isms.improvement', :i7, 'proposed', 'IS001', 'Allowed next states from "rejected": none.',
    reason => 'not a duplicate', note => 'a final status without a way out');

------------------------------------------------------------------------------
-- A refused statement leaves nothing

SELECT is(pg_temp.caught(format($$UPDATE isms.improvement SET status = CASE id WHEN %s THEN 'evaluating' ELSE 'implementing' END
                                   WHERE id IN (%s, %s, %s)$$, :i4, :i2, :i3, :i4)),
    format('IS001: cannot move improvement %s from "approved" to "evaluating" | Allowed next states from "approved": "implementing". | +0 log rows', :i4),
    'an UPDATE moving three records, one of them refused, fails whole (IS001) and logs nothing');
SELECT is(ARRAY[pg_temp.state('isms.improvement', :i2), pg_temp.state('isms.improvement', :i3), pg_temp.state('isms.improvement', :i4)],
    ARRAY['approved/1', 'approved/1', 'approved/1'], 'and moves nothing');

------------------------------------------------------------------------------
-- isms.next_states()

SELECT results_eq(format('SELECT * FROM isms.next_states(%L, %s) ORDER BY state', 'isms.improvement', :i2),
    $$VALUES ('implementing', 'do', false, NULL::text, true, NULL::text, false)$$,
    'next_states: the one move open to an approved improvement');
SELECT results_eq(format('SELECT * FROM isms.next_states(%L, %s) ORDER BY state', 'isms.improvement', :i1),
    $$VALUES ('proposed', 'plan', true, NULL::text, true, NULL::text, true)$$,
    'next_states: reopening a closed record starts a new cycle and needs a reason');
SELECT is_empty(format('SELECT * FROM isms.next_states(%L, %s)', 'isms.improvement', :i7),
    'next_states: none out of a final status without a way out');
INSERT INTO isms.corrective_action (org_id, nonconformity_id, action, owner)
    VALUES (1, 1, 'Restore drill', 'IT lead') RETURNING id AS ca \gset
SELECT pg_temp.move_ok('isms.corrective_action', :ca, 'in_progress');
UPDATE isms.corrective_action SET status = 'implemented', implemented_by = 'bob', implemented_at = now() WHERE id = :ca;
SET LOCAL isms.actor = 'carol';     -- the effectiveness check is recorded by someone else
SELECT pg_temp.move_ok('isms.corrective_action', :ca, 'verified');
SET LOCAL isms.actor = 'alice';
SELECT results_eq(format('SELECT * FROM isms.next_states(%L, %s) ORDER BY state', 'isms.corrective_action', :ca),
    $$VALUES ('closed', 'act', false, 'corrective_action_effective', false, 'no root cause is recorded', false),
             ('in_progress', 'do', false, NULL, true, NULL, true)$$,
    'next_states: a guard that does not hold is listed with why');
SELECT is(pg_temp.hint_of(format('UPDATE isms.corrective_action SET status = %L WHERE id = %s', 'closed', :ca)),
    'Record what the guard asks for, then move the record again.', 'IS002 for a guard says what to do');
UPDATE isms.corrective_action SET root_cause = 'No drill planned', effectiveness_checked_by = 'carol',
       effectiveness_checked_at = now(), effective = true WHERE id = :ca;
SELECT results_eq(format('SELECT state, guard, guard_holds, guard_failure FROM isms.next_states(%L, %s) ORDER BY state', 'isms.corrective_action', :ca),
    $$VALUES ('closed', 'corrective_action_effective', true, NULL::text), ('in_progress', NULL, true, NULL)$$,
    'next_states: the guard holds once its conditions are recorded');
SELECT is(pg_temp.caught($$SELECT * FROM isms.next_states('isms.improvement', 999999)$$),
    'P0002: improvement 999999 does not exist | No row of isms.improvement with id 999999 is visible to you. | +0 log rows',
    'next_states of an unknown record: P0002');
SELECT is(pg_temp.caught($$SELECT * FROM isms.next_states('isms.improvement', 2)$$),
    'P0002: improvement 2 does not exist | No row of isms.improvement with id 2 is visible to you. | +0 log rows',
    'next_states of a record of another organisation: P0002');
-- The cache of a workflow may be loaded under any search_path, such as that
-- of isms.transition(); next_states reads the record by its qualified name.
RESET ROLE;
UPDATE isms.workflow_state SET description = description WHERE workflow = 'corrective_action' AND state = 'planned';
SET LOCAL ROLE wf_editor;
SET LOCAL search_path = isms, public;
UPDATE isms.corrective_action SET root_cause = 'No drill was ever planned' WHERE id = :ca;
RESET search_path;
SELECT results_eq(format('SELECT state, guard_holds FROM isms.next_states(%L, %s) ORDER BY state', 'isms.corrective_action', :ca),
    $$VALUES ('closed', true), ('in_progress', true)$$,
    'next_states does not depend on the search_path the workflow cache was loaded under');

------------------------------------------------------------------------------
-- Access

------------------------------------------------------------------------------
-- Access: readers read, members of another organisation see nothing, and
-- nobody writes the log but the engine

SET LOCAL ROLE wf_reader;
SELECT is(pg_temp.caught(format($$SELECT isms.transition('isms.improvement', %s, 'implementing', 'go')$$, :i2)),
    '42501: permission denied for table improvement |  | +0 log rows',
    'a reader cannot move a record with isms.transition() (42501)');
SELECT is(pg_temp.caught(format('UPDATE isms.improvement SET status = %L WHERE id = %s', 'implementing', :i2)),
    '42501: permission denied for table improvement |  | +0 log rows',
    'nor with an UPDATE (42501)');
SELECT results_eq(format('SELECT state, reason_required FROM isms.next_states(%L, %s)', 'isms.improvement', :i2),
    $$VALUES ('implementing', false)$$, 'a reader lists the moves open to a record of its organisation');
SELECT is(ARRAY(SELECT DISTINCT org_id FROM isms.transition_log ORDER BY 1), ARRAY[1::bigint],
    'a reader of A reads the transition log of A only');

SET LOCAL ROLE wf_editor_b;
SET LOCAL isms.actor = 'bert';
INSERT INTO isms.improvement (org_id, title, description, owner)
    VALUES (2, 'B one', 'First of B', 'IT lead') RETURNING id AS ib \gset
SELECT is(pg_temp.caught(format($$SELECT isms.transition('isms.improvement', %s, 'implementing')$$, :i2)),
    format('P0002: improvement %s does not exist | No row of isms.improvement with id %s is visible to you. | +0 log rows', :i2, :i2),
    'an editor of B cannot see a record of A to move it (P0002)');
UPDATE isms.improvement SET status = 'implementing' WHERE id = :i2;
SELECT is(ARRAY(SELECT DISTINCT org_id FROM isms.transition_log ORDER BY 1), ARRAY[2::bigint],
    'an editor of B reads the transition log of B only');
RESET ROLE;
SELECT is(pg_temp.state('isms.improvement', :i2) || ', ' || pg_temp.nlog('isms.improvement', :i2) || ' log rows',
    'approved/1, 2 log rows', 'an UPDATE of a record of A by an editor of B moves and logs nothing');

SET LOCAL ROLE wf_editor;
SET LOCAL isms.actor = 'alice';
SELECT throws_ok($$INSERT INTO isms.transition_log (org_id, record_table, record_id, cycle, to_state, actor, at, xact_id)
                   VALUES (1, 'isms.improvement', 1, 1, 'implemented', 'mallory', now(), pg_current_xact_id())$$,
    '42501', 'permission denied for table transition_log', 'an editor cannot write the transition log (42501)');
SELECT throws_ok($$UPDATE isms.transition_log SET actor = 'mallory'$$,
    '42501', 'permission denied for table transition_log', 'an editor cannot change the transition log (42501)');
SELECT throws_ok($$DELETE FROM isms.transition_log$$,
    '42501', 'permission denied for table transition_log', 'an editor cannot delete from the transition log (42501)');
SELECT throws_ok($$TRUNCATE isms.transition_log$$,
    '42501', 'permission denied for table transition_log', 'an editor cannot truncate the transition log (42501)');
SELECT throws_ok($$SELECT isms.attach_workflow('isms.asset', 'improvement')$$,
    '42501', 'permission denied for function attach_workflow', 'an editor cannot bind a workflow to a table (42501)');
SET LOCAL ROLE wf_admin;
SELECT throws_ok($$INSERT INTO isms.transition_log (org_id, record_table, record_id, cycle, to_state, actor, at, xact_id)
                   VALUES (1, 'isms.improvement', 1, 1, 'implemented', 'mallory', now(), pg_current_xact_id())$$,
    '42501', 'permission denied for table transition_log', 'an admin cannot write the transition log (42501)');
SELECT throws_ok($$UPDATE isms.transition_log SET actor = 'mallory'$$,
    '42501', 'permission denied for table transition_log', 'an admin cannot change the transition log (42501)');
SELECT throws_ok($$DELETE FROM isms.transition_log$$,
    '42501', 'permission denied for table transition_log', 'an admin cannot delete from the transition log (42501)');
SELECT throws_ok($$TRUNCATE isms.transition_log$$,
    '42501', 'permission denied for table transition_log', 'an admin cannot truncate the transition log (42501)');
SELECT throws_ok($$INSERT INTO isms.workflow_transition (workflow, from_state, to_state) VALUES ('improvement', 'approved', 'proposed')$$,
    '42501', 'permission denied for table workflow_transition', 'an admin cannot change the built-in workflows (42501)');
SELECT is(ARRAY(SELECT DISTINCT org_id FROM isms.transition_log ORDER BY 1), ARRAY[1, 2]::bigint[],
    'an admin reads the transition log of every organisation');

------------------------------------------------------------------------------
-- An organisation tightens its workflow: remove a move, add a guard

SET LOCAL ROLE wf_editor;
SELECT throws_ok($$INSERT INTO isms.workflow_restriction (org_id, workflow, from_state, to_state, disabled)
                   VALUES (1, 'improvement', 'approved', 'implementing', true)$$,
    '42501', 'permission denied for table workflow_restriction', 'an editor cannot tighten a workflow (42501)');
SET LOCAL ROLE wf_admin;
SELECT throws_ok($$INSERT INTO isms.workflow_restriction (org_id, workflow, from_state, to_state, disabled)
                   VALUES (1, 'improvement', 'proposed', 'implementing', true)$$,
    '23503', NULL, 'a restriction names an existing transition: an organisation cannot add moves (23503)');
SELECT throws_ok($$INSERT INTO isms.workflow_restriction (org_id, workflow, from_state, to_state)
                   VALUES (1, 'improvement', 'approved', 'implementing')$$,
    '23514', NULL, 'a restriction removes the move or adds a guard (23514)');
SELECT lives_ok($$INSERT INTO isms.workflow_restriction (org_id, workflow, from_state, to_state, disabled, note)
                  VALUES (1, 'improvement', 'approved', 'implementing', true, 'Pilot budget frozen')$$,
    'an admin removes approved -> implementing from the improvement workflow of A');
SET LOCAL ROLE wf_editor;
SELECT pg_temp.refused_ok('isms.improvement', :i3, 'implementing', 'IS001',
    'The organisation has removed this transition from its workflow. Allowed next states from "approved": none.',
    note => 'the removal holds from the next statement of the same transaction');
SELECT pg_temp.refused_ok('isms.improvement', :i3, 'evaluating', 'IS001',
    'Allowed next states from "approved": none.', via => 'update',
    note => 'the allowed next states listed to A omit the removed move');
SELECT is_empty(format('SELECT * FROM isms.next_states(%L, %s)', 'isms.improvement', :i3),
    'next_states omits the move removed by the organisation');
SET LOCAL ROLE wf_editor_b;
SET LOCAL isms.actor = 'bert';
SELECT pg_temp.move_ok('isms.improvement', :ib, 'approved');
SELECT results_eq(format('SELECT state FROM isms.next_states(%L, %s)', 'isms.improvement', :ib),
    $$VALUES ('implementing')$$, 'next_states of B still offers the move');
SELECT pg_temp.move_ok('isms.improvement', :ib, 'implementing', note => 'organisation B keeps the move A removed');
SET LOCAL ROLE wf_admin;
DELETE FROM isms.workflow_restriction WHERE org_id = 1 AND workflow = 'improvement';
SET LOCAL ROLE wf_editor;
SET LOCAL isms.actor = 'alice';
SELECT pg_temp.move_ok('isms.improvement', :i3, 'implementing', note => 'the move is back once the restriction is deleted');

RESET ROLE;
INSERT INTO isms.workflow_guard (guard, description, check_sql) VALUES ('improvement_benefit_stated',
    'An improvement is implemented only with its expected benefit stated',
    $g$SELECT CASE WHEN ($1).expected_benefit IS NULL THEN 'no expected benefit is stated' END$g$);
SET LOCAL ROLE wf_admin;
INSERT INTO isms.workflow_restriction (org_id, workflow, from_state, to_state, extra_guard, note)
    VALUES (1, 'improvement', 'evaluating', 'implemented', 'improvement_benefit_stated', 'Board rule 7');
SET LOCAL ROLE wf_editor;
SELECT pg_temp.move_ok('isms.improvement', :i3, 'evaluating');
SELECT pg_temp.refused_ok('isms.improvement', :i3, 'implemented', 'IS002',
    'Guard "improvement_benefit_stated" does not hold: no expected benefit is stated.',
    note => 'the guard A added holds for A');
SELECT results_eq(format('SELECT * FROM isms.next_states(%L, %s) ORDER BY state', 'isms.improvement', :i3),
    $$VALUES ('implemented', 'act', false, NULL::text, false, 'no expected benefit is stated', false),
             ('implementing', 'do', false, NULL, true, NULL, true)$$,
    'next_states reports the guard the organisation added');
SET LOCAL ROLE wf_editor_b;
SET LOCAL isms.actor = 'bert';
SELECT pg_temp.move_ok('isms.improvement', :ib, 'evaluating');
SELECT pg_temp.move_ok('isms.improvement', :ib, 'implemented', note => 'B has no such guard');
SET LOCAL ROLE wf_editor;
SET LOCAL isms.actor = 'alice';
UPDATE isms.improvement SET expected_benefit = 'Fewer failed restores' WHERE id = :i3;
SELECT pg_temp.move_ok('isms.improvement', :i3, 'implemented', via => 'update', note => 'the guard A added holds');

------------------------------------------------------------------------------
-- Definitions keep the PDCA order; a change is used from the next statement

RESET ROLE;
SELECT is(pg_temp.caught($$INSERT INTO isms.workflow_transition (workflow, from_state, to_state) VALUES ('improvement', 'proposed', 'evaluating')$$),
    '23514: transition proposed -> evaluating of workflow improvement skips a PDCA phase | "proposed" is in phase plan and "evaluating" in phase check. | +0 log rows',
    'a transition from plan to check is refused (23514)');
SELECT is(pg_temp.caught($$INSERT INTO isms.workflow_transition (workflow, from_state, to_state) VALUES ('improvement', 'implementing', 'implemented')$$),
    '23514: transition implementing -> implemented of workflow improvement skips a PDCA phase | "implementing" is in phase do and "implemented" in phase act. | +0 log rows',
    'a transition from do to act is refused (23514)');
SELECT is(pg_temp.caught($$INSERT INTO isms.workflow_transition (workflow, from_state, to_state) VALUES ('improvement', 'approved', 'implemented')$$),
    '23514: transition approved -> implemented of workflow improvement skips a PDCA phase | "approved" is in phase plan and "implemented" in phase act. | +0 log rows',
    'a transition from plan to act is refused (23514)');
SELECT is(pg_temp.caught($$UPDATE isms.workflow_transition SET to_state = 'evaluating'
                           WHERE (workflow, from_state, to_state) = ('improvement', 'approved', 'implementing')$$),
    '23514: transition approved -> evaluating of workflow improvement skips a PDCA phase | "approved" is in phase plan and "evaluating" in phase check. | +0 log rows',
    'an UPDATE cannot make a transition skip a phase (23514)');
SELECT lives_ok($$INSERT INTO isms.workflow_transition (workflow, from_state, to_state, reason_required)
                  VALUES ('improvement', 'evaluating', 'approved', true)$$,
    'a transition back from check to plan is allowed');
SET LOCAL ROLE wf_editor;
SELECT pg_temp.move_ok('isms.improvement', :i2, 'implementing');
SELECT pg_temp.move_ok('isms.improvement', :i2, 'evaluating');
SELECT pg_temp.move_ok('isms.improvement', :i2, 'approved', 'rescoped',
    note => 'the new transition is used from the next statement; check -> plan starts no new cycle');

------------------------------------------------------------------------------
-- Bulk statements cross the log's batches of 1,000 rows

INSERT INTO isms.improvement (org_id, title, description, owner)
    SELECT 1, 'Bulk ' || g, 'Bulk improvement', 'IT lead' FROM generate_series(1, 3000) g;
SELECT is((SELECT count(*) FROM isms.transition_log l JOIN isms.improvement i
              ON l.record_table = 'isms.improvement'::regclass AND l.record_id = i.id
            WHERE i.title LIKE 'Bulk %' AND l.from_state IS NULL AND l.to_state = 'proposed'),
    3000::bigint, 'an INSERT of 3,000 records logs 3,000 rows');
UPDATE isms.improvement SET status = 'approved' WHERE title LIKE 'Bulk %';
SELECT is((SELECT format('%s rows, %s records, %s in cycle 1 by alice', count(*), count(DISTINCT i.id),
                         count(*) FILTER (WHERE l.cycle = 1 AND l.actor = 'alice'))
             FROM isms.transition_log l JOIN isms.improvement i
               ON l.record_table = 'isms.improvement'::regclass AND l.record_id = i.id
            WHERE i.title LIKE 'Bulk %' AND l.from_state = 'proposed' AND l.to_state = 'approved'),
    '3000 rows, 3000 records, 3000 in cycle 1 by alice', 'one UPDATE moving 3,000 records logs one row for each');

RESET ROLE;
CREATE TEMP SEQUENCE tick;
GRANT USAGE ON SEQUENCE tick TO PUBLIC;
SELECT currval('isms.transition_log_log_id_seq') AS log_seq_before \gset
SET LOCAL ROLE wf_editor;
SELECT matches(pg_temp.caught($$UPDATE isms.improvement
                                   SET status = CASE WHEN nextval('pg_temp.tick') = 1500 THEN 'evaluating' ELSE 'implementing' END
                                 WHERE title LIKE 'Bulk %'$$),
    '^IS001: cannot move improvement [0-9]+ from "approved" to "evaluating" \| Allowed next states from "approved": "implementing"\. \| \+0 log rows$',
    'an UPDATE of 3,000 records refused at the 1,500th fails (IS001) and leaves no log row');
SELECT is((SELECT count(*) FROM isms.improvement WHERE title LIKE 'Bulk %' AND status <> 'approved'), 0::bigint,
    'and moves no record');
RESET ROLE;
SELECT is(currval('isms.transition_log_log_id_seq') - :log_seq_before, 1499::bigint,
    'the 1,499 moves before the refused one were logged (a batch of 1,000 written) before the statement failed');

SET LOCAL ROLE wf_editor;
SELECT count(*) AS n_before FROM isms.transition_log \gset
SAVEPOINT bulk;
UPDATE isms.improvement SET status = 'implementing' WHERE title LIKE 'Bulk %';
SELECT isms.transition('isms.improvement', :i4, 'implementing');
SELECT count(*) AS n_inside FROM isms.transition_log \gset
ROLLBACK TO SAVEPOINT bulk;
SELECT is(:n_inside::bigint - :n_before::bigint, 3001::bigint, 'inside a savepoint, 3,001 moves logged 3,001 rows');
SELECT is((SELECT count(*) FROM isms.transition_log), :n_before::bigint,
    'ROLLBACK TO SAVEPOINT drops exactly the log rows written after it');
SELECT is((SELECT count(*) FROM isms.improvement WHERE (title LIKE 'Bulk %' OR id = :i4) AND status = 'approved'), 3001::bigint,
    'with the moves themselves');
SAVEPOINT one;
SELECT isms.transition('isms.improvement', :i4, 'implementing');
RELEASE SAVEPOINT one;
SELECT is(ARRAY[(SELECT count(*) FROM isms.transition_log) - :n_before::bigint], ARRAY[1::bigint],
    'a released savepoint keeps its log rows');

------------------------------------------------------------------------------
-- Subtransactions inside a statement: the statement's own log rows wait
-- for its end, whatever the subtransactions it runs do.

RESET ROLE;
CREATE TEMP SEQUENCE side_calls;
GRANT USAGE ON SEQUENCE side_calls TO PUBLIC;
-- Moves every "Side" review action one step in a subtransaction, undone on
-- the odd calls.
CREATE FUNCTION pg_temp.side_moves() RETURNS text
    LANGUAGE plpgsql
AS $$
BEGIN
    BEGIN
        UPDATE isms.review_action SET status = CASE status WHEN 'open' THEN 'in_progress' ELSE 'done' END
         WHERE action = 'Side';
        IF nextval('pg_temp.side_calls') % 2 = 1 THEN
            RAISE EXCEPTION 'undone';
        END IF;
    EXCEPTION WHEN raise_exception THEN
        NULL;
    END;
    RETURN 'side effects';
END $$;
SET LOCAL ROLE wf_editor;
INSERT INTO isms.review_action (org_id, review_id, action, owner) SELECT 1, 1, 'Side', 'CEO' FROM generate_series(1, 2100);
INSERT INTO isms.improvement (org_id, title, description, owner)
    SELECT 1, 'Outer ' || g, 'Outer improvement', 'IT lead' FROM generate_series(1, 3) g;
UPDATE isms.improvement SET status = 'approved', expected_benefit = pg_temp.side_moves() WHERE title LIKE 'Outer %';
SELECT is((SELECT format('%s approved, %s logged', count(*) FILTER (WHERE i.status = 'approved'),
                         (SELECT count(*) FROM isms.transition_log l JOIN isms.improvement o
                             ON l.record_table = 'isms.improvement'::regclass AND l.record_id = o.id
                          WHERE o.title LIKE 'Outer %' AND l.to_state = 'approved'))
             FROM isms.improvement i WHERE i.title LIKE 'Outer %'),
    '3 approved, 3 logged',
    'an UPDATE whose rows run subtransactions that move other records, some undone, logs each of its own moves');
SELECT is((SELECT format('%s in_progress, %s logged, %s done, %s logged',
                         count(*) FILTER (WHERE r.status = 'in_progress'),
                         (SELECT count(*) FROM isms.transition_log l JOIN isms.review_action s
                             ON l.record_table = 'isms.review_action'::regclass AND l.record_id = s.id
                          WHERE s.action = 'Side' AND l.to_state = 'in_progress'),
                         count(*) FILTER (WHERE r.status = 'done'),
                         (SELECT count(*) FROM isms.transition_log l JOIN isms.review_action s
                             ON l.record_table = 'isms.review_action'::regclass AND l.record_id = s.id
                          WHERE s.action = 'Side' AND l.to_state = 'done'))
             FROM isms.review_action r WHERE r.action = 'Side'),
    '2100 in_progress, 2100 logged, 0 done, 0 logged',
    'the moves of the subtransaction kept are logged, those of the undone ones are not');

------------------------------------------------------------------------------
-- Definitions stay in PDCA order when a state's phase changes; a reason set
-- by the caller stands when isms.transition() is given none

RESET ROLE;
SELECT throws_ok($$UPDATE isms.workflow_state SET phase = 'act' WHERE workflow = 'improvement' AND state = 'implementing'$$,
    '23514', NULL, 'moving a state to another phase so that a transition skips a phase is refused');
SELECT is((SELECT phase FROM isms.workflow_state WHERE workflow = 'improvement' AND state = 'implementing'), 'do',
    'and the state keeps its phase');
SELECT lives_ok($$UPDATE isms.workflow_state SET description = 'Being built' WHERE workflow = 'improvement' AND state = 'implementing'$$,
    'other changes of a state are not affected');
SET LOCAL ROLE wf_editor;
INSERT INTO isms.improvement (org_id, title, description, owner) VALUES (1, 'Reason kept', 'x', 'CISO');
SET LOCAL isms.reason = 'decided in the weekly meeting';
SELECT isms.transition('isms.improvement', (SELECT max(id) FROM isms.improvement WHERE title = 'Reason kept'), 'approved');
SELECT is((SELECT reason FROM isms.transition_log WHERE to_state = 'approved'
             AND record_id = (SELECT max(id) FROM isms.improvement WHERE title = 'Reason kept')),
    'decided in the weekly meeting', 'isms.transition() without a reason logs the isms.reason the caller set');
SELECT is(current_setting('isms.reason'), 'decided in the weekly meeting', 'and leaves the setting as it was');
RESET isms.reason;

------------------------------------------------------------------------------
-- Events: the outbox is written at commit (tested by the isolation specs)

RESET ROLE;
SELECT is((SELECT count(*) FROM isms.outbox), 0::bigint,
    'the outbox is written at commit: empty inside the transaction that moved records');
SELECT is_empty($$SELECT * FROM isms.events_after(0)$$, 'so isms.events_after() sees none of its moves yet');

SELECT * FROM finish();
ROLLBACK;
