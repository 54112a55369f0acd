-- The organisation of a pooled connection across transactions: an isms_app
-- login's session-level SET isms.org is refused in every later transaction
-- (IS081), by what reads it (row-level security, isms.context(), writes),
-- so that the next borrower of the server connection neither sees nor
-- writes the previous one's tenant; isms.set_context() and SET LOCAL hold
-- for their transaction; a role's configured isms.org (ALTER ROLE ... SET)
-- stands; personal logins and superusers keep the session-level narrowing.
-- A decoy current_org() on the search path takes no part.  Like
-- 09_actor_sessions.sql this file commits, so it creates the extension and
-- removes everything at the end.
\set ON_ERROR_STOP 1
SET client_min_messages = warning;
SELECT current_user AS su, current_database() AS db \gset
DROP TABLE IF EXISTS public.sec12_seen;
DROP FUNCTION IF EXISTS public.current_org();
DROP ROLE IF EXISTS sec12_app;
DROP ROLE IF EXISTS sec12_person;
CREATE EXTENSION isms;
INSERT INTO isms.organization (code, name) VALUES ('S12A', 'Tenant A'), ('S12B', 'Tenant B');
SELECT org_id AS a FROM isms.organization WHERE code = 'S12A' \gset
SELECT org_id AS b FROM isms.organization WHERE code = 'S12B' \gset
INSERT INTO isms.incident (org_id, title, severity, detected_at, owner)
    VALUES (:a, 'Tenant A''s incident', 'low', now(), 'A'), (:b, 'Tenant B''s incident', 'low', now(), 'B');
CREATE ROLE sec12_app LOGIN PASSWORD 'sec12-app-password';
GRANT isms_editor, isms_app TO sec12_app;
CREATE ROLE sec12_person LOGIN;
GRANT isms_editor TO sec12_person;
INSERT INTO isms.membership (org_id, role_name)
    VALUES (:a, 'sec12_app'), (:b, 'sec12_app'), (:a, 'sec12_person'), (:b, 'sec12_person');
-- a decoy the search path could find
CREATE FUNCTION public.current_org() RETURNS text LANGUAGE sql AS $$ SELECT 'S12A'::text $$;
GRANT EXECUTE ON FUNCTION public.current_org() TO PUBLIC;

-- a role's configured organisation takes effect at its next login
CREATE TABLE public.sec12_seen (what text PRIMARY KEY, got text);
GRANT INSERT ON public.sec12_seen TO sec12_app;
ALTER ROLE sec12_app SET isms.org = 'S12B';
\set conn 'dbname=' :db ' user=sec12_app password=sec12-app-password'
\c :conn
DO $$
BEGIN
    INSERT INTO public.sec12_seen VALUES ('current_org', isms.current_org());
    INSERT INTO public.sec12_seen
        SELECT 'incidents', string_agg(title, ', ' ORDER BY title) FROM isms.incident;
END
$$;
\set conn 'dbname=' :db ' user=' :su
\c :conn
SET client_min_messages = warning;
ALTER ROLE sec12_app RESET isms.org;

SELECT plan(21);
SELECT is((SELECT got FROM public.sec12_seen WHERE what = 'current_org'), 'S12B',
    'an isms.org the role is configured with (ALTER ROLE ... SET) stands in later transactions');
SELECT is((SELECT got FROM public.sec12_seen WHERE what = 'incidents'), 'Tenant B''s incident',
    '... and narrows what the role sees');

-- an isms_app login sets the organisation at session level, as a client
-- of a transaction pooler might: the next transaction is another borrower's
SET SESSION AUTHORIZATION sec12_app;
SET isms.org = 'S12A';
SELECT throws_ok($$SELECT isms.current_org()$$, 'IS081', 'isms.org "S12A" was not set in the current transaction',
    'a session-level SET isms.org by an isms_app login is refused in the next transaction (IS081)');
SELECT throws_ok($$SELECT title FROM isms.incident$$, 'IS081', NULL,
    'the next borrower reads no row of any tenant: row-level security refuses (IS081)');
SELECT throws_ok($$SELECT * FROM isms.context()$$, 'IS081', NULL,
    'isms.context() refuses it too');
SELECT throws_ok(format($$INSERT INTO isms.incident (org_id, title, severity, detected_at, owner)
                          VALUES (%s, 'Left behind', 'low', now(), 'x')$$, :a), 'IS081', NULL,
    'and writes nothing (IS081)');
SET search_path = public, isms, pg_catalog;
SELECT throws_ok($$SELECT count(*) FROM isms.incident$$, 'IS081', NULL,
    'a decoy current_org() on the search path changes nothing');
RESET search_path;
BEGIN;
SELECT is(isms.set_context('S12B'), :'b'::bigint, 'isms.set_context() sets the borrower''s own organisation');
SELECT is(ARRAY(SELECT title FROM isms.incident), ARRAY['Tenant B''s incident'],
    '... and the transaction sees that tenant only');
COMMIT;
SELECT throws_ok($$SELECT isms.current_org()$$, 'IS081', NULL,
    'after it, the session value is back and still refused (IS081)');
BEGIN;
SET LOCAL isms.org = 'S12A';
SELECT is(isms.current_org(), 'S12A', 'SET LOCAL isms.org holds for its transaction');
SAVEPOINT sp;
SELECT set_config('isms.org', 'S12B', true) AS set \gset
ROLLBACK TO SAVEPOINT sp;
SELECT is(isms.current_org(), 'S12A', 'a setting undone by ROLLBACK TO SAVEPOINT restores the transaction''s own');
COMMIT;
BEGIN;
SET isms.org = 'S12B';
SELECT is(isms.current_org(), 'S12B', 'a session-level SET holds in the transaction that makes it');
COMMIT;
SELECT throws_ok($$SELECT isms.current_org()$$, 'IS081', NULL, '... and not after it');
RESET isms.org;
SELECT is(isms.current_org(), '', 'RESET: no organisation set');
SELECT is(isms.member_orgs(), ARRAY[:a, :b]::bigint[], 'and the login sees its member organisations again');
RESET SESSION AUTHORIZATION;

-- a personal login narrows its own session: the setting keeps its session scope
SET SESSION AUTHORIZATION sec12_person;
SET isms.org = 'S12A';
SELECT is(isms.current_org(), 'S12A', 'a personal login''s session-level isms.org holds in later transactions');
SELECT is(isms.member_orgs(), ARRAY[:a]::bigint[], '... and narrows what it sees');
RESET isms.org;
RESET SESSION AUTHORIZATION;

-- a superuser's session keeps it too (tests, a DBA's psql)
SET isms.org = 'S12B';
SELECT is(isms.current_org(), 'S12B', 'a superuser''s session-level isms.org holds in later transactions');
RESET isms.org;

-- isms.current_org() is the library's: no PUBLIC execute
SELECT ok(NOT has_function_privilege('public', 'isms.current_org()', 'EXECUTE'),
    'PUBLIC may not execute isms.current_org()');
SELECT ok(has_function_privilege('isms_reader', 'isms.current_org()', 'EXECUTE'),
    'isms_reader may');

SELECT * FROM finish();

-- leave nothing behind
DROP TABLE public.sec12_seen;
DROP FUNCTION public.current_org();
DROP EXTENSION isms CASCADE;
DROP SCHEMA IF EXISTS isms CASCADE;
DROP ROLE sec12_app;
DROP ROLE sec12_person;
