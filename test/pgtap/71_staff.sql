-- The staff register (isms.person) as the audience of policies: active
-- staff named as isms.current_actor() gives them (the persons an intranet
-- application asserts), personal member logins no staff row covers, a
-- person's own login counting for them; readiness check 14 on it; every
-- acknowledgement appended to the trail as the engine (action
-- acknowledge, with the person, login and SHA-256 of the version), which
-- nobody appends by hand; every refusal with its SQLSTATE.
\set ON_ERROR_STOP 1
BEGIN;
CREATE EXTENSION isms;
\ir fixture.psql
SELECT pg_temp.seed(1);
SELECT pg_temp.seed(2);
DELETE FROM isms.person;        -- the fixture's base rows: the staff are made here
SELECT plan(27);

CREATE ROLE staff_editor LOGIN;   GRANT isms_editor TO staff_editor;
CREATE ROLE staff_reader LOGIN;   GRANT isms_reader TO staff_reader;
CREATE ROLE staff_own LOGIN;      GRANT isms_reader TO staff_own;
CREATE ROLE staff_editor_b LOGIN; GRANT isms_editor TO staff_editor_b;
-- the intranet application's login, trusted to assert the person it serves
CREATE ROLE staff_app LOGIN;      GRANT isms_app, isms_editor TO staff_app;
INSERT INTO isms.membership (org_id, role_name) VALUES
    (1, 'staff_editor'), (1, 'staff_reader'), (1, 'staff_own'), (1, 'staff_app'), (2, 'staff_editor_b');

-- a published policy
SET LOCAL ROLE staff_editor;
INSERT INTO isms.document (org_id, code, kind, title, owner, clause)
    VALUES (1, 'POL-STAFF', 'policy', 'Clean desk policy', 'CISO', '5.2') RETURNING id AS pol \gset
SELECT isms.draft_document(:pol, content_text => 'Clear your desk.') AS v1 \gset
SELECT isms.submit_document(:v1);
RESET ROLE;
SELECT isms.approve_document(:v1, 'approved', 'Fine');
SELECT isms.publish_document(:v1);

------------------------------------------------------------------------------
-- The register

SET LOCAL ROLE staff_editor;
SELECT lives_ok($$INSERT INTO isms.person (org_id, person, name, active_from) VALUES
    (1, 'ann@example.org', 'Ann Example', current_date - 100),
    (1, 'bob@example.org', 'Bob Example', current_date - 10),
    (1, 'carl@example.org', 'Carl Gone', current_date - 400),
    (1, 'dana@example.org', 'Dana Soon', current_date + 7)$$,
    'an editor records the staff');
SELECT lives_ok($$UPDATE isms.person SET active_until = current_date WHERE person = 'carl@example.org'$$,
    '... and that one left today');
SELECT lives_ok($$INSERT INTO isms.person (org_id, person, name, login_role, active_from)
    VALUES (1, 'eve@example.org', 'Eve Example', 'staff_own', current_date - 30)$$,
    '... and one who also signs in with her own login');
SELECT throws_ok($$INSERT INTO isms.person (org_id, person, name) VALUES (1, 'ann@example.org', 'Ann Again')$$,
    '23505', NULL, 'a person is recorded once per organisation (23505)');
SELECT throws_ok($$INSERT INTO isms.person (org_id, person, name, active_from, active_until)
    VALUES (1, 'fay@example.org', 'Fay', current_date, current_date)$$,
    '23514', NULL, 'active_until after active_from (23514)');
SELECT throws_ok($$INSERT INTO isms.person (org_id, person, name) VALUES (2, 'mallory', 'Mallory')$$,
    '42501', NULL, 'an editor of A cannot add staff to B (42501)');
SELECT is((SELECT created_by FROM isms.person WHERE person = 'ann@example.org'), 'staff_editor',
    'the audit columns record the editor');
RESET ROLE;
SET LOCAL ROLE staff_reader;
SELECT throws_ok($$INSERT INTO isms.person (org_id, person, name) VALUES (1, 'mallory', 'Mallory')$$,
    '42501', NULL, 'a reader cannot add staff (42501)');
SELECT throws_ok($$UPDATE isms.person SET active_until = current_date + 1$$,
    '42501', NULL, 'nor end anyone''s membership of the staff (42501)');
SELECT is((SELECT count(*) FROM isms.person), 5::bigint, 'a reader of A sees A''s five staff');
RESET ROLE;
SET LOCAL ROLE staff_editor_b;
SELECT is((SELECT count(*) FROM isms.person), 0::bigint, 'a member of B sees none of them');
RESET ROLE;
SELECT isnt((SELECT history_table::text FROM isms.history_config WHERE relid = 'isms.person'::regclass), NULL,
    'the history of the staff register is kept');

------------------------------------------------------------------------------
-- The audience

-- active staff (Ann, Bob, Eve), not Carl (left) nor Dana (not yet); the
-- personal member logins no staff row covers (staff_editor, staff_reader),
-- not staff_own (Eve's own login), not the application's login
SELECT set_eq(format($$SELECT person, in_audience, acknowledged FROM isms.policy_acknowledgement_status(1, clock_timestamp()) WHERE document_id = %s$$, :pol),
    $$VALUES ('ann@example.org', true, false), ('bob@example.org', true, false), ('eve@example.org', true, false),
             ('staff_editor', true, false), ('staff_reader', true, false)$$,
    'the audience: active staff and the personal member logins no staff row covers');

-- Ann acknowledges through the intranet application
SET SESSION AUTHORIZATION staff_app;
SET LOCAL isms.actor = 'ann@example.org';
SELECT isms.acknowledge_policy(:pol) AS ack_ann \gset
RESET isms.actor;
RESET SESSION AUTHORIZATION;
-- Eve with her own login
SET SESSION AUTHORIZATION staff_own;
SELECT isms.acknowledge_policy(:pol) AS ack_eve \gset
RESET SESSION AUTHORIZATION;
-- someone the application serves who is not staff
SET SESSION AUTHORIZATION staff_app;
SET LOCAL isms.actor = 'visitor@example.org';
SELECT isms.acknowledge_policy(:pol) AS ack_visitor \gset
RESET isms.actor;
RESET SESSION AUTHORIZATION;

SELECT set_eq(format($$SELECT person, in_audience, acknowledged, acknowledged_version FROM isms.policy_acknowledgement_status(1, clock_timestamp()) WHERE document_id = %s$$, :pol),
    $$VALUES ('ann@example.org', true, true, '0.1'), ('bob@example.org', true, false, NULL), ('eve@example.org', true, true, '0.1'),
             ('staff_editor', true, false, NULL), ('staff_reader', true, false, NULL), ('visitor@example.org', false, true, '0.1')$$,
    'Ann (asserted by the application) and Eve (under her own login) acknowledged; the visitor is not in the audience');

SELECT results_eq($$SELECT status, evidence FROM isms.clause_4_4_readiness(1, clock_timestamp()) WHERE check_no = 14$$,
    $$VALUES ('fail', 2::bigint)$$, 'readiness (14): 2 of 5 fails');
SELECT matches((SELECT figures FROM isms.clause_4_4_readiness(1, clock_timestamp()) WHERE check_no = 14),
    'acknowledgements of the version in force: 2 of 5 .*outstanding: POL-STAFF 0.1 \(2 of 5\)',
    '... counting the staff');

------------------------------------------------------------------------------
-- The trail

SELECT results_eq(format($$SELECT source, login_role, payload->>'person', payload->>'login_role', payload->>'version',
                                  (payload->>'document_id')::bigint, payload->>'document_code'
                             FROM isms.trail WHERE record_table = 'isms.policy_acknowledgement' AND record_id = %s$$, :ack_ann),
    format($$VALUES ('engine', 'staff_app', 'ann@example.org', 'staff_app', '0.1', %s::bigint, 'POL-STAFF')$$, :pol),
    'Ann''s acknowledgement is in the trail as the engine''s, with the person and the application''s login');
SELECT is((SELECT payload->>'sha256' FROM isms.trail WHERE record_table = 'isms.policy_acknowledgement' AND record_id = :ack_ann),
    (SELECT encode(sha256, 'hex') FROM isms.document_version WHERE id = :v1),
    '... with the SHA-256 of the version acknowledged');
SELECT is((SELECT count(*) FROM isms.trail WHERE action = 'acknowledge' AND org_id = 1), 3::bigint,
    'one entry per acknowledgement');
SET SESSION AUTHORIZATION staff_own;
SELECT is(isms.acknowledge_policy(:pol), :ack_eve::bigint, 'acknowledging again returns the first acknowledgement');
RESET SESSION AUTHORIZATION;
SELECT is((SELECT count(*) FROM isms.trail WHERE action = 'acknowledge' AND org_id = 1), 3::bigint,
    '... and appends no second entry');
SELECT is_empty($$SELECT * FROM isms.verify_trail(1)$$, 'the trail verifies');

-- nobody forges or repeats the entry
SET LOCAL ROLE staff_editor;
SELECT throws_ok(format($$SELECT isms.trail_append(1, 'isms.document'::regclass, %s, 'acknowledge', '{"person": "bob@example.org"}')$$, :pol),
    'IS082', NULL, 'an editor cannot append an acknowledge entry by hand (IS082)');
SELECT throws_ok(format($$SELECT isms.acknowledgement_trail_entry(1, %s)$$, :ack_ann),
    'IS082', NULL, 'nor record Ann''s acknowledgement again, as someone else (IS082)');
RESET ROLE;
SET SESSION AUTHORIZATION staff_own;
SELECT throws_ok(format($$SELECT isms.acknowledgement_trail_entry(1, %s)$$, :ack_eve),
    'IS082', format('no acknowledgement %s of organisation 1 to record in the trail', :ack_eve),
    'Eve cannot record hers twice (IS082)');
SELECT throws_ok($$SELECT isms.acknowledgement_trail_entry(1, 999999)$$,
    'IS082', NULL, 'nor one that does not exist (IS082)');
RESET SESSION AUTHORIZATION;

-- a superuser's own acknowledgement through isms.acknowledge_policy() is recorded too
SELECT isms.acknowledge_policy(:pol) AS ack_su \gset
SELECT is((SELECT count(*) FROM isms.trail WHERE action = 'acknowledge' AND record_id = :ack_su
             AND record_table = 'isms.policy_acknowledgement'), 1::bigint,
    'a superuser''s acknowledgement through isms.acknowledge_policy() is in the trail');

SELECT * FROM finish();
ROLLBACK;
