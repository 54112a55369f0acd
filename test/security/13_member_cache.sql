-- isms.member_orgs() keeps its answer while the snapshot, the role asked
-- about, the session user and isms.org stay the same (membership.c).  Each
-- change that may change the answer within one transaction must be seen at
-- once: a membership written, one rolled back with a savepoint or an
-- exception block, a role granted, SET ROLE, SET SESSION AUTHORIZATION,
-- isms.org; and a hostile search_path takes no part in its query.
\set ON_ERROR_STOP 1
SET client_min_messages = warning;
BEGIN;
CREATE EXTENSION isms;
\ir ../pgtap/fixture.psql
SELECT pg_temp.seed(1);
SELECT pg_temp.seed(2);
\ir setup.psql
RESET ROLE;
SELECT plan(25);

SELECT is(isms.member_orgs('sec_mallory'), '{1}'::bigint[], 'mallory is a member of A');
SELECT is(ARRAY[isms.member_orgs('sec_mallory')::text, isms.member_orgs('sec_bob')::text, isms.member_orgs('sec_mallory')::text],
          ARRAY['{1}', '{2}', '{1}'], 'one statement asking for two roles in turn gets each its own');

-- a membership written in the transaction takes effect at the next statement
INSERT INTO isms.membership (org_id, role_name) VALUES (2, 'sec_mallory');
SELECT is(isms.member_orgs('sec_mallory'), '{1,2}'::bigint[], 'a membership written in the transaction is seen at once');
DELETE FROM isms.membership WHERE org_id = 2 AND role_name = 'sec_mallory';
SELECT is(isms.member_orgs('sec_mallory'), '{1}'::bigint[], 'and its deletion too');

-- rolled back: a savepoint
SAVEPOINT s;
INSERT INTO isms.membership (org_id, role_name) VALUES (2, 'sec_mallory');
SELECT is(isms.member_orgs('sec_mallory'), '{1,2}'::bigint[], 'inside a savepoint the new membership counts');
ROLLBACK TO SAVEPOINT s;
SELECT is(isms.member_orgs('sec_mallory'), '{1}'::bigint[], 'after ROLLBACK TO SAVEPOINT it no longer does');
RELEASE SAVEPOINT s;

-- rolled back: an exception block that asked inside
CREATE FUNCTION pg_temp.grant_then_fail() RETURNS bigint[] LANGUAGE plpgsql AS $$
DECLARE
    seen bigint[];
BEGIN
    BEGIN
        INSERT INTO isms.membership (org_id, role_name) VALUES (2, 'sec_mallory');
        seen := isms.member_orgs('sec_mallory');
        RAISE EXCEPTION 'undo';
    EXCEPTION WHEN raise_exception THEN
        NULL;
    END;
    RETURN seen || isms.member_orgs('sec_mallory');
END
$$;
SELECT is(pg_temp.grant_then_fail(), '{1,2,1}'::bigint[],
    'a membership an exception block rolled back stops counting in the same statement');

-- a role granted: membership through a group role
GRANT sec_bob TO sec_mallory;
SELECT is(isms.member_orgs('sec_mallory'), '{1,2}'::bigint[], 'a group role granted in the transaction counts at once');
REVOKE sec_bob FROM sec_mallory;
SELECT is(isms.member_orgs('sec_mallory'), '{1}'::bigint[], 'and revoked, no longer');

-- the role asking: SET ROLE and SET SESSION AUTHORIZATION in one transaction
SET LOCAL ROLE sec_mallory;
SELECT is(isms.member_orgs(), '{1}'::bigint[], 'SET ROLE mallory: A');
RESET ROLE;
SET LOCAL ROLE sec_bob;
SELECT is(isms.member_orgs(), '{2}'::bigint[], 'SET ROLE bob in the same transaction: B, not the answer kept for mallory');
RESET ROLE;
SET LOCAL SESSION AUTHORIZATION sec_mallory;
SELECT is(isms.member_orgs('sec_bob'), '{}'::bigint[], 'a session user that cannot act as bob gets nothing for bob');
RESET SESSION AUTHORIZATION;
SELECT is(isms.member_orgs('sec_bob'), '{2}'::bigint[], 'the superuser session asking the same gets B');

-- isms.org narrowed and widened again in one transaction
SET LOCAL ROLE sec_mallory;
SELECT is(isms.member_orgs(), '{1}'::bigint[], 'mallory, no isms.org: A');
SET LOCAL isms.org = 'B';
SELECT is(isms.member_orgs(), '{}'::bigint[], 'isms.org = B narrows to nothing at once');
SET LOCAL isms.org = '';
SELECT is(isms.member_orgs(), '{1}'::bigint[], 'isms.org reset: A again');

-- the attacker's search_path and traps take no part
SELECT is(pg_temp.attempt('evil, public, pg_catalog', 'SELECT isms.member_orgs()'), 'ok',
    'under the attacker''s search_path member_orgs() answers');
SELECT is(pg_temp.value_under('evil, public, pg_catalog, pg_temp', 'SELECT isms.member_orgs()::text'), '{1}',
    'with the same answer');
SELECT is(pg_temp.attempt('evil, public, pg_catalog', 'SELECT isms.visible_orgs()'), 'ok',
    'under the attacker''s search_path visible_orgs() answers');
SELECT is(pg_temp.value_under('evil, public, pg_catalog, pg_temp', 'SELECT isms.visible_orgs()::text'), '{1}',
    'with the same answer');
RESET ROLE;

-- isms.visible_orgs(), what the policies read per row, follows the same
-- changes: the role by OID, isms.org, a membership written
SET LOCAL ROLE sec_mallory;
SELECT is(ARRAY[isms.visible_orgs()::text, isms.member_orgs('sec_bob')::text, isms.visible_orgs()::text],
          ARRAY['{1}', '{2}', '{1}'], 'visible_orgs() after member_orgs() of another role in one statement: mallory''s own');
RESET ROLE;
SET LOCAL ROLE sec_bob;
SELECT is(isms.visible_orgs(), '{2}'::bigint[], 'SET ROLE bob: visible_orgs() B, not the answer kept for mallory');
SET LOCAL isms.org = 'A';
SELECT is(isms.visible_orgs(), '{}'::bigint[], 'isms.org = A narrows bob''s visible_orgs() to nothing at once');
SET LOCAL isms.org = '';
RESET ROLE;
INSERT INTO isms.membership (org_id, role_name) VALUES (1, 'sec_bob');
SET LOCAL ROLE sec_bob;
SELECT is(isms.visible_orgs(), '{1,2}'::bigint[], 'a membership written in the transaction: visible_orgs() at once');
RESET ROLE;
DELETE FROM isms.membership WHERE org_id = 1 AND role_name = 'sec_bob';
SELECT is(pg_temp.fired(), 0::bigint, 'no trap ran');

SELECT * FROM finish();
ROLLBACK;
