-- Records stay attached to their log: a record that has moved (or is in a
-- final state) is not deleted, no UPDATE renumbers a record or moves it to
-- another organisation, no member chooses an id, only rows really inserted
-- or really moved are logged (ON CONFLICT), and an UPDATE that names the
-- status and leaves it is refused like isms.transition().  Every refusal
-- leaves the record and the log as they were.
\set ON_ERROR_STOP 1
BEGIN;
CREATE EXTENSION isms;
\ir fixture.psql
\ir workflow_fixture.psql
SELECT plan(46);

-- A workflow table of its own with a second unique key, for ON CONFLICT,
-- and a move back to its initial state within cycle 1.
CREATE TABLE public.tap_ticket (
    org_id bigint NOT NULL,
    id     bigint GENERATED ALWAYS AS IDENTITY,
    code   text NOT NULL UNIQUE,
    note   text,
    status text NOT NULL DEFAULT 'open',
    cycle  integer NOT NULL DEFAULT 1,
    PRIMARY KEY (org_id, id)
);
INSERT INTO isms.workflow (workflow, record_label, description) VALUES ('tap_ticket', 'ticket', 'test');
INSERT INTO isms.workflow_state (workflow, state, phase, is_initial, is_terminal, ordinal) VALUES
    ('tap_ticket', 'open', 'plan', true, false, 1), ('tap_ticket', 'doing', 'do', false, false, 2),
    ('tap_ticket', 'done', 'check', false, true, 3);
INSERT INTO isms.workflow_transition (workflow, from_state, to_state) VALUES
    ('tap_ticket', 'open', 'doing'), ('tap_ticket', 'doing', 'open'), ('tap_ticket', 'doing', 'done');
SELECT isms.attach_workflow('public.tap_ticket', 'tap_ticket');
GRANT SELECT, INSERT, UPDATE, DELETE ON public.tap_ticket TO wf_editor;

CREATE FUNCTION pg_temp.ticket_log() RETURNS text[] LANGUAGE sql AS $$
    SELECT coalesce(array_agg(t.code || ': ' || pg_temp.log_text(l) ORDER BY l.log_id), '{}')
      FROM isms.transition_log l JOIN public.tap_ticket t ON t.id = l.record_id
     WHERE l.record_table = 'public.tap_ticket'::regclass
$$;

SET LOCAL ROLE wf_editor;
SET LOCAL isms.actor = 'alice';

------------------------------------------------------------------------------
-- ON CONFLICT: only rows really inserted or really moved are logged

INSERT INTO public.tap_ticket (org_id, code) VALUES (1, 'T-1');
SELECT is(pg_temp.ticket_log(), ARRAY['T-1: NULL -> open, cycle 1, by alice, reason NULL'],
    'a created ticket is logged once');
INSERT INTO public.tap_ticket (org_id, code) VALUES (1, 'T-1') ON CONFLICT (code) DO NOTHING;
SELECT is(pg_temp.ticket_log(), ARRAY['T-1: NULL -> open, cycle 1, by alice, reason NULL'],
    'INSERT ... ON CONFLICT DO NOTHING of an existing ticket logs no creation');
INSERT INTO public.tap_ticket (org_id, code) VALUES (1, 'T-1') ON CONFLICT (code) DO UPDATE SET note = 'seen';
SELECT is(pg_temp.ticket_log(), ARRAY['T-1: NULL -> open, cycle 1, by alice, reason NULL'],
    'ON CONFLICT DO UPDATE of another column logs no second creation');
INSERT INTO public.tap_ticket (org_id, code) VALUES (1, 'T-1') ON CONFLICT (code) DO UPDATE SET status = 'doing';
SELECT is(pg_temp.ticket_log(), ARRAY['T-1: NULL -> open, cycle 1, by alice, reason NULL',
                                      'T-1: open -> doing, cycle 1, by alice, reason NULL'],
    'ON CONFLICT DO UPDATE of the status logs the move, and no creation');
INSERT INTO public.tap_ticket (org_id, code) VALUES (1, 'T-2'), (1, 'T-1') ON CONFLICT (code) DO NOTHING;
SELECT is(pg_temp.ticket_log(), ARRAY['T-1: NULL -> open, cycle 1, by alice, reason NULL',
                                      'T-1: open -> doing, cycle 1, by alice, reason NULL',
                                      'T-2: NULL -> open, cycle 1, by alice, reason NULL'],
    'a multi-row INSERT ... ON CONFLICT DO NOTHING logs the row it inserted and not the one it skipped');

------------------------------------------------------------------------------
-- Same-state UPDATE: refused like isms.transition() (IS001)

INSERT INTO isms.improvement (org_id, title, description, owner)
    VALUES (1, 'Same', 'Same state', 'IT lead') RETURNING id AS same \gset
SELECT is(pg_temp.caught(format($$UPDATE isms.improvement SET status = 'proposed' WHERE id = %s$$, :same)),
    format('IS001: cannot move improvement %s from "proposed" to "proposed" | The improvement is already "proposed"; another session may have moved it. Allowed next states from "proposed": "approved", "rejected". | +0 log rows', :same),
    'UPDATE ... SET status to the status it has is refused (IS001), nothing logged');
SELECT throws_ok(format($$SELECT isms.transition('isms.improvement', %s, 'proposed')$$, :same), 'IS001', NULL,
    'isms.transition() refuses the same (IS001)');
SELECT is(pg_temp.hint_of(format($$UPDATE isms.improvement SET status = 'proposed' WHERE id = %s$$, :same)),
    'Leave status out of the SET list to change other columns; to move the record only from the state you read, add AND status = ''<that state>'' to the WHERE clause.',
    'the hint says how to change other columns and how to state the expected from-state');
SELECT lives_ok(format($$UPDATE isms.improvement SET expected_benefit = 'Less toil' WHERE id = %s$$, :same),
    'an UPDATE of other columns stays allowed');
SELECT pg_temp.move_ok('isms.improvement', :same, 'approved', via => 'update');
WITH m AS (UPDATE isms.improvement SET status = 'approved' WHERE id = :same AND status = 'proposed' RETURNING 1)
SELECT count(*) AS guarded FROM m \gset
SELECT is(:guarded::bigint, 0::bigint,
    'an UPDATE stating the from-state it expects (AND status = ...) moves nothing once the record has moved');
SELECT is(pg_temp.state('isms.improvement', :same) || ', ' || pg_temp.nlog('isms.improvement', :same) || ' log rows',
    'approved/1, 2 log rows', 'and the record is where the first move put it, with its two log rows');
UPDATE public.tap_ticket SET status = 'done' WHERE code = 'T-1';
SELECT throws_ok($$UPDATE public.tap_ticket SET status = 'done' WHERE code = 'T-1'$$, 'IS001', NULL,
    'setting a closed record''s status to itself is IS001, as isms.transition() says, not IS003');
SELECT throws_ok($$UPDATE public.tap_ticket SET note = 'late' WHERE code = 'T-1'$$, 'IS003', NULL,
    'an UPDATE of another column of a closed record stays IS003');

------------------------------------------------------------------------------
-- DELETE: a record that has moved, or is closed, is kept with its log (IS090)

INSERT INTO isms.improvement (org_id, title, description, owner)
    VALUES (1, 'Typo', 'Entered by mistake', 'IT lead') RETURNING id AS typo \gset
SELECT lives_ok(format('DELETE FROM isms.improvement WHERE id = %s', :typo),
    'a record that never moved may be deleted');
SELECT is(pg_temp.state('isms.improvement', :typo) || ', ' || pg_temp.nlog('isms.improvement', :typo) || ' log row',
    'no such record, 1 log row', 'its creation stays in the log');
SELECT lives_ok('DELETE FROM isms.improvement WHERE id = 1', 'so may a seeded record that never moved (nothing logged)');

SELECT is(pg_temp.caught(format('DELETE FROM isms.improvement WHERE id = %s', :same)),
    format('IS090: cannot delete improvement %s of organisation 1: a record that has moved is kept with its log | It is "approved" in PDCA cycle 1: it has moved since it was created, and its moves are in isms.transition_log. | +0 log rows', :same),
    'DELETE of a record that has moved is refused (IS090)');
SELECT is(pg_temp.hint_of(format('DELETE FROM isms.improvement WHERE id = %s', :same)),
    format('End the record with a move to a final status of the improvement workflow ("implemented", "rejected"): isms.next_states(''isms.improvement'', %s) lists the moves open to it.', :same),
    'the hint names the workflow''s final states');
SELECT is(pg_temp.state('isms.improvement', :same) || ', ' || pg_temp.nlog('isms.improvement', :same) || ' log rows',
    'approved/1, 2 log rows', 'the record and its log are unchanged');

INSERT INTO isms.improvement (org_id, title, description, owner)
    VALUES (1, 'Dropped', 'Not pursued', 'IT lead') RETURNING id AS dropped \gset
SELECT pg_temp.move_ok('isms.improvement', :dropped, 'rejected', 'not worth it');
SELECT is(pg_temp.caught(format('DELETE FROM isms.improvement WHERE id = %s', :dropped)),
    format('IS090: cannot delete improvement %s of organisation 1: a record that has moved is kept with its log | It is in the final status "rejected" of the improvement workflow. | +0 log rows', :dropped),
    'DELETE of a record in a final status is refused (IS090)');
SELECT is(pg_temp.hint_of(format('DELETE FROM isms.improvement WHERE id = %s', :dropped)),
    'A record in a final status is kept as it was closed; the improvement workflow ends its records in "implemented", "rejected".',
    'the hint says the record is kept');

UPDATE public.tap_ticket SET status = 'doing' WHERE code = 'T-2';
UPDATE public.tap_ticket SET status = 'open' WHERE code = 'T-2';
SELECT throws_ok($$DELETE FROM public.tap_ticket WHERE code = 'T-2'$$, 'IS090', NULL,
    'a record moved back to its initial status in cycle 1 is found by its log (IS090)');
SELECT is(pg_temp.caught($$DELETE FROM public.tap_ticket WHERE code = 'T-2'$$) ~ 'It is "open" again, but it has moved', true,
    'the detail says it has moved');

INSERT INTO isms.improvement (org_id, title, description, owner)
    VALUES (1, 'Fresh', 'Never moved', 'IT lead') RETURNING id AS fresh \gset
SELECT throws_ok(format('DELETE FROM isms.improvement WHERE id IN (%s, %s)', :fresh, :same), 'IS090', NULL,
    'a DELETE reaching one moved record fails as a whole');
SELECT is(pg_temp.state('isms.improvement', :fresh), 'proposed/1', 'and deletes nothing');

RESET ROLE;
SELECT throws_ok(format('DELETE FROM isms.improvement WHERE id = %s', :same), 'IS090', NULL,
    'a superuser''s DELETE is refused too (IS090)');
SELECT throws_ok('DELETE FROM isms.organization WHERE org_id = 2', '23503', NULL,
    'an organisation with records cannot be deleted (23503)');

------------------------------------------------------------------------------
-- UPDATE: no renumbering, no move to another organisation (IS091)

SET LOCAL ROLE wf_editor;
SELECT matches(pg_temp.caught(format('UPDATE isms.improvement SET id = DEFAULT WHERE id = %s', :same)),
    format('^IS091: cannot renumber improvement %s of organisation 1 \| The UPDATE would give it the id [0-9]+; its log, trail and history name it by its id\. \| \+0 log rows$', :same),
    'editor: UPDATE ... SET id = DEFAULT is refused (IS091)');
SELECT throws_ok('UPDATE isms.risk SET id = DEFAULT WHERE org_id = 1', 'IS091', NULL,
    'editor: also on a register without a workflow (IS091)');
SELECT lives_ok(format('UPDATE isms.improvement SET org_id = org_id, title = title WHERE id = %s', :same),
    'an UPDATE that keeps the organisation is allowed');
RESET ROLE;
-- wf_admin is a personal login, not trusted to assert a person: it acts as itself
SET LOCAL isms.actor = '';
SET LOCAL ROLE wf_admin;
SELECT is(pg_temp.caught(format('UPDATE isms.improvement SET org_id = 2 WHERE id = %s', :same)),
    format('IS091: cannot move improvement %s from organisation 1 to organisation 2 | A record belongs to the organisation that created it; its log, trail and history stay there. | +0 log rows', :same),
    'admin: UPDATE ... SET org_id = 2 is refused (IS091)');
RESET ROLE;
SET LOCAL isms.actor = 'alice';
SELECT throws_ok('UPDATE isms.context_issue SET org_id = 2 WHERE org_id = 1', 'IS091', NULL,
    'superuser: a move across organisations is refused too (IS091)');
SELECT is(pg_temp.state('isms.improvement', :same) || ', ' || (SELECT org_id FROM isms.improvement WHERE id = :same),
    'approved/1, 1', 'the record is where it was');

------------------------------------------------------------------------------
-- INSERT: no member chooses an id (428C9); a superuser restoring does

SET LOCAL ROLE wf_editor;
SELECT is(pg_temp.caught($$INSERT INTO isms.improvement (org_id, id, title, description, owner) OVERRIDING SYSTEM VALUE
                           VALUES (1, 900000, 'Squat', 'Chosen id', 'IT lead')$$),
    '428C9: cannot insert improvement with the id 900000 chosen by the caller | The id of a record is generated by its identity sequence; only a superuser restoring records supplies it (OVERRIDING SYSTEM VALUE, or COPY with the id column). | +0 log rows',
    'editor: INSERT ... OVERRIDING SYSTEM VALUE is refused (428C9), nothing logged');
INSERT INTO isms.improvement (org_id, title, description, owner)
    VALUES (1, 'Generated', 'Generated id', 'IT lead') RETURNING id AS gen \gset
SELECT throws_ok(format($$INSERT INTO isms.improvement (org_id, id, title, description, owner) OVERRIDING SYSTEM VALUE
                          VALUES (1, %s, 'Again', 'The id just drawn', 'IT lead')$$, :gen), '428C9', NULL,
    'editor: the id the sequence has just handed out cannot be taken twice (428C9)');
RESET ROLE;
-- the table's cache entry is dropped (a relcache invalidation); the taken id stays taken
ALTER TABLE isms.improvement ALTER COLUMN title SET STATISTICS 200;
SET LOCAL ROLE wf_editor;
SELECT throws_ok(format($$INSERT INTO isms.improvement (org_id, id, title, description, owner) OVERRIDING SYSTEM VALUE
                          VALUES (1, %s, 'Again', 'After an invalidation', 'IT lead')$$, :gen), '428C9', NULL,
    'editor: also after the table''s cache entry was invalidated (428C9)');
SELECT throws_ok($$INSERT INTO isms.risk (org_id, id, title, threat, vulnerability, inherent_likelihood, inherent_impact, owner) OVERRIDING SYSTEM VALUE
                   VALUES (1, 900001, 'Squat', 'x', 'y', 1, 1, 'z')$$, '428C9', NULL,
    'editor: also on a register without a workflow (428C9)');
DISCARD SEQUENCES;
SELECT throws_ok($$INSERT INTO isms.improvement (org_id, id, title, description, owner) OVERRIDING SYSTEM VALUE
                   VALUES (1, 900002, 'Squat', 'No id drawn yet', 'IT lead')$$, '428C9', NULL,
    'editor: also before the session has drawn any id (428C9)');
SELECT lives_ok($$INSERT INTO isms.improvement (org_id, title, description, owner)
                  VALUES (1, 'M1', 'Multi', 'IT lead'), (1, 'M2', 'Multi', 'IT lead'), (1, 'M3', 'Multi', 'IT lead')$$,
    'editor: a multi-row INSERT with generated ids works');
SELECT lives_ok($$INSERT INTO isms.improvement (org_id, title, description, owner)
                  SELECT 1, 'S' || g, 'Select', 'IT lead' FROM generate_series(1, 5) g$$,
    'editor: an INSERT ... SELECT with generated ids works');
SELECT is((SELECT count(DISTINCT id)::int || ' ids, ' || count(l.log_id) || ' creations'
             FROM isms.improvement i
             LEFT JOIN isms.transition_log l ON l.record_table = 'isms.improvement'::regclass AND l.record_id = i.id
            WHERE i.description IN ('Multi', 'Select')), '8 ids, 8 creations',
    'each row has its own id and its one creation');
RESET ROLE;
SELECT lives_ok($$INSERT INTO isms.improvement (org_id, id, title, description, owner) OVERRIDING SYSTEM VALUE
                  VALUES (1, 900003, 'Restored', 'From a dump', 'IT lead')$$,
    'a superuser''s INSERT keeps the id it supplies (a restore)');
SET LOCAL ROLE wf_editor;
SELECT lives_ok($$INSERT INTO isms.improvement (org_id, title, description, owner) VALUES (1, 'After', 'After a restore', 'IT lead')$$,
    'and a member''s INSERT works after it');
SELECT is((SELECT count(*)::int FROM isms.improvement WHERE id BETWEEN 900000 AND 900002), 0, 'no chosen id got in');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
