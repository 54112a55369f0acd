-- Attack 6: the verification and head functions read the trail past
-- row-level security, so they refuse a non-member exactly as row-level
-- security would hide the rows (42501), and isms.org narrows them too.
\set ON_ERROR_STOP 1
SET client_min_messages = warning;
BEGIN;
CREATE EXTENSION isms;
\ir ../pgtap/fixture.psql
SELECT pg_temp.seed(1);
SELECT pg_temp.seed(2);
\ir setup.psql
SELECT plan(21);
SELECT isms.trail_append(1, 'isms.risk', 1, 'note', '{}');
SELECT isms.trail_append(2, 'isms.risk', 2, 'note', '{}');
SELECT hash AS head2 FROM isms.trail_head(2) \gset

SET LOCAL ROLE sec_reader;
SELECT throws_ok('SELECT * FROM isms.verify_trail(2)', '42501',
    'cannot verify the trail of organisation 2', 'verify_trail() of another organisation: 42501');
SELECT throws_ok(format('SELECT * FROM isms.verify_trail(2, 1, %L)', :'head2'), '42501',
    'cannot verify the trail of organisation 2', 'verify_trail() with a head of another organisation: 42501');
SELECT throws_ok('SELECT * FROM isms.trail_head(2)', '42501',
    'cannot read the trail head of organisation 2', 'trail_head() of another organisation: 42501');
SELECT throws_ok('SELECT * FROM isms.verify_transition_log(2)', '42501',
    'cannot verify the transition log of organisation 2', 'verify_transition_log() of another organisation: 42501');
SELECT throws_ok('SELECT isms.require_member(2)', '42501',
    'cannot read organisation 2', 'require_member() of another organisation: 42501');
SELECT throws_ok('SELECT * FROM isms.verify_trail(999)', '42501',
    'cannot verify the trail of organisation 999', 'an organisation that does not exist is refused alike');
SELECT throws_ok('SELECT isms.require_member(NULL)', '22004',
    'isms.require_member() needs an organisation', 'require_member(NULL) is refused (22004)');
SELECT is_empty('SELECT * FROM isms.verify_trail(1)', 'a member verifies its own trail');
SELECT is((SELECT seq FROM isms.trail_head(1)), 1::bigint, 'a member reads its own trail head');
SELECT is_empty('SELECT * FROM isms.verify_transition_log(1)', 'a member verifies its own transition log');
SELECT lives_ok('SELECT isms.require_member(1)', 'require_member() of the member''s organisation passes');
-- isms.org narrows the organisations the checks accept, like row-level security
SET LOCAL isms.org = 'B';
SELECT throws_ok('SELECT * FROM isms.verify_trail(1)', '42501', NULL,
    'with isms.org naming another organisation, the member''s own trail is refused too');
SELECT throws_ok('SELECT * FROM isms.trail_head(1)', '42501', NULL, 'and so is its head');
RESET isms.org;
RESET ROLE;

-- a role without any isms role cannot even reach them
SET LOCAL ROLE sec_outsider;
SELECT throws_ok('SELECT * FROM isms.verify_trail(1)', '42501', NULL, 'an outsider is refused (42501)');
RESET ROLE;

-- an admin and a superuser verify every organisation
CREATE ROLE sec_admin LOGIN; GRANT isms_admin TO sec_admin;
SET LOCAL ROLE sec_admin;
SELECT is_empty('SELECT * FROM isms.verify_trail(2)', 'an admin verifies any organisation''s trail');
SELECT is((SELECT seq FROM isms.trail_head(2)), 1::bigint, 'an admin reads any trail head');
RESET ROLE;
SELECT is_empty('SELECT * FROM isms.verify_trail(2)', 'a superuser verifies any organisation''s trail');
SELECT is_empty('SELECT * FROM isms.verify_transition_log(2)', 'and any transition log');

-- the refusal names the rule and what to do
SET LOCAL ROLE sec_reader;
CREATE FUNCTION pg_temp.error_of(sql text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE d text; h text;
BEGIN
    EXECUTE sql;
    RETURN NULL;
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS d = PG_EXCEPTION_DETAIL, h = PG_EXCEPTION_HINT;
    RETURN d || ' / ' || h;
END $$;
SELECT is(pg_temp.error_of('SELECT * FROM isms.verify_trail(2)'),
    'Role "sec_reader" is not a member of that organisation. / Ask an admin for a membership (isms.membership), or reset isms.org.',
    'the refusal''s detail names the role, its hint the way to access');
RESET ROLE;
SELECT is(pg_temp.fired(), 0::bigint, 'no trap ran');
SELECT ok(NOT has_function_privilege('public', 'isms.require_member(bigint, text)', 'EXECUTE'),
    'PUBLIC cannot execute require_member()');

SELECT * FROM finish();
ROLLBACK;
