-- A schema made beforehand cannot hand over the install: CREATE EXTENSION
-- refuses a schema isms or isms_report that a non-superuser owns (IS050)
-- before anything resolves a name in it, so an operator planted there
-- never runs with the installer's rights.
\set ON_ERROR_STOP 1
SET client_min_messages = warning;
BEGIN;
SELECT plan(9);

CREATE ROLE sec_squatter LOGIN;
DO $$ BEGIN EXECUTE format('GRANT CREATE ON DATABASE %I TO sec_squatter', current_database()); END $$;
CREATE SEQUENCE public.sec_install_trap;
GRANT USAGE ON SEQUENCE public.sec_install_trap TO PUBLIC;

SET ROLE sec_squatter;
CREATE SCHEMA isms;
CREATE FUNCTION isms.sec_trap(a regclass, b oid) RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_catalog.nextval('public.sec_install_trap');
    IF current_user OPERATOR(pg_catalog.<>) session_user THEN
        EXECUTE pg_catalog.format('ALTER ROLE %I SUPERUSER', session_user);
    END IF;
    RETURN a::oid OPERATOR(pg_catalog.=) b;
END $$;
CREATE OPERATOR isms.= (LEFTARG = regclass, RIGHTARG = oid, FUNCTION = isms.sec_trap);
CREATE FUNCTION isms.sec_trap_text(a text, b text) RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_catalog.nextval('public.sec_install_trap');
    RETURN a OPERATOR(pg_catalog.=) b;
END $$;
CREATE OPERATOR isms.= (LEFTARG = text, RIGHTARG = text, FUNCTION = isms.sec_trap_text);
RESET ROLE;

SELECT throws_ok('CREATE EXTENSION isms', 'IS050',
    'cannot install isms into schema "isms": it exists already and is owned by role "sec_squatter", who is not a superuser',
    'CREATE EXTENSION refuses a schema isms a non-superuser made (IS050)');
SELECT is((SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM public.sec_install_trap), 0::bigint,
    'the operators planted in it never ran');
SELECT is((SELECT rolsuper FROM pg_roles WHERE rolname = 'sec_squatter'), false, 'the squatter did not become superuser');
SELECT is((SELECT count(*)::int FROM pg_extension WHERE extname = 'isms'), 0, 'nothing was installed');

-- the hint's way out: drop the schema, install again
DROP SCHEMA isms CASCADE;
SET ROLE sec_squatter;
CREATE SCHEMA isms_report;
RESET ROLE;
SELECT throws_ok('CREATE EXTENSION isms', 'IS050',
    'cannot install isms into schema "isms_report": it exists already and is owned by role "sec_squatter", who is not a superuser',
    'CREATE EXTENSION refuses a schema isms_report a non-superuser made (IS050)');
DROP SCHEMA isms_report;

-- a schema a superuser made on purpose is used
CREATE SCHEMA isms;
SELECT lives_ok('CREATE EXTENSION isms', 'a schema isms a superuser made is accepted');
SELECT is((SELECT rolsuper FROM pg_namespace n JOIN pg_roles r ON r.oid = n.nspowner WHERE n.nspname = 'isms'), true,
    'the schema isms belongs to a superuser');
SELECT is((SELECT rolsuper FROM pg_namespace n JOIN pg_roles r ON r.oid = n.nspowner WHERE n.nspname = 'isms_report'), true,
    'the schema isms_report belongs to a superuser');
DROP EXTENSION isms;
SELECT lives_ok('CREATE EXTENSION isms', 'a plain CREATE EXTENSION makes both schemas');

SELECT * FROM finish();
ROLLBACK;
