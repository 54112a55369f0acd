-- isms.org games in a pooled session: one backend serves several people,
-- the pool switching with SET ROLE or SET SESSION AUTHORIZATION and
-- clients setting isms.org.  The setting only ever narrows what the
-- current role may see; a value left behind by the previous client never
-- widens the next one's view, and nobody can ask for another role's view
-- unless the session's login may act as that role anyway.
\set ON_ERROR_STOP 1
SET client_min_messages = warning;
BEGIN;
CREATE EXTENSION isms;
\ir ../pgtap/fixture.psql
SELECT pg_temp.seed(1);
SELECT pg_temp.seed(2);
\ir setup.psql
SELECT plan(15);
-- a pool login that may act as both application roles
CREATE ROLE sec_pool LOGIN NOINHERIT;
GRANT sec_mallory, sec_bob TO sec_pool;

SET SESSION AUTHORIZATION sec_mallory;
SET LOCAL isms.org = 'B';
SELECT is(isms.member_orgs(), '{}'::bigint[], 'an editor of A naming B in isms.org sees no organisation');
SELECT is((SELECT count(*)::int FROM isms.risk), 0, 'and no row, of A or of B');
SELECT throws_ok($$INSERT INTO isms.incident (org_id, title, severity, detected_at, reported_at, owner)
                   VALUES (2, 't', 'low', now(), now(), 'x')$$, '42501', NULL,
    'nor can it write into B (42501)');
SET LOCAL isms.org = 'A';
SELECT is(isms.member_orgs(), '{1}'::bigint[], 'naming its own organisation narrows to it');
SET LOCAL isms.org = 'no such code''; --';
SELECT is(isms.member_orgs(), '{}'::bigint[], 'an unknown or crafted code narrows to nothing');
RESET isms.org;
SELECT is(isms.member_orgs('sec_bob'), '{}'::bigint[], 'a role cannot ask for another role''s organisations');
SELECT is(isms.member_orgs('postgres'), '{}'::bigint[], 'nor for a superuser''s');
RESET SESSION AUTHORIZATION;

-- the pool: session user sec_pool, clients switched by SET ROLE
SET SESSION AUTHORIZATION sec_pool;
SET ROLE sec_bob;
SET isms.org = 'B';
SELECT is((SELECT array_agg(DISTINCT org_id) FROM isms.risk), '{2}'::bigint[], 'client bob sees B');
SET ROLE sec_mallory;                 -- the next client; isms.org = 'B' left behind
SELECT is((SELECT count(*)::int FROM isms.risk), 0,
    'the next client, with the previous client''s isms.org left behind, sees nothing rather than B');
RESET isms.org;
SELECT is((SELECT array_agg(DISTINCT org_id) FROM isms.risk), '{1}'::bigint[], 'after RESET it sees its own A, and only A');
SELECT is((SELECT count(*)::int FROM isms.risk WHERE org_id = 2), 0, 'no row of B');
SELECT is(isms.member_orgs('sec_bob'), '{2}'::bigint[],
    'asking for a role the pool login may become answers (SET ROLE would give the same)');
SELECT is((SELECT count(*)::int FROM isms.risk r WHERE r.org_id = ANY (isms.member_orgs('sec_bob'))), 0,
    'but row-level security still follows the current role: no row of B');
RESET ROLE;
SELECT throws_ok('SELECT count(*) FROM isms.risk', '42501', NULL,
    'the pool login itself, without an isms role (NOINHERIT), reads nothing (42501)');
RESET SESSION AUTHORIZATION;
SELECT is(pg_temp.fired(), 0::bigint, 'no trap ran');

SELECT * FROM finish();
ROLLBACK;
