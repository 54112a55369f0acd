-- The staff register and the acknowledgement trail entry against hostile
-- callers: a member of another organisation reading or writing A's staff, a
-- reader writing them, an application login of another organisation
-- asserting a person of A, someone recording another person's
-- acknowledgement in the trail or appending the engine's action by hand,
-- and the traps of setup.psql under hostile search paths.
\set ON_ERROR_STOP 1
SET client_min_messages = warning;
BEGIN;
CREATE EXTENSION isms;
\ir ../pgtap/fixture.psql
SELECT pg_temp.seed(1);
SELECT pg_temp.seed(2);
\ir setup.psql
SELECT plan(17);

CREATE ROLE sec_approver LOGIN; GRANT isms_editor TO sec_approver;
CREATE ROLE sec_app_a LOGIN;    GRANT isms_editor, isms_app TO sec_app_a;
CREATE ROLE sec_app_b LOGIN;    GRANT isms_editor, isms_app TO sec_app_b;
INSERT INTO isms.membership (org_id, role_name) VALUES (1, 'sec_approver'), (1, 'sec_app_a'), (2, 'sec_app_b');

-- a policy of A in force
SET SESSION AUTHORIZATION sec_mallory;
INSERT INTO isms.document (org_id, code, kind, title, owner) VALUES (1, 'SEC-STAFF', 'policy', 'Clean desk', 'CISO')
    RETURNING id AS pol \gset
SELECT isms.draft_document(:pol, content_text => 'Clear your desk.') AS ver \gset
SELECT isms.submit_document(:ver);
RESET SESSION AUTHORIZATION;
SET SESSION AUTHORIZATION sec_approver;
SELECT isms.approve_document(:ver, 'approved', 'Fine');
SELECT isms.publish_document(:ver);
RESET SESSION AUTHORIZATION;

------------------------------------------------------------------------------
-- The staff register

SET SESSION AUTHORIZATION sec_bob;
SELECT is((SELECT count(*) FROM isms.person WHERE org_id = 1), 0::bigint, 'an editor of B sees none of A''s staff');
SELECT throws_ok($$INSERT INTO isms.person (org_id, person, name) VALUES (1, 'bob-in-a', 'Bob')$$, '42501', NULL,
    '... cannot add one to A (42501)');
UPDATE isms.person SET active_until = current_date + 1 WHERE org_id = 1;
RESET SESSION AUTHORIZATION;
SELECT is((SELECT count(*) FROM isms.person WHERE org_id = 1 AND active_until IS NOT NULL), 0::bigint,
    '... nor end anyone''s time on A''s staff');
SET SESSION AUTHORIZATION sec_reader;
SELECT throws_ok($$INSERT INTO isms.person (org_id, person, name) VALUES (1, 'reader-friend', 'Friend')$$, '42501', NULL,
    'a reader of A cannot add staff (42501)');
SELECT throws_ok($$DELETE FROM isms.person$$, '42501', NULL, '... nor remove them (42501)');
RESET SESSION AUTHORIZATION;
-- a temporary table shadowing the register does not change the audience
SET SESSION AUTHORIZATION sec_reader;
CREATE TEMP TABLE person (org_id bigint, person text, name text, login_role text, active_from date, active_until date,
                          created_at timestamptz, created_by text, updated_at timestamptz, updated_by text);
INSERT INTO pg_temp.person VALUES (1, 'ghost', 'Ghost', NULL, '2000-01-01', NULL, '2000-01-01', 'x', '2000-01-01', 'x');
SELECT is(pg_temp.value_under('pg_temp, evil, public, pg_catalog',
              format($$SELECT pg_catalog.string_agg(s.person, ',' ORDER BY s.person) FROM isms.policy_acknowledgement_status(1, pg_catalog.clock_timestamp()) s WHERE s.document_id OPERATOR(pg_catalog.=) %s$$, :pol)),
          (SELECT string_agg(person, ',' ORDER BY person) FROM isms.policy_acknowledgement_status(1, clock_timestamp()) WHERE document_id = :pol),
          'the audience under a hostile path with a shadowing temporary table is the audience under a safe one');
SELECT is((SELECT count(*) FROM isms.policy_acknowledgement_status(1, clock_timestamp()) WHERE person = 'ghost'), 0::bigint,
    '... without the planted person');
DROP TABLE pg_temp.person;
RESET SESSION AUTHORIZATION;
SELECT is(pg_temp.fired(), 0::bigint, 'no trap fired');

------------------------------------------------------------------------------
-- Acknowledgements in the trail

-- an acknowledgement restored by a superuser has no entry: nobody else may
-- write one for it
INSERT INTO isms.policy_acknowledgement (org_id, document_id, version_id, version, person, login_role)
    VALUES (1, :pol, :ver, '0.1', 'Ann', 'sec_app_a') RETURNING id AS restored \gset
SELECT is((SELECT count(*) FROM isms.trail WHERE action = 'acknowledge'), 0::bigint,
    'a superuser''s direct insert (a restore) appends no entry');
SET SESSION AUTHORIZATION sec_reader;
SELECT throws_ok(format($$SELECT isms.acknowledgement_trail_entry(1, %s)$$, :restored), 'IS082', NULL,
    'a reader cannot record Ann''s acknowledgement in the trail as itself (IS082)');
SELECT throws_ok($$SELECT isms.trail_append(1, 'isms.document', 1, 'acknowledge', '{"person": "CEO"}')$$, '42501', NULL,
    '... nor append by hand at all (42501)');
RESET SESSION AUTHORIZATION;
SET SESSION AUTHORIZATION sec_mallory;
SELECT throws_ok($$SELECT isms.trail_append(1, 'isms.document', 1, 'acknowledge', '{"person": "CEO"}')$$, 'IS082', NULL,
    'an editor cannot forge an acknowledge entry by hand (IS082)');
RESET SESSION AUTHORIZATION;
SET SESSION AUTHORIZATION sec_app_b;
SET LOCAL isms.actor = 'Ann';
SELECT throws_ok(format($$SELECT isms.acknowledgement_trail_entry(1, %s)$$, :restored), 'IS082', NULL,
    'an application login of B asserting Ann cannot write into A''s trail (IS082)');
RESET isms.actor;
RESET SESSION AUTHORIZATION;
SELECT is((SELECT count(*) FROM isms.trail WHERE action = 'acknowledge'), 0::bigint, 'no acknowledge entry was written');

-- a reader acknowledging under a hostile path: one entry, its own
SET SESSION AUTHORIZATION sec_reader;
SELECT is(pg_temp.attempt('pg_temp, evil, public, pg_catalog', format($$SELECT isms.acknowledge_policy(%s)$$, :pol)), 'ok',
    'a reader acknowledges under a hostile path');
RESET SESSION AUTHORIZATION;
SELECT results_eq($$SELECT payload->>'person', login_role, source FROM isms.trail WHERE action = 'acknowledge'$$,
    $$VALUES ('sec_reader', 'sec_reader', 'engine')$$, '... and the trail has its entry, the engine''s');
SELECT is(pg_temp.fired(), 0::bigint, 'no trap fired');

SELECT * FROM finish();
ROLLBACK;
