-- isms.citus_distribute(), the step that distributes isms on a Citus
-- coordinator (test/citus/run.sh runs it against a real cluster).  Without
-- Citus it is refused (55000) and changes nothing; it is for superusers
-- only (42501), granted to nobody, and its definition pins search_path.
\set ON_ERROR_STOP 1
BEGIN;
CREATE EXTENSION isms;
SET LOCAL search_path = public;
SELECT plan(8);

SELECT ok((SELECT NOT prosecdef AND proconfig @> ARRAY['search_path=pg_catalog, pg_temp']
             FROM pg_proc WHERE oid = 'isms.citus_distribute()'::regprocedure),
    'isms.citus_distribute() is not SECURITY DEFINER and pins search_path = pg_catalog, pg_temp');
SELECT is(ARRAY(SELECT a.grantee::regrole::text FROM pg_proc p, aclexplode(p.proacl) a
                 WHERE p.oid = 'isms.citus_distribute()'::regprocedure AND a.grantee <> p.proowner),
          '{}'::text[], 'isms.citus_distribute() is granted to no role (superusers only)');

-- without Citus
SELECT throws_ok($$SELECT * FROM isms.citus_distribute()$$, '55000',
    format('isms cannot be distributed: the extension citus is not installed in database "%s"', current_database()),
    'without Citus it is refused (55000)');
SELECT is((SELECT count(*) FROM pg_constraint WHERE contype = 'f' AND connamespace = 'isms'::regnamespace) > 90,
          true, 'and the foreign keys are all there');

-- a member role: refused before anything is looked at
CREATE ROLE cd_editor;
GRANT isms_editor TO cd_editor;
SET LOCAL ROLE cd_editor;
SELECT throws_ok($$SELECT * FROM isms.citus_distribute()$$, '42501', NULL,
    'a role without EXECUTE cannot call it (42501)');
RESET ROLE;
GRANT EXECUTE ON FUNCTION isms.citus_distribute() TO cd_editor;
SET LOCAL ROLE cd_editor;
SELECT throws_ok($$SELECT * FROM isms.citus_distribute()$$, '42501',
    'isms.citus_distribute() must be run by a superuser',
    'granted EXECUTE by mistake, a role that is not a superuser is still refused (42501)');
RESET ROLE;

-- a hostile table named like Citus's extension row does not fool it
CREATE SCHEMA cd_trap;
CREATE TABLE cd_trap.pg_extension (oid oid, extname name);
INSERT INTO cd_trap.pg_extension VALUES (1, 'citus');
SET LOCAL search_path = cd_trap, public;
SELECT throws_ok($$SELECT * FROM isms.citus_distribute()$$, '55000', NULL,
    'a table named pg_extension on the caller''s search_path changes nothing (55000)');
SELECT is((SELECT extname FROM pg_catalog.pg_extension WHERE extname = 'citus'), NULL, 'Citus is indeed not installed here');

SELECT * FROM finish();
ROLLBACK;
