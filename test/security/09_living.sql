-- The sweep, its scheduling and policy acknowledgement against hostile
-- callers: a member of another organisation, a reader, a role with no isms
-- role, temporary tables shadowing what the sweep reads and writes, and a
-- member naming someone else as the person acknowledging, a personal login
-- asserting a person, an application login of another organisation.
\set ON_ERROR_STOP 1
SET client_min_messages = warning;
BEGIN;
CREATE EXTENSION isms;
\ir ../pgtap/fixture.psql
SELECT pg_temp.seed(1);
SELECT pg_temp.seed(2);
DELETE FROM isms.task;
\ir setup.psql
SELECT plan(27);

CREATE ROLE sec_approver LOGIN; GRANT isms_editor TO sec_approver;
-- an application login of B, trusted to assert persons (isms_app)
CREATE ROLE sec_app_b LOGIN;    GRANT isms_editor, isms_app TO sec_app_b;
INSERT INTO isms.membership (org_id, role_name) VALUES (1, 'sec_approver'), (2, 'sec_app_b');

------------------------------------------------------------------------------
-- The sweep

SET SESSION AUTHORIZATION sec_bob;
SELECT throws_ok($$SELECT * FROM isms.sweep('A')$$, '42501', 'cannot sweep organisation "A": it is not one of yours',
    'an editor of B cannot sweep A (42501)');
RESET SESSION AUTHORIZATION;
SET SESSION AUTHORIZATION sec_reader;
SELECT throws_ok($$SELECT * FROM isms.sweep('A')$$, '42501', NULL, 'a reader cannot sweep (42501)');
SELECT throws_ok($$SELECT isms.schedule_sweep()$$, '42501', NULL, 'a reader cannot schedule the sweep (42501)');
RESET SESSION AUTHORIZATION;
SET SESSION AUTHORIZATION sec_outsider;
SELECT throws_ok($$SELECT * FROM isms.sweep()$$, '42501', NULL, 'a role with no isms role cannot sweep (42501)');
RESET SESSION AUTHORIZATION;
SET SESSION AUTHORIZATION sec_mallory;
SELECT throws_ok($$SELECT isms.schedule_sweep()$$, '42501', NULL, 'an editor cannot schedule the sweep: isms_admin only (42501)');
SELECT throws_ok($$SELECT isms.unschedule_sweep()$$, '42501', NULL, '... nor remove it (42501)');
SELECT is((SELECT array_agg(DISTINCT org_id) FROM isms.task_causes()), '{1}'::bigint[],
    'task_causes shows the member its own organisation only');

-- temporary tables shadowing what the sweep reads and writes, pg_temp first
CREATE TEMP TABLE task (LIKE isms.task);
CREATE TEMP TABLE organization (org_id bigint, code text);
INSERT INTO pg_temp.organization VALUES (2, 'A');
CREATE TEMP TABLE task_setting (LIKE isms.task_setting);
CREATE TEMP TABLE register (LIKE isms.register);
SET LOCAL search_path = pg_temp, evil, public, pg_catalog;
SET LOCAL isms.reason = 'my own reason';
SELECT results_eq($$SELECT org_id, created FROM isms.sweep('A')$$, $$VALUES (1::bigint, 2)$$,
    'under a hostile path with shadowing tables the sweep of A creates A''s two tasks');
SELECT is((SELECT count(*) FROM pg_temp.task), 0::bigint, '... none in the shadowing table');
SELECT is(current_setting('isms.reason'), 'my own reason', '... and the caller''s isms.reason is restored');
RESET search_path;
SELECT is(pg_temp.fired(), 0::bigint, 'no planted function or operator ran');
RESET SESSION AUTHORIZATION;
SELECT is((SELECT array_agg(DISTINCT org_id) FROM isms.task), '{1}'::bigint[], 'no task was made in B');

SET SESSION AUTHORIZATION sec_bob;
SELECT is((SELECT count(*) FROM isms_report.tasks WHERE org_id <> 2), 0::bigint, 'B sees none of A''s tasks in the BI view');
UPDATE isms.task SET owner = 'bob' WHERE org_id = 1;
RESET SESSION AUTHORIZATION;
SELECT is((SELECT count(*) FROM isms.task WHERE owner = 'bob'), 0::bigint, 'nor can it change them');

------------------------------------------------------------------------------
-- Policy acknowledgement

SET SESSION AUTHORIZATION sec_mallory;
INSERT INTO isms.document (org_id, code, kind, title, owner) VALUES (1, 'SEC-POL', 'policy', 'Clean desk', 'CISO')
    RETURNING id AS pol \gset
SELECT isms.draft_document(:pol, content_text => 'Clear your desk.') AS ver \gset
SELECT isms.submit_document(:ver);
RESET SESSION AUTHORIZATION;
SET SESSION AUTHORIZATION sec_approver;
SELECT isms.approve_document(:ver, 'approved', 'Fine');
SELECT isms.publish_document(:ver);
RESET SESSION AUTHORIZATION;

SET SESSION AUTHORIZATION sec_bob;
SELECT throws_ok(format($$SELECT isms.acknowledge_policy(%s)$$, :pol), 'P0002', NULL,
    'a member of B cannot acknowledge A''s policy: not visible (P0002)');
SELECT throws_ok(format($$INSERT INTO isms.policy_acknowledgement (org_id, version_id) VALUES (1, %s)$$, :ver), '23503',
    format('cannot acknowledge document version %s: it does not exist in organisation 1', :ver),
    '... nor insert an acknowledgement into A: the version is not visible to it (23503)');
SELECT throws_ok($$SELECT * FROM isms.policy_acknowledgement_status(1)$$, '22023', NULL,
    '... nor read A''s report (22023, as for an unknown organisation)');
RESET SESSION AUTHORIZATION;

SET SESSION AUTHORIZATION sec_reader;
SELECT throws_ok(format($$INSERT INTO isms.policy_acknowledgement (org_id, version_id, person) VALUES (1, %s, 'CEO')$$, :ver), '42501', NULL,
    'a reader cannot name the person acknowledging (42501)');
SET LOCAL search_path = pg_temp, evil, public, pg_catalog;
SELECT lives_ok(format($$SELECT isms.acknowledge_policy(%s)$$, :pol), 'a reader acknowledges under a hostile path');
RESET search_path;
SELECT is((SELECT person || ' ' || login_role FROM isms.policy_acknowledgement WHERE document_id = :pol),
    'sec_reader sec_reader', '... recorded as itself, the database vouching');
SELECT throws_ok($$DELETE FROM isms.policy_acknowledgement$$, '42501', NULL, 'a member cannot delete acknowledgements (42501)');
-- acknowledging for someone else: a personal login asserting a person
SELECT throws_ok($$SET LOCAL isms.actor = 'CEO'$$, 'IS080', NULL, 'a reader cannot assert another person (IS080)');
SELECT throws_ok($$SELECT set_config('isms.actor', 'CEO', true)$$, 'IS080', NULL, '... nor with set_config (IS080)');
RESET SESSION AUTHORIZATION;
-- a value that got past the SET (set before SET ROLE) is refused at use
SET LOCAL isms.actor = 'CEO';
SET LOCAL ROLE sec_reader;
SELECT throws_ok(format($$SELECT isms.acknowledge_policy(%s)$$, :pol), 'IS080', NULL,
    'an isms.actor the reader did not set itself is refused where the acknowledgement uses it (IS080)');
RESET ROLE;
RESET isms.actor;
-- a trusted application login of B vouches for persons of B only
SET SESSION AUTHORIZATION sec_app_b;
SET LOCAL isms.actor = 'CEO';
SELECT throws_ok(format($$SELECT isms.acknowledge_policy(%s)$$, :pol), 'P0002', NULL,
    'an application login of B cannot acknowledge A''s policy for anyone (P0002)');
SELECT throws_ok(format($$INSERT INTO isms.policy_acknowledgement (org_id, version_id) VALUES (1, %s)$$, :ver), '23503', NULL,
    '... nor insert one into A (23503: the version is not visible to it)');
RESET isms.actor;
RESET SESSION AUTHORIZATION;
SELECT is((SELECT array_agg(person || ' ' || login_role ORDER BY id) FROM isms.policy_acknowledgement),
    '{"sec_reader sec_reader"}', 'the only acknowledgement is the reader''s own');

SELECT * FROM finish();
ROLLBACK;
