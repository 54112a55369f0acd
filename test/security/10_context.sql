-- isms.set_context() and isms.context() against a hostile caller: an
-- organisation the caller is not a member of, a role without an isms role,
-- a crafted code, and the planted operators, functions and temporary
-- tables of setup.psql under hostile search paths.  Neither may widen what
-- the caller sees, tell it which codes exist, or run a trap.
\set ON_ERROR_STOP 1
SET client_min_messages = warning;
BEGIN;
CREATE EXTENSION isms;
\ir ../pgtap/fixture.psql
SELECT pg_temp.seed(1);
SELECT pg_temp.seed(2);
\ir setup.psql
SELECT plan(17);

SET SESSION AUTHORIZATION sec_mallory;
-- temporary tables named like what the functions read
CREATE TEMP TABLE organization (org_id bigint, code text);
INSERT INTO pg_temp.organization VALUES (2, 'B'), (2, 'A');
CREATE TEMP TABLE membership (org_id bigint, role_name text);
INSERT INTO pg_temp.membership VALUES (2, 'sec_mallory');

SELECT throws_ok($$SELECT isms.set_context('B', 'bob@b.example')$$, '42501',
    'role "sec_mallory" may not act for organisation "B"', 'the editor of A may not act for B (42501)');
SELECT throws_ok($$SELECT isms.set_context('Q')$$, '42501',
    'role "sec_mallory" may not act for organisation "Q"', 'nor for a code that does not exist: the same refusal');
SELECT throws_ok($$SELECT isms.set_context('B''; SET ROLE postgres; --')$$, '42501', NULL,
    'a crafted code is only a code');
SELECT is(isms.member_orgs(), '{1}'::bigint[], 'after the refusals the editor still sees only A');
SELECT is((SELECT org FROM isms.context()), NULL, 'and no organisation is set');

-- under each hostile path: the same answers, no trap
SELECT is(pg_temp.attempt(p, $$SELECT isms.set_context('B')$$), '42501',
    'under search_path = ' || p || ', B is refused')
  FROM unnest(ARRAY['evil, public, pg_catalog', 'pg_temp, evil, public, pg_catalog']) AS p;
SELECT is(pg_temp.value_under(p, $$SELECT row(c.*)::text FROM isms.context() c$$),
    '(,,sec_mallory,sec_mallory)', 'under search_path = ' || p || ', isms.context() reads no planted table')
  FROM unnest(ARRAY['evil, public, pg_catalog', 'pg_temp, evil, public, pg_catalog']) AS p;
SELECT is(pg_temp.value_under(p, $$SELECT isms.set_context('A')::text$$), '1',
    'under search_path = ' || p || ', A is set, and is org 1')
  FROM unnest(ARRAY['evil, public, pg_catalog', 'pg_temp, evil, public, pg_catalog']) AS p;
SELECT is(pg_temp.fired(), 0::bigint, 'no trap ran');

-- a context set under a hostile path narrows as under a safe one
SELECT isms.set_context('A');
SELECT is(pg_temp.value_under('pg_temp, evil, public, pg_catalog',
    $$SELECT row(c.org, c.org_id)::text FROM isms.context() c$$), '(A,1)',
    'isms.context() finds the organisation itself, not the temporary table');
SELECT is((SELECT count(*)::int FROM isms.risk WHERE org_id OPERATOR(pg_catalog.=) 2), 0, 'no row of B is visible');
RESET SESSION AUTHORIZATION;

-- a role without an isms role may call neither
SET SESSION AUTHORIZATION sec_outsider;
SELECT throws_ok($$SELECT isms.set_context('A')$$, '42501', NULL, 'a role without an isms role may not call set_context');
SELECT throws_ok($$SELECT * FROM isms.context()$$, '42501', NULL, 'nor context');
RESET SESSION AUTHORIZATION;
SELECT is(pg_temp.fired(), 0::bigint, 'no trap ran at all');

SELECT * FROM finish();
ROLLBACK;
